"""VietQR: the EMVCo payload, the signed transfer webhook, the statement API, and the
local bank simulator speaking them. No database: the plugin never touches it."""

from __future__ import annotations

import binascii
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from motcua.payments.contrib.vietqr import emvco
from motcua.payments.contrib.vietqr.plugin import (
    LOCAL_TZ,
    VietQR,
    find_reference,
    sign,
)
from motcua.payments.contrib.vietqr.simulator import BankSimulator
from motcua.payments.methods.base import (
    AttemptInfo,
    CallbackRejected,
    GatewayError,
    GatewayTimeout,
    Outcome,
)
from motcua.payments.simulators import Order

BIN = "970415"
ACCOUNT = "113366668888"
SECRET = "test-webhook-secret"
REF = "MC7K2Q9XAB12"

# Published VietQR strings (READMEs of liopayvn/vietqr-php and duyquoc1508/napas-qr,
# the latter the NAPAS specification's IBFT example with bill number NPS6869).
LIOPAY_SAMPLE = (
    "00020101021238540010A00000072701240006970436011010175956000208QRIBFTTA"
    "530370454061800005802VN62230819thanh toan don hang630470FA"
)
NAPAS_SAMPLE = (
    "00020101021238530010A0000007270123000697041601092245284790208QRIBFTTA"
    "53037045405100005802VN62340107NPS68690819TRANSFER TO SOMEONE6304AC13"
)


def crc_independent(payload: str) -> str:
    """binascii.crc_hqx with init 0xFFFF is CRC-16/CCITT-FALSE."""
    return f"{binascii.crc_hqx(payload[:-4].encode('ascii'), 0xFFFF):04X}"


def attempt(reference: str = REF, amount_vnd: int = 50_000) -> AttemptInfo:
    return AttemptInfo(
        reference=reference,
        amount_vnd=amount_vnd,
        description="Le phi ho so H12.34-250101-0001",
        created_at=datetime(2025, 1, 1, 8, 0, tzinfo=UTC),
    )


@pytest.fixture
def vietqr(settings: Any) -> VietQR:
    settings.PAY_VIETQR_BANK_BIN = BIN
    settings.PAY_VIETQR_ACCOUNT = ACCOUNT
    settings.PAY_VIETQR_ACCOUNT_NAME = "UBND TINH MO PHONG"
    settings.PAY_VIETQR_WEBHOOK_SECRET = SECRET
    return VietQR()


def webhook(**changes: Any) -> dict[str, Any]:
    data = {
        "id": 92704,
        "gateway": "VietinBank",
        "transactionDate": "2025-03-25 14:02:37",
        "accountNumber": ACCOUNT,
        "content": f"{REF} Le phi ho so",
        "transferType": "in",
        "transferAmount": 50_000,
        "referenceCode": "FT25084123456",
    }
    data.update(changes)
    return data


