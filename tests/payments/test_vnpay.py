"""The VNPAY method against its simulator: signing, IPN checks, querydr, statement."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.utils import timezone

from motcua.payments.contrib.vnpay import plugin as vnpay
from motcua.payments.contrib.vnpay.simulator import VnpaySimulator
from motcua.payments.methods.base import (
    AttemptInfo,
    CallbackRejected,
    GatewayError,
    GatewayTimeout,
    Outcome,
)
from tests.payments.shop import Shop, browse, serve

METHOD = vnpay.Vnpay()
REFERENCE = "MC7K2Q9XAB12"
RETURN_URL = "https://motcua.example/thanh-toan/ve?m=vnpay"


def attempt(**fields: Any) -> AttemptInfo:
    values: dict[str, Any] = {
        "reference": REFERENCE,
        "amount_vnd": 50_000,
        "description": "Lệ phí hồ sơ H12.34-250101-0001",
        "created_at": timezone.now(),
        "client_ip": "203.0.113.7",
    }
    values.update(fields)
    return AttemptInfo(**values)


@pytest.fixture
def shop() -> Iterator[Shop]:
    recorder = Shop(METHOD)
    yield recorder
    recorder.stop()


@pytest.fixture
def sim(shop: Shop, settings: Any) -> Iterator[VnpaySimulator]:
    simulator = VnpaySimulator(ipn_url=shop.url + "/vnpay/ipn")
    serve(simulator.server)  # what simulator.start() does, with a shorter poll
    settings.PAY_VNPAY_URL = simulator.payment_url
    settings.PAY_VNPAY_API_URL = simulator.api_url
    settings.PAY_VNPAY_TMN_CODE = simulator.tmn_code
    settings.PAY_VNPAY_HASH_SECRET = simulator.hash_secret
    settings.PAY_HTTP_TIMEOUT = 5.0
    yield simulator
    simulator.stop()


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def ipn(shop: Shop) -> dict[str, str]:
    [request] = shop.requests
    assert (request["method"], request["path"]) == ("GET", "/vnpay/ipn")
    return request["query"]


def parse(query: dict[str, str]) -> vnpay.Notice:
    [notice] = METHOD.parse_callback(http_method="GET", query=query, body=b"", headers={})
    return notice


def resign(query: dict[str, str], secret: str) -> dict[str, str]:
    params = vnpay.hashed_params(query)
    return {**params, "vnp_SecureHash": vnpay.sign_params(params, secret)}


# --- signing --------------------------------------------------------------------------


def test_payment_url_is_signed_as_vnpays_samples_sign_it(settings: Any) -> None:
    settings.PAY_VNPAY_URL = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"
    settings.PAY_VNPAY_API_URL = "https://sandbox.vnpayment.vn/merchant_webapi/api/transaction"
    settings.PAY_VNPAY_TMN_CODE = "DEMOV210"
    settings.PAY_VNPAY_HASH_SECRET = "SECRETKEY0123456789"
    created = datetime(2031, 8, 1, 15, 33, 33, tzinfo=vnpay.LOCAL_TZ)  # later than now
    started = METHOD.start(
        attempt(created_at=created, amount_vnd=18_060, description="Thanh toán đơn hàng :5"),
        return_url="https://domainmerchant.vn/ReturnUrl",
        notify_url="ignored",
    )
    base, _, query = started.redirect_url.partition("?")
    assert base == "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"
    unsigned, _, secure_hash = query.rpartition("&vnp_SecureHash=")
    # Sorted by name, values quote_plus-encoded (VNPAY's Python sample), written out.
    expected = (
        "vnp_Amount=1806000&vnp_Command=pay&vnp_CreateDate=20310801153333"
        "&vnp_CurrCode=VND&vnp_ExpireDate=20310801154833&vnp_IpAddr=203.0.113.7"
        "&vnp_Locale=vn&vnp_OrderInfo=Thanh+toan+don+hang+5&vnp_OrderType=other"
        "&vnp_ReturnUrl=https%3A%2F%2Fdomainmerchant.vn%2FReturnUrl&vnp_TmnCode=DEMOV210"
        f"&vnp_TxnRef={REFERENCE}&vnp_Version=2.1.0"
    )
    assert unsigned == expected
    assert secure_hash == hmac.new(b"SECRETKEY0123456789", expected.encode(), "sha512").hexdigest()
    assert started.gateway_txn == ""


def test_querydr_hash_covers_the_documented_fields_in_order() -> None:
    values = ["REQ1", "2.1.0", "querydr", "DEMOV210", "MC1", "20310801153333", "20310801160000"]
    values += ["127.0.0.1", "Truy van"]
    data = "REQ1|2.1.0|querydr|DEMOV210|MC1|20310801153333|20310801160000|127.0.0.1|Truy van"
    assert (
        vnpay.sign_fields(values, "K") == hmac.new(b"K", data.encode(), hashlib.sha512).hexdigest()
    )


def test_callback_answers_are_vnpays_rspcodes() -> None:
    def answer(accepted: bool, reason: str = "") -> dict[str, str]:
        reply = METHOD.callback_answer(accepted=accepted, reason=reason)
        assert reply.status == 200
        return json.loads(reply.body)

    assert answer(True) == {"RspCode": "00", "Message": "Confirm Success"}
    assert answer(False, vnpay.REASON_SIGNATURE)["RspCode"] == "97"
    assert answer(False, "signature: vnp_SecureHash does not match.")["RspCode"] == "97"
    assert answer(False, vnpay.REASON_NOT_FOUND)["RspCode"] == "01"
    assert answer(False, vnpay.REASON_AMOUNT)["RspCode"] == "04"
    assert answer(False, vnpay.REASON_ALREADY)["RspCode"] == "02"
    assert answer(False, vnpay.REASON_ERROR)["RspCode"] == "99"
    assert answer(False, "something else")["RspCode"] == "99"


# --- the round trip -------------------------------------------------------------------


def test_paid_round_trip(sim: VnpaySimulator, shop: Shop) -> None:
    info = attempt()
    started = METHOD.start(info, return_url=RETURN_URL, notify_url="unused")
    assert METHOD.query(info).outcome == Outcome.PENDING  # VNPAY: 91, not seen yet

    status, _, page = browse(started.redirect_url)
    assert status == 200 and "50.000 VND" in page and REFERENCE in page
    assert METHOD.query(info).outcome == Outcome.PENDING  # seen, not paid

    status, location, _ = browse(f"{sim.base_url}/_simulator/pay/{REFERENCE}", {"outcome": "paid"})
    assert status == 303 and location.startswith(RETURN_URL + "&vnp_")
    assert METHOD.return_reference(query_of(location)) == REFERENCE

    notice = parse(ipn(shop))
    assert notice.reference == REFERENCE
    assert notice.outcome == Outcome.PAID
    assert notice.amount_vnd == 50_000 and notice.currency == "VND"
    assert notice.gateway_txn == sim.order(REFERENCE).gateway_txn
    assert notice.paid_at is not None and abs(notice.paid_at - timezone.now()).total_seconds() < 5
    assert sim.sent == [(REFERENCE, 200)]
    # The browser comes back with the IPN's signed query (after the return URL's own).
    assert replace(parse(query_of(location)), raw={}) == replace(notice, raw={})

    queried = METHOD.query(info)
    assert (queried.outcome, queried.amount_vnd) == (Outcome.PAID, 50_000)
    assert queried.gateway_txn == notice.gateway_txn
    assert queried.paid_at == notice.paid_at

    [row] = METHOD.statement(timezone.localdate())
    assert (row.reference, row.outcome, row.amount_vnd) == (REFERENCE, Outcome.PAID, 50_000)
    assert METHOD.statement(timezone.localdate().replace(year=2020)) == []


def test_cancelled_payment_is_a_failed_notice(sim: VnpaySimulator, shop: Shop) -> None:
    info = attempt()
    browse(METHOD.start(info, return_url=RETURN_URL, notify_url="").redirect_url)
    location = sim.pay(REFERENCE, "cancel")
    notice = parse(ipn(shop))
    assert notice.outcome == Outcome.FAILED
    assert "vnp_ResponseCode=24" in notice.detail
    assert notice.paid_at is None
    assert query_of(location)["vnp_ResponseCode"] == "24"
    assert METHOD.query(info).outcome == Outcome.FAILED
    assert METHOD.statement(timezone.localdate()) == []


def test_suspected_fraud_is_not_a_failure(sim: VnpaySimulator) -> None:
    # 07: the money is taken and held until the merchant decides.
    query = {
        "vnp_Amount": "5000000",
        "vnp_ResponseCode": "07",
        "vnp_TmnCode": sim.tmn_code,
        "vnp_TransactionNo": "14000001",
        "vnp_TransactionStatus": "07",
        "vnp_TxnRef": REFERENCE,
        "vnp_PayDate": "20310801153333",
    }
    assert parse(resign(query, sim.hash_secret)).outcome == Outcome.PENDING


# --- forged or altered notifications --------------------------------------------------


@pytest.fixture
def paid_ipn(sim: VnpaySimulator, shop: Shop) -> dict[str, str]:
    browse(METHOD.start(attempt(), return_url=RETURN_URL, notify_url="").redirect_url)
    sim.pay(REFERENCE)
    return ipn(shop)


@pytest.mark.parametrize(
    "alter",
    [
        pytest.param(lambda q: q.update(vnp_Amount="100"), id="amount"),
        pytest.param(lambda q: q.update(vnp_TxnRef="MC0000000002"), id="reference"),
        pytest.param(
            lambda q: q.update(vnp_ResponseCode="00", vnp_TransactionStatus="01"), id="status"
        ),
        pytest.param(lambda q: q.update(vnp_SecureHash="0" * 128), id="wrong-hash"),
        pytest.param(lambda q: q.pop("vnp_SecureHash"), id="missing-hash"),
        pytest.param(lambda q: q.update(vnp_Extra="1"), id="added-param"),
    ],
)
def test_altered_ipn_is_rejected(paid_ipn: dict[str, str], alter: Any) -> None:
    assert parse(paid_ipn).outcome == Outcome.PAID
    query = dict(paid_ipn)
    alter(query)
    with pytest.raises(CallbackRejected) as caught:
        parse(query)
    assert vnpay.reason_key(caught.value.reason) == vnpay.REASON_SIGNATURE


def test_ipn_signed_with_another_secret_is_rejected(paid_ipn: dict[str, str]) -> None:
    with pytest.raises(CallbackRejected, match=r"^signature"):
        parse(resign(paid_ipn, "another secret"))


def test_ipn_for_another_merchant_or_with_a_broken_amount_is_rejected(
    sim: VnpaySimulator, paid_ipn: dict[str, str]
) -> None:
    with pytest.raises(CallbackRejected, match=r"^error: vnp_TmnCode"):
        parse(resign({**paid_ipn, "vnp_TmnCode": "OTHER001"}, sim.hash_secret))
    for amount in ("5000050", "-5000000", "5e6", ""):
        with pytest.raises(CallbackRejected, match=r"^amount"):
            parse(resign({**paid_ipn, "vnp_Amount": amount}, sim.hash_secret))
    with pytest.raises(CallbackRejected, match=r"^error"):
        METHOD.parse_callback(http_method="POST", query=paid_ipn, body=b"", headers={})


def test_tampered_payment_url_gets_vnpays_error_page(sim: VnpaySimulator) -> None:
    url = METHOD.start(attempt(), return_url=RETURN_URL, notify_url="").redirect_url
    status, _, page = browse(url.replace("vnp_Amount=5000000", "vnp_Amount=500000"))
    assert status == 400 and "97" in page
    assert sim.order(REFERENCE) is None


# --- the simulator's switches ---------------------------------------------------------


def test_lost_ipn_can_be_sent_later(sim: VnpaySimulator, shop: Shop) -> None:
    sim.switches.callback = "lost"
    browse(METHOD.start(attempt(), return_url=RETURN_URL, notify_url="").redirect_url)
    location = sim.pay(REFERENCE)
    assert shop.requests == []
    assert parse(query_of(location)).outcome == Outcome.PAID  # the browser still comes back
    callback = sim.callback_for(sim.order(REFERENCE))
    assert callback.send() == (200, METHOD.callback_answer(accepted=True).body)
    assert parse(ipn(shop)).outcome == Outcome.PAID


def test_repeated_ipn(sim: VnpaySimulator, shop: Shop) -> None:
    sim.switches.callback_repeat = 2
    browse(METHOD.start(attempt(), return_url=RETURN_URL, notify_url="").redirect_url)
    sim.pay(REFERENCE)
    first, second = shop.requests
    assert first["query"] == second["query"]


def test_query_pending_switch_and_errors(sim: VnpaySimulator) -> None:
    info = attempt()
    browse(METHOD.start(info, return_url=RETURN_URL, notify_url="").redirect_url)
    sim.pay(REFERENCE)
    sim.switches.query_pending = True
    assert METHOD.query(info).outcome == Outcome.PENDING
    sim.switches.query_pending = False
    sim.switches.query_next = 1
    with pytest.raises(GatewayError, match="99"):
        METHOD.query(info)
    assert METHOD.query(info).outcome == Outcome.PAID


def test_query_timeout_is_quick(sim: VnpaySimulator, settings: Any) -> None:
    settings.PAY_HTTP_TIMEOUT = 0.5
    sim.switches.query = "timeout"
    began = time.monotonic()
    with pytest.raises(GatewayTimeout):
        METHOD.query(attempt())
    assert time.monotonic() - began < 3


def test_query_answer_with_a_wrong_signature_is_an_error(sim: VnpaySimulator) -> None:
    info = attempt()
    browse(METHOD.start(info, return_url=RETURN_URL, notify_url="").redirect_url)
    sim.hash_secret = "not the shop's secret"
    with pytest.raises(GatewayError, match="vnp_SecureHash"):
        METHOD.query(info)
    with pytest.raises(GatewayError):
        METHOD.statement(timezone.localdate())


def test_query_of_an_attempt_made_at_another_time_is_not_found(sim: VnpaySimulator) -> None:
    info = attempt()
    browse(METHOD.start(info, return_url=RETURN_URL, notify_url="").redirect_url)
    sim.pay(REFERENCE)
    other = attempt(created_at=info.created_at.replace(year=2020))
    assert METHOD.query(other).outcome == Outcome.PENDING


def test_configured(settings: Any) -> None:
    for name in ("PAY_VNPAY_URL", "PAY_VNPAY_API_URL", "PAY_VNPAY_TMN_CODE"):
        setattr(settings, name, "x")
    settings.PAY_VNPAY_HASH_SECRET = ""
    assert not METHOD.configured()
    settings.PAY_VNPAY_HASH_SECRET = "x"
    assert METHOD.configured()
    assert (METHOD.key, METHOD.kind, METHOD.platform) == ("vnpay", "redirect", "province")
