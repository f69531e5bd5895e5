"""The payOS method against its simulator: signatures, order codes, webhooks, queries."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from motcua.payments.contrib.payos import plugin as payos
from motcua.payments.contrib.payos.simulator import SAMPLE_WEBHOOK_DATA, PayosSimulator
from motcua.payments.methods.base import (
    AttemptInfo,
    CallbackRejected,
    FeeLine,
    GatewayError,
    GatewayTimeout,
    Notice,
    Outcome,
)
from tests.payments.shop import Shop, serve
from tests.payments.shop import browse as shop_browse

METHOD = payos.PayOS()
REFERENCE = "MC7K2Q9XAB12"
RETURN_URL = "https://motcua.example/thanh-toan/ve?m=payos"


def browse(url: str) -> tuple[int, str]:
    status, _location, page = shop_browse(url)
    return status, page


def attempt(**fields: Any) -> AttemptInfo:
    values: dict[str, Any] = {
        "reference": REFERENCE,
        "amount_vnd": 50_000,
        "description": "Le phi ho so H12.34-250101-0001",
        "created_at": timezone.now(),
        "lines": (FeeLine("Lệ phí", 30_000), FeeLine("Phí thẩm định", 20_000)),
    }
    values.update(fields)
    return AttemptInfo(**values)


@pytest.fixture
def shop() -> Iterator[Shop]:
    recorder = Shop(METHOD)
    yield recorder
    recorder.stop()


@pytest.fixture
def sim(shop: Shop, settings: Any) -> Iterator[PayosSimulator]:
    simulator = PayosSimulator(webhook_url=shop.url + "/payos/webhook")
    serve(simulator.server)  # what simulator.start() does, with a shorter poll
    settings.PAY_PAYOS_URL = simulator.url
    settings.PAY_PAYOS_CLIENT_ID = simulator.client_id
    settings.PAY_PAYOS_API_KEY = simulator.api_key
    settings.PAY_PAYOS_CHECKSUM_KEY = simulator.checksum_key
    settings.PAY_HTTP_TIMEOUT = 5.0
    yield simulator
    simulator.stop()


def webhook(shop: Shop) -> bytes:
    [request] = shop.requests
    assert request["path"] == "/payos/webhook"
    return request["body"]


def parse(body: bytes) -> Notice:
    [notice] = METHOD.parse_callback(http_method="POST", query={}, body=body, headers={})
    return notice


# --- signatures -----------------------------------------------------------------------


def test_create_signature_is_the_documented_string() -> None:
    data = (
        "amount=50000&cancelUrl=https://motcua.example/ve&description=MC7K2Q9XAB12"
        "&orderCode=1234567&returnUrl=https://motcua.example/ve"
    )
    assert (
        payos.request_signature(
            amount=50_000,
            cancel_url="https://motcua.example/ve",
            description=REFERENCE,
            order_code=1234567,
            return_url="https://motcua.example/ve",
            key="K",
        )
        == hmac.new(b"K", data.encode(), hashlib.sha256).hexdigest()
    )


def test_data_signature_matches_payos_published_vectors() -> None:
    # The sample of payos.vn/docs/tich-hop-webhook/kiem-tra-du-lieu-voi-signature.
    key = "1a54716c8f0efb2744fb28b6e38b25da7f67a925d98bc1c18bd8faaecadd7675"
    assert payos.data_signature(SAMPLE_WEBHOOK_DATA, key) == (
        "412e915d2871504ed31be63c8f62a149a4410d34c4c42affc9006ef9917eaa03"
    )
    # payOSHQ/payos-lib-python tests/_crypto/testCases.json: null as "", arrays as JSON.
    key = "test_checksum_key"
    pending = {
        "id": "payment-link-id",
        "orderCode": 0,
        "amount": 2000,
        "amountPaid": 0,
        "amountRemaining": 2000,
        "status": "PENDING",
        "createdAt": "2025-12-12T09:00:00+07:00",
        "transactions": [],
        "canceledAt": None,
        "cancellationReason": None,
    }
    assert payos.data_signature(pending, key) == (
        "33093364158b143baa9ecd2e705d9a2a5a5d391a3cab7cb0a371588b3731368f"
    )
    transaction = {
        "accountNumber": "0123456789",
        "amount": 2000,
        "counterAccountBankId": "01202001",
        "counterAccountBankName": None,
        "counterAccountName": "NGUYEN VAN A",
        "counterAccountNumber": "9876543210",
        "description": "TRANSACTION DESCRIPTION",
        "reference": "FT-REFERENCE",
        "transactionDateTime": "2025-12-12T09:00:00+07:00",
        "virtualAccountName": None,
        "virtualAccountNumber": None,
    }
    paid = {**pending, "amountPaid": 2000, "amountRemaining": 0, "status": "PAID"}
    paid["transactions"] = [transaction]
    assert payos.data_signature(paid, key) == (
        "6af5e2c9a28256c140169ed624114b43295915d7b6e2fa6278b17a7c43aadefd"
    )
    hook = {
        "accountNumber": "0123456789",
        "amount": 20000,
        "description": "thanh toan",
        "reference": "FT-REFERENCE",
        "transactionDateTime": "2025-12-12 09:00:00",
        "virtualAccountNumber": "",
        "counterAccountBankId": "01202001",
        "counterAccountBankName": "",
        "counterAccountName": "NGUYEN VAN A",
        "counterAccountNumber": "9876543210",
        "virtualAccountName": "",
        "currency": "VND",
        "orderCode": 0,
        "paymentLinkId": "payment-link-id",
        "code": "00",
        "desc": "success",
    }
    assert payos.data_signature(hook, key) == (
        "302b3becca1672dff99daafae2965f40e48ea3ca39453e4bf37fbcc26807a0e8"
    )


def test_data_signature_string_written_out() -> None:
    data = {"b": None, "a": 3000, "c": True, "d": [{"y": 1, "x": None}]}
    expected = 'a=3000&b=&c=true&d=[{"x":null,"y":1}]'
    assert payos.data_signature(data, "K") == (
        hmac.new(b"K", expected.encode(), hashlib.sha256).hexdigest()
    )


# --- order codes ----------------------------------------------------------------------


@given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=10, max_size=10))
def test_order_code_round_trip(tail: str) -> None:
    reference = "MC" + tail
    code = payos.order_code(reference)
    assert 0 <= code <= payos.ORDER_CODE_MAX
    assert payos.reference_for(code) == reference
    assert payos.reference_for(str(code)) == reference


@given(st.integers(min_value=0, max_value=36**10 - 1))
def test_every_order_code_below_the_bound_is_a_reference(code: int) -> None:
    assert payos.order_code(payos.reference_for(code)) == code


def test_order_code_bounds() -> None:
    assert payos.order_code("MCZZZZZZZZZZ") == 36**10 - 1 < 2**53 - 1 == payos.ORDER_CODE_MAX
    assert payos.reference_for(0) == "MC0000000000"
    for bad in ("MC123", "mc7k2q9xab12", "XX7K2Q9XAB12", "MC7K2Q9XAB1_", "MC7K2Q9XAB12 "):
        with pytest.raises(ValueError):
            payos.order_code(bad)
    for bad in (-1, 36**10, True, 1.5, "12a", None):
        with pytest.raises(ValueError):
            payos.reference_for(bad)


# --- the round trip -------------------------------------------------------------------


def test_paid_round_trip(sim: PayosSimulator, shop: Shop) -> None:
    info = attempt()
    code = payos.order_code(REFERENCE)
    assert METHOD.query(info).outcome == Outcome.PENDING  # unknown to payOS yet

    started = METHOD.start(info, return_url=RETURN_URL, notify_url="unused")
    order = sim.order_for(REFERENCE)
    assert order.extra["orderCode"] == code and order.amount_vnd == 50_000
    assert started.gateway_txn == order.gateway_txn
    assert started.redirect_url == f"{sim.url}/web/{order.gateway_txn}"
    status, page = browse(started.redirect_url)
    assert status == 200 and "50.000 VND" in page
    assert METHOD.query(info).outcome == Outcome.PENDING

    location = sim.pay(REFERENCE)
    assert location.startswith(RETURN_URL + "&")
    query = dict(parse_qsl(urlsplit(location).query))
    assert query["status"] == "PAID" and query["cancel"] == "false"
    assert query["orderCode"] == str(code) and query["id"] == order.gateway_txn
    assert METHOD.return_reference(query) == REFERENCE

    notice = parse(webhook(shop))
    assert (notice.reference, notice.outcome) == (REFERENCE, Outcome.PAID)
    assert (notice.amount_vnd, notice.currency) == (50_000, "VND")
    assert notice.gateway_txn == order.extra["reference"]
    assert abs(notice.paid_at - timezone.now()).total_seconds() < 5
    assert sim.sent == [(str(code), 200)]

    queried = METHOD.query(info)
    assert (queried.outcome, queried.amount_vnd) == (Outcome.PAID, 50_000)
    assert queried.gateway_txn == notice.gateway_txn
    assert queried.paid_at == notice.paid_at

    [row] = METHOD.statement(timezone.localdate())
    assert (row.reference, row.outcome, row.amount_vnd) == (REFERENCE, Outcome.PAID, 50_000)
    assert METHOD.statement(timezone.localdate().replace(year=2020)) == []


def test_create_request_carries_the_fee_lines_and_a_short_description(sim: PayosSimulator) -> None:
    METHOD.start(attempt(), return_url=RETURN_URL, notify_url="")
    order = sim.order_for(REFERENCE)
    assert order.extra["description"] == REFERENCE
    assert len(order.extra["description"]) <= payos.DESCRIPTION_MAX
    assert [i["price"] for i in payos.items_for(attempt())] == [30_000, 20_000]
    [whole] = payos.items_for(attempt(lines=(FeeLine("Lệ phí", 1),)))
    assert whole["price"] == 50_000


def test_repeated_create_gives_the_same_checkout_url(sim: PayosSimulator) -> None:
    first = METHOD.start(attempt(), return_url=RETURN_URL, notify_url="")
    again = METHOD.start(attempt(), return_url=RETURN_URL, notify_url="")
    assert again == first
    assert len(sim.orders) == 1


def test_create_after_a_timeout_finds_the_link_made(sim: PayosSimulator, settings: Any) -> None:
    settings.PAY_HTTP_TIMEOUT = 0.5
    sim.switches.start_next = 1
    sim.switches.start = "timeout"
    began = time.monotonic()
    with pytest.raises(GatewayTimeout):
        METHOD.start(attempt(), return_url=RETURN_URL, notify_url="")
    assert time.monotonic() - began < 3
    started = METHOD.start(attempt(), return_url=RETURN_URL, notify_url="")
    assert started.redirect_url.endswith(sim.order_for(REFERENCE).gateway_txn)


def test_create_errors(sim: PayosSimulator, settings: Any) -> None:
    sim.switches.start_next = 1
    with pytest.raises(GatewayError, match="503"):
        METHOD.start(attempt(), return_url=RETURN_URL, notify_url="")
    settings.PAY_PAYOS_CHECKSUM_KEY = "not the channel's key"
    with pytest.raises(GatewayError, match="code 201"):
        METHOD.start(attempt(), return_url=RETURN_URL, notify_url="")
    settings.PAY_PAYOS_API_KEY = "wrong"
    with pytest.raises(GatewayError, match="401"):
        METHOD.start(attempt(), return_url=RETURN_URL, notify_url="")
    with pytest.raises(GatewayError, match="not a payment reference"):
        METHOD.start(attempt(reference="X1"), return_url=RETURN_URL, notify_url="")
    assert sim.orders == {}


def test_a_cancelled_link_is_not_reused(sim: PayosSimulator) -> None:
    METHOD.start(attempt(), return_url=RETURN_URL, notify_url="")
    sim.pay(REFERENCE, "cancel")
    with pytest.raises(GatewayError, match="CANCELLED"):
        METHOD.start(attempt(), return_url=RETURN_URL, notify_url="")


def test_cancelled_payment(sim: PayosSimulator, shop: Shop) -> None:
    info = attempt()
    METHOD.start(info, return_url=RETURN_URL, notify_url="")
    location = sim.pay(REFERENCE, "cancel")
    query = dict(parse_qsl(urlsplit(location).query))
    assert (query["status"], query["cancel"]) == ("CANCELLED", "true")
    assert METHOD.return_reference(query) == REFERENCE
    assert shop.requests == []  # payOS reports payments only
    notice = METHOD.query(info)
    assert notice.outcome == Outcome.FAILED and "CANCELLED" in notice.detail


# --- forged or altered webhooks -------------------------------------------------------


@pytest.fixture
def paid_webhook(sim: PayosSimulator, shop: Shop) -> dict[str, Any]:
    METHOD.start(attempt(), return_url=RETURN_URL, notify_url="")
    sim.pay(REFERENCE)
    return json.loads(webhook(shop))


@pytest.mark.parametrize(
    "alter",
    [
        pytest.param(lambda p: p["data"].update(amount=5_000), id="amount"),
        pytest.param(lambda p: p["data"].update(orderCode=1), id="order-code"),
        pytest.param(lambda p: p["data"].update(currency="USD"), id="currency"),
        pytest.param(lambda p: p.update(signature="0" * 64), id="wrong-signature"),
        pytest.param(lambda p: p.pop("signature"), id="missing-signature"),
        pytest.param(lambda p: p["data"].update(extra=None), id="added-field"),
    ],
)
def test_altered_webhook_is_rejected(paid_webhook: dict[str, Any], alter: Any) -> None:
    assert parse(json.dumps(paid_webhook).encode()).outcome == Outcome.PAID
    alter(paid_webhook)
    with pytest.raises(CallbackRejected) as caught:
        parse(json.dumps(paid_webhook).encode())
    assert payos.reason_key(caught.value.reason) == payos.REASON_SIGNATURE


def test_webhook_signed_with_another_key_or_malformed_is_rejected(
    sim: PayosSimulator, paid_webhook: dict[str, Any]
) -> None:
    data = paid_webhook["data"]
    forged = {**paid_webhook, "signature": payos.data_signature(data, "another key")}
    with pytest.raises(CallbackRejected, match=r"^signature"):
        parse(json.dumps(forged).encode())
    resigned = {**data, "amount": "50000"}
    body = {"data": resigned, "signature": payos.data_signature(resigned, sim.checksum_key)}
    with pytest.raises(CallbackRejected, match=r"^amount"):
        parse(json.dumps(body).encode())
    resigned = {**data, "orderCode": 36**10}
    body = {"data": resigned, "signature": payos.data_signature(resigned, sim.checksum_key)}
    with pytest.raises(CallbackRejected, match=r"^not_found"):
        parse(json.dumps(body).encode())
    for bad in (b"not json", b"[]", b'{"data": 1}'):
        with pytest.raises(CallbackRejected, match=r"^error"):
            parse(bad)


def test_callback_answers() -> None:
    ok = METHOD.callback_answer(accepted=True)
    assert (ok.status, json.loads(ok.body)) == (200, {"success": True})
    bad = METHOD.callback_answer(accepted=False, reason="signature: does not match")
    assert bad.status == 400
    assert json.loads(bad.body) == {"success": False, "message": "signature: does not match"}
    assert METHOD.callback_answer(accepted=False, reason=payos.REASON_AMOUNT).status == 400
    assert METHOD.callback_answer(accepted=False, reason=payos.REASON_ERROR).status == 400
    # Resending cannot change these; payOS's sample webhook must get a 2XX.
    assert METHOD.callback_answer(accepted=False, reason=payos.REASON_ALREADY).status == 200
    assert METHOD.callback_answer(accepted=False, reason=payos.REASON_NOT_FOUND).status == 200


def test_confirm_webhook_sends_payos_sample(sim: PayosSimulator, shop: Shop) -> None:
    request = urllib.request.Request(
        sim.url + "/confirm-webhook",
        data=json.dumps({"webhookUrl": shop.url + "/other"}).encode(),
        headers={"x-client-id": sim.client_id, "x-api-key": sim.api_key},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        assert json.loads(reply.read())["code"] == "00"
    assert sim.webhook_url == shop.url + "/other"
    notice = parse(shop.requests[0]["body"])
    assert notice.reference == payos.reference_for(123)


# --- the simulator's switches ---------------------------------------------------------


def test_lost_webhook_can_be_sent_later(sim: PayosSimulator, shop: Shop) -> None:
    sim.switches.callback = "lost"
    METHOD.start(attempt(), return_url=RETURN_URL, notify_url="")
    sim.pay(REFERENCE)
    assert shop.requests == []
    callback = sim.callback_for(sim.order_for(REFERENCE))
    assert callback.send()[0] == 200
    assert parse(webhook(shop)).outcome == Outcome.PAID


def test_query_switches(sim: PayosSimulator, settings: Any) -> None:
    info = attempt()
    METHOD.start(info, return_url=RETURN_URL, notify_url="")
    sim.pay(REFERENCE)
    sim.switches.query_pending = True
    assert METHOD.query(info).outcome == Outcome.PENDING
    sim.switches.query_pending = False
    sim.switches.query_next = 1
    with pytest.raises(GatewayError, match="503"):
        METHOD.query(info)
    assert METHOD.query(info).outcome == Outcome.PAID
    settings.PAY_HTTP_TIMEOUT = 0.5
    sim.switches.query = "timeout"
    began = time.monotonic()
    with pytest.raises(GatewayTimeout):
        METHOD.query(info)
    assert time.monotonic() - began < 3


def test_answers_signed_with_another_key_are_errors(sim: PayosSimulator) -> None:
    info = attempt()
    METHOD.start(info, return_url=RETURN_URL, notify_url="")
    sim.pay(REFERENCE)
    sim.checksum_key = "not the shop's key"
    with pytest.raises(GatewayError, match="signature"):
        METHOD.query(info)
    with pytest.raises(GatewayError, match="signature"):
        METHOD.statement(timezone.localdate())


def test_configured(settings: Any) -> None:
    for name in ("PAY_PAYOS_URL", "PAY_PAYOS_CLIENT_ID", "PAY_PAYOS_API_KEY"):
        setattr(settings, name, "x")
    settings.PAY_PAYOS_CHECKSUM_KEY = ""
    assert not METHOD.configured()
    settings.PAY_PAYOS_CHECKSUM_KEY = "x"
    assert METHOD.configured()
    assert (METHOD.key, METHOD.kind, METHOD.platform) == ("payos", "redirect", "province")


def test_checkout_url_of_an_existing_link_in_production(settings: Any) -> None:
    settings.PAY_PAYOS_URL = "https://api-merchant.payos.vn"
    assert METHOD._checkout_url({"id": "abc"}) == "https://pay.payos.vn/web/abc"