def signed(data: dict[str, Any], secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(data).encode()
    return body, {"Content-Type": "application/json", "X-Signature": sign(body, secret)}


def parse(method: VietQR, body: bytes, headers: dict[str, str]) -> list:
    return method.parse_callback(http_method="POST", query={}, body=body, headers=headers)


# --- the payload ---------------------------------------------------------------------


def test_crc_is_ccitt_false() -> None:
    assert emvco.crc16_ccitt_false(b"123456789") == 0x29B1  # the standard check value
    assert binascii.crc_hqx(b"123456789", 0xFFFF) == 0x29B1


def test_published_samples_are_reproduced_and_decoded() -> None:
    assert crc_independent(LIOPAY_SAMPLE) == LIOPAY_SAMPLE[-4:]
    assert crc_independent(NAPAS_SAMPLE) == NAPAS_SAMPLE[-4:]
    built = emvco.build_payload(
        bank_bin="970436",
        account="1017595600",
        amount_vnd=180_000,
        purpose="thanh toan don hang",
    )
    assert built == LIOPAY_SAMPLE
    napas = emvco.decode(NAPAS_SAMPLE)
    assert (napas["bank_bin"], napas["account"], napas["amount_vnd"]) == (
        "970416",
        "224528479",
        10_000,
    )
    assert napas["service"] == "QRIBFTTA"
    assert napas["purpose"] == "TRANSFER TO SOMEONE"
    assert napas["tags"]["62"]["01"] == "NPS6869"  # bill number, nested


def test_payload_for_a_bill(vietqr: VietQR) -> None:
    started = vietqr.start(attempt(), return_url="https://x/return?ref=" + REF, notify_url="")
    show = started.show
    assert set(show) == {
        "payload",
        "svg",
        "bank_bin",
        "bank_name",
        "account",
        "account_name",
        "amount_vnd",
        "reference",
    }
    assert show["bank_name"] == "VietinBank"
    payload = show["payload"]
    assert payload[-4:] == crc_independent(payload)
    fields = emvco.decode(payload)
    assert fields["bank_bin"] == BIN
    assert fields["account"] == ACCOUNT
    assert fields["amount_vnd"] == 50_000
    assert fields["initiation"] == "12"
    assert (fields["currency"], fields["country"]) == ("704", "VN")
    assert fields["purpose"].startswith(REF + " ")
    assert len(fields["purpose"]) <= 25
    assert find_reference(fields["purpose"]) == REF


def test_unknown_bin_is_shown_as_such(vietqr: VietQR, settings: Any) -> None:
    settings.PAY_VIETQR_BANK_BIN = "970999"
    assert vietqr.start(attempt(), return_url="", notify_url="").show["bank_name"] == "970999"


def test_decode_rejects_damaged_payloads() -> None:
    with pytest.raises(ValueError, match="CRC mismatch"):
        emvco.decode(LIOPAY_SAMPLE[:-4] + "0000")
    with pytest.raises(ValueError, match="CRC mismatch"):
        emvco.decode(LIOPAY_SAMPLE.replace("180000", "880000"))
    with pytest.raises(ValueError, match="CRC"):
        emvco.decode(LIOPAY_SAMPLE[:-8])
    body = "000201010212" + "5303704" + "6304"
    with pytest.raises(ValueError, match="tag 38"):
        emvco.decode(body + crc_independent(body + "XXXX"))
    body = "0002010102125303" + "6304"  # 53 claims 3 characters, gets the CRC tag
    with pytest.raises(ValueError, match=r"malformed|cut short"):
        emvco.decode(body + crc_independent(body + "XXXX"))


@pytest.mark.parametrize(
    "changes",
    [
        {"bank_bin": "97041"},
        {"account": "12345678901234567890"},
        {"account": "12 34"},
        {"amount_vnd": 0},
        {"amount_vnd": 1.5},
        {"purpose": "x" * 26},
        {"purpose": "Lệ phí"},
    ],
)
def test_build_rejects_what_the_spec_does_not_allow(changes: dict[str, Any]) -> None:
    values: dict[str, Any] = {
        "bank_bin": BIN,
        "account": ACCOUNT,
        "amount_vnd": 1000,
        "purpose": REF,
    }
    with pytest.raises(ValueError):
        emvco.build_payload(**{**values, **changes})


def test_svg(vietqr: VietQR) -> None:
    show = vietqr.start(attempt(), return_url="", notify_url="").show
    svg = show["svg"]
    assert svg.startswith("<svg ") and "<?xml" not in svg
    assert 'aria-label="' in svg and "<title>" in svg
    width = int(svg.split('width="', 1)[1].split('"', 1)[0])
    assert 200 <= width <= 300
    assert emvco.decode(show["payload"])["amount_vnd"] == 50_000


# --- the webhook ---------------------------------------------------------------------


def test_configured(vietqr: VietQR, settings: Any) -> None:
    assert vietqr.configured()
    settings.PAY_VIETQR_WEBHOOK_SECRET = ""
    assert not vietqr.configured()


def test_valid_webhook_is_accepted(vietqr: VietQR) -> None:
    [notice] = parse(vietqr, *signed(webhook()))
    assert notice.reference == REF
    assert notice.outcome == Outcome.PAID
    assert notice.amount_vnd == 50_000
    assert notice.gateway_txn == "92704"
    assert notice.paid_at == datetime(2025, 3, 25, 14, 2, 37, tzinfo=LOCAL_TZ)
    assert notice.paid_at.utcoffset().total_seconds() == 7 * 3600
    answer = vietqr.callback_answer(accepted=True)
    assert (answer.status, json.loads(answer.body)) == (200, {"success": True})


def test_django_meta_style_header_is_read(vietqr: VietQR) -> None:
    body, headers = signed(webhook())
    assert parse(vietqr, body, {"HTTP_X_SIGNATURE": headers["X-Signature"]})


def test_forged_altered_or_unsigned_webhooks_are_rejected(vietqr: VietQR) -> None:
    body, headers = signed(webhook(), secret="not-the-secret")
    with pytest.raises(CallbackRejected, match="does not match"):
        parse(vietqr, body, headers)
    body, headers = signed(webhook())
    altered = body.replace(b"50000", b"5000000")
    with pytest.raises(CallbackRejected, match="does not match"):
        parse(vietqr, altered, headers)
    with pytest.raises(CallbackRejected, match="No X-Signature"):
        parse(vietqr, body, {"Content-Type": "application/json"})
    answer = vietqr.callback_answer(accepted=False, reason="bad signature")
    assert answer.status == 400
    assert json.loads(answer.body) == {"success": False, "message": "bad signature"}


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (webhook(accountNumber="999999999"), "not ours"),
        (webhook(transferAmount="50000"), "transferAmount"),
        (webhook(transferType="sideways"), "transferType"),
        (webhook(transactionDate="25/03/2025"), "transactionDate"),
        (webhook(id=None), "id"),
    ],
)
def test_malformed_webhooks_are_rejected(vietqr: VietQR, data: dict, reason: str) -> None:
    with pytest.raises(CallbackRejected, match=reason):
        parse(vietqr, *signed(data))


