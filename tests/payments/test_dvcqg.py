"""The DVCQG payment platform: the plugin against the local platform, end to end over
HTTP. No database: the plugin never touches it."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import pytest

from motcua.payments.contrib.dvcqg import fields
from motcua.payments.contrib.dvcqg.plugin import NationalPlatform
from motcua.payments.contrib.dvcqg.simulator import NationalPlatformSimulator
from motcua.payments.methods.base import (
    AttemptInfo,
    CallbackRejected,
    FeeLine,
    GatewayError,
    GatewayTimeout,
    Notice,
    Outcome,
    Platform,
)
from motcua.payments.methods.registry import registry

PARTNER = "000.00.00.H29"
SECRET = "khoa-bi-mat-thu-nghiem"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
RETURN_URL = "https://motcua.example/thanh-toan/ve?m=dvcqg"

# The checksum rule and field orders as the module documents them, spelt out again here
# so that a change in fields.py cannot pass by changing both sides.
INIT_FIELDS = [
    "LoaiBanTin", "PhienBan", "MaDoiTac", "MaThamChieu", "SoTien", "LoaiHinhThanhToan",
    "MaKenhThanhToan", "MaThietBi", "NgonNgu", "MaTienTe", "MaNganHang",
    "ThongTinGiaoDich", "ThoiGianGD", "Ip",
]  # fmt: skip
CALLBACK_FIELDS = [
    "LoaiBanTin", "MaLoi", "MaDoiTac", "MaThamChieu", "SoTien", "MaTienTe", "MaGiaoDich",
    "MaNganHang", "ThoiGianGD", "ThongTinGiaoDich",
]  # fmt: skip


def sha256_of(message: dict[str, Any], names: list[str], secret: str = SECRET) -> str:
    raw = "|".join([str(message.get(name, "")) for name in names] + [secret])
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def attempt(reference: str = "MC7K2Q9XAB12", amount_vnd: int = 150_000) -> AttemptInfo:
    return AttemptInfo(
        reference=reference,
        amount_vnd=amount_vnd,
        description="Le phi ho so 000.00.12.H29-250301-0001",
        created_at=datetime(2025, 3, 1, 1, 30, 5, tzinfo=ZoneInfo("UTC")),
        dossier_code="000.00.12.H29-250301-0001",
        procedure_code="1.004227",
        procedure_name="Cấp giấy phép xây dựng",
        agency_name="UBND huyện Mô Phỏng",
        payer_name="Nguyễn Văn An",
        payer_phone="0912345678",
        lines=(
            FeeLine("Lệ phí cấp giấy phép", amount_vnd - 50_000),
            FeeLine("Phí thẩm định", 50_000),
        ),
        client_ip="203.0.113.7",
    )


class Receiver:
    """The province's callback endpoint: records what the platform POSTs."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.bodies.append(body)
                receiver.arrived.set()
                answer = json.dumps({"MaLoi": "00", "MoTaLoi": "Thành công"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/thanh-toan/dvcqg/bao"

    def last(self) -> dict[str, Any]:
        return json.loads(self.bodies[-1])


@pytest.fixture
def sim() -> Iterator[NationalPlatformSimulator]:
    simulator = NationalPlatformSimulator(partner_code=PARTNER, secret=SECRET).start()
    yield simulator
    simulator.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def method(settings: Any, sim: NationalPlatformSimulator) -> NationalPlatform:
    settings.PAY_DVCQG_URL = sim.url
    settings.PAY_DVCQG_PARTNER_CODE = PARTNER
    settings.PAY_DVCQG_SECRET = SECRET
    settings.PAY_DVCQG_PAYEE_ACCOUNT = "3711.0.1234567"
    settings.PAY_DVCQG_PAYEE_BANK = "KBNN"
    settings.PAY_DVCQG_PAYEE_NAME = "UBND HUYEN MO PHONG"
    settings.PAY_HTTP_TIMEOUT = 5.0
    return NationalPlatform()


def callback(method: NationalPlatform, message: dict[str, Any]) -> list[Notice]:
    body = json.dumps(message, ensure_ascii=False).encode("utf-8")
    return method.parse_callback(http_method="POST", query={}, body=body, headers={})


def test_registered_with_its_settings(settings: Any) -> None:
    found = registry.get("dvcqg")
    assert isinstance(found, NationalPlatform)
    assert (found.kind, found.platform) == ("redirect", Platform.NATIONAL)
    settings.PAY_DVCQG_URL = ""
    assert not found.configured()
    settings.PAY_DVCQG_URL = "https://paymentplatform.example/api"
    settings.PAY_DVCQG_PARTNER_CODE = PARTNER
    settings.PAY_DVCQG_SECRET = SECRET
    settings.PAY_DVCQG_PAYEE_ACCOUNT = "3711.0.1234567"
    assert found.configured()


def test_init_message_and_its_checksum(
    method: NationalPlatform, sim: NationalPlatformSimulator, receiver: Receiver
) -> None:
    started = method.start(attempt(), return_url=RETURN_URL, notify_url=receiver.url)

    assert started.redirect_url == sim.pay_url("MC7K2Q9XAB12")
    assert started.gateway_txn == sim.order("MC7K2Q9XAB12").gateway_txn
    sent = sim.received[-1]
    assert sent["MaXacThuc"] == sha256_of(sent, INIT_FIELDS)
    assert sent["LoaiBanTin"] == "INIT" and sent["PhienBan"] == "1.0.6"
    assert (sent["MaDoiTac"], sent["MaThamChieu"], sent["SoTien"]) == (
        PARTNER,
        "MC7K2Q9XAB12",
        "150000",
    )
    assert sent["ThoiGianGD"] == "20250301083005"  # 01:30:05 UTC in GMT+7
    assert (sent["UrlCallback"], sent["UrlReturn"], sent["Ip"]) == (
        receiver.url,
        RETURN_URL,
        "203.0.113.7",
    )
    bill = sent["ThongTinBienLai"]
    assert (bill["MaTTHC"], bill["MaHoSo"]) == ("1.004227", "000.00.12.H29-250301-0001")
    assert (bill["TKThuHuong"], bill["MaNHThuHuong"], bill["TenTKThuHuong"]) == (
        "3711.0.1234567",
        "KBNN",
        "UBND HUYEN MO PHONG",
    )
    assert (bill["HoTenNguoiNop"], bill["SoDienThoaiNguoiNop"]) == ("Nguyễn Văn An", "0912345678")
    assert [(f["LoaiPhiLePhi"], f["TenPhiLePhi"], f["SoTien"]) for f in bill["PhiLePhi"]] == [
        ("LePhi", "Lệ phí cấp giấy phép", "100000"),
        ("Phi", "Phí thẩm định", "50000"),
    ]
    assert [line["SoTien"] for line in bill["DSKhoanNop"]] == ["100000", "50000"]


def test_round_trip_init_pay_callback(
    method: NationalPlatform, sim: NationalPlatformSimulator, receiver: Receiver
) -> None:
    started = method.start(attempt(), return_url=RETURN_URL, notify_url=receiver.url)
    location = sim.pay("MC7K2Q9XAB12")

    assert receiver.arrived.wait(5)
    message = receiver.last()
    assert message["MaXacThuc"] == sha256_of(message, CALLBACK_FIELDS)
    [notice] = method.parse_callback(
        http_method="POST", query={}, body=receiver.bodies[-1], headers={}
    )
    assert notice.reference == "MC7K2Q9XAB12"
    assert notice.outcome == Outcome.PAID
    assert (notice.amount_vnd, notice.currency) == (150_000, "VND")
    assert notice.gateway_txn == started.gateway_txn
    assert notice.paid_at is not None and notice.paid_at.utcoffset() == timedelta(hours=7)
    assert abs(notice.paid_at - datetime.now(VN)) < timedelta(minutes=1)
    assert sim.sent == [("MC7K2Q9XAB12", 200)]

    assert location.startswith(RETURN_URL + "&")
    back = dict(parse_qsl(urlsplit(location).query))
    assert method.return_reference(back) == "MC7K2Q9XAB12"
    assert back["MaLoi"] == "00"

    accepted = method.callback_answer(accepted=True)
    assert accepted.status == 200 and json.loads(accepted.body)["MaLoi"] == "00"
    for reason, code in [("amount", "05"), ("not_found", "04"), ("signature: x", "01")]:
        assert json.loads(method.callback_answer(accepted=False, reason=reason).body) == {
            "MaLoi": code,
            "MoTaLoi": fields.DESCRIPTIONS[code],
            "MaDoiTac": PARTNER,
        }


def test_repeated_init_is_the_same_transaction(
    method: NationalPlatform, sim: NationalPlatformSimulator, receiver: Receiver
) -> None:
    first = method.start(attempt(), return_url=RETURN_URL, notify_url=receiver.url)
    again = method.start(attempt(), return_url=RETURN_URL, notify_url=receiver.url)
    assert again == first
    assert len(sim.orders) == 1

    with pytest.raises(GatewayError, match="MaLoi 05"):
        method.start(attempt(amount_vnd=200_000), return_url=RETURN_URL, notify_url=receiver.url)


def forged(message: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**message, **changes}


def resigned(message: dict[str, Any], **changes: Any) -> dict[str, Any]:
    changed = {**message, **changes}
    changed["MaXacThuc"] = sha256_of(changed, CALLBACK_FIELDS)
    return changed


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda m: forged(m, SoTien="1000"), "signature"),
        (lambda m: forged(m, MaLoi="00", MaXacThuc="0" * 64), "signature"),
        (lambda m: forged(m, MaXacThuc=sha256_of(m, CALLBACK_FIELDS, "other")), "signature"),
        (lambda m: {k: v for k, v in m.items() if k != "MaXacThuc"}, "signature"),
        (lambda m: forged(m, MaDoiTac="000.00.00.H01"), "signature"),
        (lambda m: resigned(m, MaDoiTac="000.00.00.H01"), "partner"),
        (lambda m: resigned(m, SoTien="mot tram"), "malformed"),
    ],
)
def test_forged_or_altered_callbacks_are_rejected(
    method: NationalPlatform,
    sim: NationalPlatformSimulator,
    receiver: Receiver,
    change: Any,
    reason: str,
) -> None:
    method.start(attempt(), return_url=RETURN_URL, notify_url=receiver.url)
    sim.pay("MC7K2Q9XAB12")
    assert receiver.arrived.wait(5)
    genuine = receiver.last()
    assert callback(method, genuine)  # the genuine one passes

    with pytest.raises(CallbackRejected) as rejected:
        callback(method, change(genuine))
    assert rejected.value.reason.startswith(reason + ":")
    answer = json.loads(method.callback_answer(accepted=False, reason=rejected.value.reason).body)
    assert answer["MaLoi"] == fields.ANSWER_CODES[reason]


