"""Payments against the local gateway simulators.

The simulators run for real (HTTP on local ports) and sign as the gateways do; their
server-to-server callbacks are captured (`callback` switch "lost") and delivered to the
app through the test client, so a test can send one 10 times, alter it or reorder it.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from motcua.catalog.selectors import procedure_get_current
from motcua.dossiers.inputs import Applicant
from motcua.dossiers.models import Dossier
from motcua.dossiers.services import dossier_file_online, dossier_receive
from motcua.payments.bills import Line
from motcua.payments.models import Attempt, Bill
from motcua.payments.services import attempt_start, bill_request
from motcua.payments.simulated import simulated_settings, simulators_start
from motcua.payments.simulators import Callback, Order

# 8.000 đồng a copy, the number of copies unknown at filing: the desk asks (status 6).
COPY = "2.000635"
SITE = "http://testserver"
ONLINE = ["vietqr", "vnpay", "payos", "dvcqg"]


@pytest.fixture
def gateways(settings) -> Iterator[dict[str, Any]]:
    sims = simulators_start(site_url=SITE)
    for name, value in simulated_settings(sims).items():
        setattr(settings, name, value)
    settings.PAY_HTTP_TIMEOUT = 2.0
    for sim in sims.values():
        sim.switches.callback = "lost"  # the tests deliver callbacks themselves
    yield sims
    for sim in sims.values():
        sim.stop()


@pytest.fixture
def citizen(demo):
    return get_user_model().objects.create_user(username="0912000111")


@pytest.fixture
def desk(officials):
    return officials["batxat.tiepnhan"]


@pytest.fixture
def fee_dossier(agencies, citizen, desk):
    """fee_dossier(amount) → a received dossier waiting for its fee (status 6)."""

    def make(amount: int = 8000) -> Dossier:
        dossier = dossier_file_online(
            procedure_version=procedure_get_current(code=COPY),
            applicant=Applicant(
                name="Lò Thị Mai",
                id_number="010190012345",
                birth_date=date(1990, 5, 17),
                phone="0912000111",
            ),
            receiving_agency=agencies["batxat_desk"],
            citizen=citizen,
        )
        dossier = dossier_receive(
            dossier=dossier, officer=desk, expected_version=dossier.lock_version
        )
        bill_request(
            dossier=dossier,
            officer=desk,
            expected_version=dossier.lock_version,
            lines=[Line("Lệ phí", amount, 1, amount)],
        )
        dossier.refresh_from_db()
        return dossier

    return make


_keys = iter(range(10**6))


def start(bill: Bill, method: str) -> Attempt:
    return attempt_start(
        bill=bill,
        method_key=method,
        idempotency_key=f"test-key-{next(_keys):06d}",
        return_url=f"{SITE}/thanh-toan/tro-ve/{method}/",
        notify_url=f"{SITE}/api/thanh-toan/{method}/thong-bao/",
    )


def settle(
    gateways: dict[str, Any], attempt: Attempt, outcome: str = "paid", amount: int | None = None
) -> Order:
    """The payer pays (or cancels) at the gateway; its callback is not sent yet."""
    sim = gateways[attempt.method]
    if attempt.method == "vietqr":
        return sim.transfer(attempt.reference, attempt.amount_vnd if amount is None else amount)
    if attempt.redirect_url:
        # The browser arrives at the gateway's page (VNPAY creates the order then).
        with urllib.request.urlopen(attempt.redirect_url, timeout=5) as page:
            assert page.status == 200
    sim.pay(attempt.reference, outcome)
    order = (
        sim.order_for(attempt.reference)
        if attempt.method == "payos"
        else sim.order(attempt.reference)
    )
    assert order is not None
    return order


def callback_of(gateways: dict[str, Any], method: str, order: Order) -> Callback:
    found = gateways[method].callback_for(order)
    assert found is not None
    return found


def deliver(client: Client, callback: Callback):
    """Send a gateway's callback to the app, as the gateway would."""
    parts = urlsplit(callback.url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = {k: v for k, v in callback.headers.items() if k.lower() != "content-type"}
    content_type = callback.headers.get("Content-Type", "application/json")
    return client.generic(
        callback.method, path, callback.body, content_type=content_type, headers=headers
    )


def accepted(method: str, response) -> bool:
    """Whether the answer is the gateway's "recorded" (it stops retrying)."""
    if method == "vnpay":
        return response.status_code == 200 and response.json()["RspCode"] in ("00", "02")
    if method == "dvcqg":
        return response.status_code == 200 and response.json()["MaLoi"] == "00"
    return response.status_code == 200 and response.json().get("success") is True


SIGNATURE_KEYS = ("vnp_SecureHash", "signature", "MaXacThuc")
AMOUNT_KEYS = ("vnp_Amount", "amount", "SoTien", "transferAmount")
REFERENCE_KEYS = ("vnp_TxnRef", "orderCode", "MaThamChieu", "content")


def _edit(obj: Any, keys: tuple[str, ...], change) -> bool:
    if isinstance(obj, dict):
        done = False
        for key in list(obj):
            if key in keys:
                obj[key] = change(obj[key])
                done = True
            elif isinstance(obj[key], dict | list):
                done = _edit(obj[key], keys, change) or done
        return done
    if isinstance(obj, list):
        return any([_edit(item, keys, change) for item in obj])
    return False


def altered(callback: Callback, what: str) -> Callback:
    """The same callback with its amount, reference or signature tampered with, or its
    signature removed."""

    def bump(value: Any) -> Any:
        return type(value)(int(value) * 2) if str(value).isdigit() else value

    def other_ref(value: Any) -> Any:
        text = str(value)
        return type(value)(text[:-1] + ("1" if text[-1] != "1" else "2"))

    def flip(value: str) -> str:
        return value[:-1] + ("0" if value[-1] != "0" else "1")

    change = {"amount": bump, "reference": other_ref, "signature": flip}.get(what)
    keys = {
        "amount": AMOUNT_KEYS,
        "reference": REFERENCE_KEYS,
        "signature": SIGNATURE_KEYS,
        "unsigned": SIGNATURE_KEYS,
    }[what]
    headers = dict(callback.headers)
    if callback.method == "GET":
        parts = urlsplit(callback.url)
        from urllib.parse import parse_qsl, urlencode

        query = dict(parse_qsl(parts.query))
        if what == "unsigned":
            query.pop("vnp_SecureHash")
        else:
            assert _edit(query, keys, change)
        url = parts._replace(query=urlencode(query)).geturl()
        return Callback(url=url, method="GET", headers=headers, body=b"")
    data = json.loads(callback.body)
    signature_header = next((h for h in headers if h.lower() == "x-signature"), None)
    if what in ("signature", "unsigned") and signature_header:
        if what == "unsigned":
            headers.pop(signature_header)
        else:
            headers[signature_header] = flip(headers[signature_header])
    elif what == "unsigned":
        assert _edit(data, keys, lambda _v: "")
    else:
        assert _edit(data, keys, change)
    return Callback(
        url=callback.url, method=callback.method, headers=headers, body=json.dumps(data).encode()
    )