def test_non_json_body_is_rejected(vietqr: VietQR) -> None:
    body = b"id=1&content=x"
    with pytest.raises(CallbackRejected, match="not JSON"):
        parse(vietqr, body, {"X-Signature": sign(body, SECRET)})


def test_money_going_out_is_ignored(vietqr: VietQR) -> None:
    assert parse(vietqr, *signed(webhook(transferType="out"))) == []


@pytest.mark.parametrize(
    ("content", "found"),
    [
        ("chuyen tien mc7k2q9xab12 le phi", REF),
        ("MBVCB.3278907687.MC7K2Q9XAB12.CT tu 0123 NGUYEN VAN A", REF),
        ("MC7K2-Q9XAB 12 le phi", REF),  # split up by the payer's bank
        ("chuyen tien\nmc7k2q9x\nab12", REF),
        ("HOMC7K2Q9XAB12", ""),  # not at the start of a word
        ("NGUYEN VAN A chuyen tien", ""),
        ("MC7K2Q9XAB1", ""),  # one character short
    ],
)
def test_reference_in_messy_content(content: str, found: str) -> None:
    assert find_reference(content) == found


def test_transfer_without_reference_is_reported_unmatched(vietqr: VietQR) -> None:
    [notice] = parse(vietqr, *signed(webhook(content="NGUYEN VAN A chuyen tien")))
    assert notice.reference == ""
    assert notice.outcome == Outcome.PAID and notice.amount_vnd == 50_000


def test_return_reference(vietqr: VietQR) -> None:
    assert vietqr.return_reference({"ref": REF}) == REF
    assert vietqr.return_reference({}) == ""


# --- against the simulated bank ------------------------------------------------------