def test_callbacks_that_are_not_json_posts_are_rejected(method: NationalPlatform) -> None:
    with pytest.raises(CallbackRejected, match=r"^malformed"):
        method.parse_callback(http_method="GET", query={}, body=b"", headers={})
    with pytest.raises(CallbackRejected, match=r"^malformed"):
        method.parse_callback(http_method="POST", query={}, body=b"MaLoi=00", headers={})


def test_cancelled_payment_is_a_failed_notice(
    method: NationalPlatform, sim: NationalPlatformSimulator, receiver: Receiver
) -> None:
    method.start(attempt(), return_url=RETURN_URL, notify_url=receiver.url)
    location = sim.pay("MC7K2Q9XAB12", outcome="failed")

    assert receiver.arrived.wait(5)
    [notice] = callback(method, receiver.last())
    assert (notice.outcome, notice.paid_at) == (Outcome.FAILED, None)
    assert receiver.last()["MaLoi"] == "06"
    assert dict(parse_qsl(urlsplit(location).query))["MaLoi"] == "06"
    assert method.query(attempt()).outcome == Outcome.FAILED


def test_query_pending_before_paying_and_paid_after(
    method: NationalPlatform, sim: NationalPlatformSimulator, receiver: Receiver
) -> None:
    sim.switches.callback = "lost"  # the callback never comes: only QUERY tells
    started = method.start(attempt(), return_url=RETURN_URL, notify_url=receiver.url)

    before = method.query(attempt())
    assert before.outcome == Outcome.PENDING
    assert before.raw["TrangThaiGD"] == "3"

    sim.pay("MC7K2Q9XAB12")
    after = method.query(attempt())
    assert after.outcome == Outcome.PAID
    assert after.raw["TrangThaiGD"] == "1"
    assert (after.amount_vnd, after.gateway_txn) == (150_000, started.gateway_txn)
    assert after.paid_at is not None
    assert sim.received[-1]["ThoiGianGD"] == "20250301083005"  # the INIT's
    assert not receiver.bodies

    sim.switches.query_pending = True  # a lagging platform
    assert method.query(attempt()).outcome == Outcome.PENDING


def test_query_of_an_unknown_reference_is_pending(method: NationalPlatform) -> None:
    notice = method.query(attempt("MCNEVERSTART"))
    assert notice.outcome == Outcome.PENDING
    assert notice.raw["MaLoi"] == "04"


def test_timeouts_and_errors(
    settings: Any, method: NationalPlatform, sim: NationalPlatformSimulator, receiver: Receiver
) -> None:
    settings.PAY_HTTP_TIMEOUT = 0.5
    sim.switches.configure({"start": "timeout", "start_next": 1})
    with pytest.raises(GatewayTimeout):
        method.start(attempt(), return_url=RETURN_URL, notify_url=receiver.url)

    sim.switches.configure({"start": "error", "start_next": 1})
    with pytest.raises(GatewayError, match="MaLoi 99") as failed:
        method.start(attempt(), return_url=RETURN_URL, notify_url=receiver.url)
    assert not isinstance(failed.value, GatewayTimeout)

    started = method.start(attempt(), return_url=RETURN_URL, notify_url=receiver.url)
    assert started.redirect_url

    sim.switches.configure({"query": "timeout", "query_next": 1})
    with pytest.raises(GatewayTimeout):
        method.query(attempt())
    assert method.query(attempt()).outcome == Outcome.PENDING


def test_wrong_secret_or_partner_is_refused_by_the_platform(
    settings: Any, method: NationalPlatform, receiver: Receiver
) -> None:
    settings.PAY_DVCQG_SECRET = "not the secret"
    with pytest.raises(GatewayError, match="MaLoi 01"):
        method.start(attempt(), return_url=RETURN_URL, notify_url=receiver.url)
    settings.PAY_DVCQG_PARTNER_CODE = "000.00.00.H01"
    with pytest.raises(GatewayError, match="MaLoi 02"):
        method.start(attempt(), return_url=RETURN_URL, notify_url=receiver.url)