class Recorder:
    """The shop's webhook endpoint: records each request and answers success."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                recorder.requests.append((self.path, dict(self.headers), body))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "17")
                self.end_headers()
                self.wfile.write(b'{"success": true}')

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/payments/notify/vietqr"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    shop = Recorder()
    try:
        yield shop
    finally:
        shop.stop()


@pytest.fixture
def bank(vietqr: VietQR, settings: Any, recorder: Recorder) -> Iterator[BankSimulator]:
    simulator = BankSimulator(
        bank_bin=BIN, account=ACCOUNT, secret=SECRET, notify_url=recorder.url
    ).start()
    settings.PAY_VIETQR_STATEMENT_URL = simulator.statement_url
    settings.PAY_HTTP_TIMEOUT = 5.0
    try:
        yield simulator
    finally:
        simulator.stop()


def test_simulated_transfer_notifies_the_shop(
    vietqr: VietQR, bank: BankSimulator, recorder: Recorder
) -> None:
    bank.transfer(REF, 50_000, content="chuyen tien mc7k2q9xab12 le phi")
    [(path, headers, body)] = recorder.requests
    assert path == "/payments/notify/vietqr"
    [notice] = parse(vietqr, body, headers)
    assert (notice.reference, notice.amount_vnd, notice.outcome) == (REF, 50_000, "paid")
    assert notice.gateway_txn == bank.order(REF).gateway_txn
    assert bank.sent == [(REF, 200)]


def test_simulated_wrong_amount_is_still_reported(
    vietqr: VietQR, bank: BankSimulator, recorder: Recorder
) -> None:
    bank.transfer(REF, 5_000)
    [(_path, headers, body)] = recorder.requests
    [notice] = parse(vietqr, body, headers)
    assert notice.amount_vnd == 5_000


def test_simulator_switches_for_callbacks(bank: BankSimulator, recorder: Recorder) -> None:
    bank.switches.configure({"callback": "lost"})
    bank.transfer(REF, 50_000)
    assert recorder.requests == []
    bank.switches.configure({"callback": "now", "callback_repeat": 2})
    bank.transfer("MCAAAAAAAAAA", 50_000)
    assert len(recorder.requests) == 2
    assert recorder.requests[0][2] == recorder.requests[1][2]  # the same transfer twice


def test_query_pending_before_and_paid_after(vietqr: VietQR, bank: BankSimulator) -> None:
    assert vietqr.query(attempt()).outcome == Outcome.PENDING
    bank.transfer(REF, 50_000, content=f"CT {REF.lower()} le phi")
    notice = vietqr.query(attempt())
    assert (notice.outcome, notice.amount_vnd, notice.reference) == ("paid", 50_000, REF)
    bank.switches.configure({"query_pending": True})
    assert vietqr.query(attempt()).outcome == Outcome.PENDING


def test_statement_of_a_day(vietqr: VietQR, bank: BankSimulator) -> None:
    bank.transfer(REF, 50_000)
    bank.transfer("khong co ma", 20_000)
    today = datetime.now(LOCAL_TZ).date()
    notices = vietqr.statement(today)
    assert sorted((n.reference, n.amount_vnd) for n in notices) == [("", 20_000), (REF, 50_000)]
    assert vietqr.statement(date(2001, 1, 1)) == []


def test_query_timeout_and_error(vietqr: VietQR, bank: BankSimulator, settings: Any) -> None:
    settings.PAY_HTTP_TIMEOUT = 0.5
    bank.switches.configure({"query": "timeout"})
    with pytest.raises(GatewayTimeout):
        vietqr.query(attempt())
    bank.switches.configure({"query": "error"})
    with pytest.raises(GatewayError) as failure:
        vietqr.query(attempt())
    assert not isinstance(failure.value, GatewayTimeout)


def test_statement_api_wants_the_secret(vietqr: VietQR, bank: BankSimulator, settings: Any) -> None:
    settings.PAY_VIETQR_WEBHOOK_SECRET = "wrong"
    with pytest.raises(GatewayError, match="401"):
        vietqr.query(attempt())


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_banking_app_page_pays_the_scanned_code(
    vietqr: VietQR, bank: BankSimulator, recorder: Recorder
) -> None:
    payload = vietqr.start(attempt(), return_url="", notify_url="").show["payload"]
    back = "http://shop.test/pay/return?ref=" + REF
    with urllib.request.urlopen(bank.pay_url(REF, payload=payload, return_url=back)) as page:
        text = page.read().decode()
    assert "Chuyển khoản" in text and "50.000 VND" in text
    form = dict(
        (name, value)
        for name, value in (
            (part.split("name='")[1].split("'")[0], part.split("value='")[1].split("'")[0])
            for part in text.split("<input")[1:]
        )
    )
    data = urllib.parse.urlencode(form).encode()
    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as answer:
        opener.open(urllib.request.Request(bank.pay_url(REF), data=data))
    assert answer.value.code == 303
    assert answer.value.headers["Location"] == back
    assert vietqr.return_reference(dict(parse_qsl(urlsplit(back).query))) == REF
    [(_path, headers, body)] = recorder.requests
    [notice] = parse(vietqr, body, headers)
    assert (notice.reference, notice.amount_vnd) == (REF, 50_000)


def test_banking_app_page_uses_a_registered_order(bank: BankSimulator) -> None:
    bank.order_add(Order(reference=REF, amount_vnd=70_000, return_url="http://shop.test/r"))
    with urllib.request.urlopen(bank.pay_url(REF)) as page:
        assert "70.000 VND" in page.read().decode()
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(bank.pay_url("MCZZZZZZZZZZ"))
    assert missing.value.code == 404