def test_get_bill_returns_a_numbered_receipt_after_paying(
    method: NationalPlatform, sim: NationalPlatformSimulator, receiver: Receiver
) -> None:
    first, second = attempt("MCAAAAAAAAAA"), attempt("MCBBBBBBBBBB", amount_vnd=80_000)
    for each in (first, second):
        method.start(each, return_url=RETURN_URL, notify_url=receiver.url)
    with pytest.raises(GatewayError, match="MaLoi 07"):
        method.receipt(first.reference, first.created_at)

    sim.pay(first.reference)
    sim.pay(second.reference)
    receipt = method.receipt(first.reference, first.created_at)
    assert receipt["number"] == "0000001"
    assert receipt["series"].startswith("BL") and receipt["form"]
    assert (receipt["reference"], receipt["amount_vnd"]) == (first.reference, 150_000)
    assert receipt["gateway_txn"] == sim.order(first.reference).gateway_txn
    assert receipt["paid_at"] is not None and receipt["url"].endswith(".pdf")
    assert method.receipt(second.reference)["number"] == "0000002"
    assert method.receipt(first.reference)["number"] == "0000001"  # the same receipt again


def test_statement_lists_the_days_payments(
    method: NationalPlatform, sim: NationalPlatformSimulator, receiver: Receiver
) -> None:
    paid, cancelled = attempt("MCPAIDPAID01"), attempt("MCCANCELLED1")
    for each in (paid, cancelled):
        method.start(each, return_url=RETURN_URL, notify_url=receiver.url)
    sim.pay(paid.reference)
    sim.pay(cancelled.reference, outcome="failed")

    today = datetime.now(VN).date()
    [notice] = method.statement(today)
    assert (notice.reference, notice.outcome, notice.amount_vnd) == (
        paid.reference,
        Outcome.PAID,
        150_000,
    )
    assert sim.received[-1]["Ngay"] == today.strftime("%Y%m%d")
    assert method.statement(today - timedelta(days=1)) == []


def test_repeated_callbacks_are_identical_and_each_verifies(
    method: NationalPlatform, sim: NationalPlatformSimulator, receiver: Receiver
) -> None:
    sim.switches.configure({"callback_repeat": 3})
    method.start(attempt(), return_url=RETURN_URL, notify_url=receiver.url)
    sim.pay("MC7K2Q9XAB12")

    assert len(receiver.bodies) == 3 and len(set(receiver.bodies)) == 1
    assert callback(method, receiver.last())[0].outcome == Outcome.PAID
