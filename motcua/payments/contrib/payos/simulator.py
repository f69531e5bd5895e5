"""A local payOS speaking what the payos plugin speaks, for the demo and the tests.

Every API call must carry the channel's x-client-id and x-api-key (else HTTP 401).

- POST /v2/payment-requests: the create, its signature checked (code 201 if wrong, 20
  for a malformed request, 231 when the orderCode already has a link). The answer's data
  is signed; checkoutUrl is <simulator>/web/<paymentLinkId>, the hosted page.
- GET /v2/payment-requests/<orderCode or paymentLinkId>: the link's state, signed
  (code 101 when unknown).
- POST /confirm-webhook {"webhookUrl"}: sends the URL payOS's signed sample webhook and
  keeps it when answered 2XX, as payOS does. The webhook URL is the channel's, not the
  order's: `webhook_url` (constructor or attribute) is where payments are reported.
- GET /v2/_statement?date=YYYY-MM-DD: the stand-in for the daily export (see
  PayOS.statement).

Paying sends the signed webhook; payOS sends none for a cancelled link. The browser goes
to returnUrl (paid) or cancelUrl with ?code=00&id=..&cancel=..&status=..&orderCode=..
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from motcua.payments.contrib.payos.plugin import (
    DESCRIPTION_MAX,
    LOCAL_TZ,
    NOT_FOUND,
    ORDER_CODE_MAX,
    ORDER_EXISTS,
    REFERENCE,
    SUCCESS,
    data_signature,
    order_code,
    request_signature,
    signature_ok,
)
from motcua.payments.methods.base import Outcome
from motcua.payments.simulators import Callback, Order, PaymentSimulator, Reply

CLIENT_ID = "sim-payos-client-id"
API_KEY = "sim-payos-api-key"
CHECKSUM_KEY = "sim-payos-checksum-key-0123456789abcdef"
BANK_BIN = "970422"
ACCOUNT_NUMBER = "113366668888"
ACCOUNT_NAME = "UBND TINH MO PHONG"

BAD_REQUEST = "20"
BAD_SIGNATURE = "201"

# payOS's sample webhook data (payos.vn/docs, tich-hop-webhook), sent by /confirm-webhook.
SAMPLE_WEBHOOK_DATA = {
    "orderCode": 123,
    "amount": 3000,
    "description": "VQRIO123",
    "accountNumber": "12345678",
    "reference": "TF230204212323",
    "transactionDateTime": "2023-02-04 18:25:00",
    "currency": "VND",
    "paymentLinkId": "124c33293c43417ab7879e14c8d9eb18",
    "code": "00",
    "desc": "Thành công",
    "counterAccountBankId": "",
    "counterAccountBankName": "",
    "counterAccountName": "",
    "counterAccountNumber": "",
    "virtualAccountName": "",
    "virtualAccountNumber": "",
}


def _header(headers: dict[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return ""


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, LOCAL_TZ).isoformat(timespec="seconds")


class PayosSimulator(PaymentSimulator):
    """Orders are kept under str(orderCode)."""

    name = "payOS mô phỏng"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        client_id: str = CLIENT_ID,
        api_key: str = API_KEY,
        checksum_key: str = CHECKSUM_KEY,
        webhook_url: str = "",
    ) -> None:
        super().__init__(host, port)
        self.client_id = client_id
        self.api_key = api_key
        self.checksum_key = checksum_key
        self.webhook_url = webhook_url
        self._bank_references = itertools.count(1)

    @property
    def url(self) -> str:
        """PAY_PAYOS_URL for this simulator."""
        return self.base_url

    def key_for(self, reference: str | int) -> str:
        """The order key for one of our references ("MC...") or an orderCode."""
        text = str(reference)
        return str(order_code(text)) if REFERENCE.fullmatch(text) else text

    def order_for(self, reference: str | int) -> Order | None:
        return self.order(self.key_for(reference))

    # --- HTTP -------------------------------------------------------------------------

    def _answer(self, code: str, desc: str, data: dict[str, Any] | None = None) -> Reply:
        body: dict[str, Any] = {"code": code, "desc": desc, "data": data}
        if data is not None:
            body["signature"] = data_signature(data, self.checksum_key)
        return Reply(200, body)

    def _unavailable(self) -> Reply:
        return Reply(503, {"code": "503", "desc": "Hệ thống đang bảo trì", "data": None})

    def route(
        self,
        http_method: str,
        path: str,
        query: dict[str, str],
        body: bytes,
        headers: dict[str, str],
    ) -> Reply:
        if path.startswith("/web/") and http_method == "GET":
            order = self._by_link_id(path.removeprefix("/web/"))
            if order is None:
                return Reply(404, "<h1>Không tìm thấy link thanh toán</h1>", "text/html")
            return self.hosted_page("GET", order.reference, {})
        if (
            _header(headers, "x-client-id") != self.client_id
            or _header(headers, "x-api-key") != self.api_key
        ):
            return Reply(401, {"code": "401", "desc": "Unauthorized", "data": None})
        if path == "/v2/payment-requests" and http_method == "POST":
            return self._create(body)
        if path.startswith("/v2/payment-requests/") and http_method == "GET":
            return self._get(path.rsplit("/", 1)[-1])
        if path == "/v2/_statement" and http_method == "GET":
            return self._statement(query)
        if path == "/confirm-webhook" and http_method == "POST":
            return self._confirm_webhook(body)
        return Reply(404, {"code": "404", "desc": "Not found", "data": None})

    def _by_link_id(self, link_id: str) -> Order | None:
        with self.lock:
            return next((o for o in self.orders.values() if o.gateway_txn == link_id), None)

    # --- create -----------------------------------------------------------------------

    def _create(self, body: bytes) -> Reply:
        mode = self.switches.misbehave("start")
        if mode and mode != "timeout":
            return self._unavailable()
        reply = self._created(body)
        if mode == "timeout":
            self.hang()  # the link is made; its answer comes too late
        return reply

    def _created(self, body: bytes) -> Reply:
        try:
            request = json.loads(body)
            code = request["orderCode"]
            amount = request["amount"]
            description = request["description"]
            return_url = request["returnUrl"]
            cancel_url = request["cancelUrl"]
        except (ValueError, TypeError, KeyError):
            return self._answer(BAD_REQUEST, "Thông tin truyền lên không đúng.")
        expected = request_signature(
            amount=amount,
            cancel_url=cancel_url,
            description=description,
            order_code=code,
            return_url=return_url,
            key=self.checksum_key,
        )
        if not signature_ok(request.get("signature"), expected):
            return self._answer(BAD_SIGNATURE, "Mã kiểm tra(signature) không hợp lệ")
        whole = all(isinstance(v, int) and not isinstance(v, bool) for v in (code, amount))
        if (
            not whole
            or not 0 <= code <= ORDER_CODE_MAX
            or amount <= 0
            or not isinstance(description, str)
            or len(description) > DESCRIPTION_MAX
            or not (isinstance(return_url, str) and return_url)
            or not (isinstance(cancel_url, str) and cancel_url)
        ):
            return self._answer(BAD_REQUEST, "Thông tin truyền lên không đúng.")
        with self.lock:
            if str(code) in self.orders:
                return self._answer(ORDER_EXISTS, "Đơn thanh toán đã tồn tại")
            order = Order(
                reference=str(code),
                amount_vnd=amount,
                notify_url="",  # the channel's webhook_url, read when the payment comes
                return_url=return_url,
                gateway_txn=uuid.uuid4().hex,
                extra={"orderCode": code, "description": description, "cancelUrl": cancel_url},
            )
            self.orders[order.reference] = order
        link_id = order.gateway_txn
        return self._answer(
            SUCCESS,
            "success",
            {
                "bin": BANK_BIN,
                "accountNumber": ACCOUNT_NUMBER,
                "accountName": ACCOUNT_NAME,
                "amount": amount,
                "description": description,
                "orderCode": code,
                "currency": "VND",
                "paymentLinkId": link_id,
                "status": "PENDING",
                "checkoutUrl": f"{self.base_url}/web/{link_id}",
                "qrCode": f"SIMULATED-VIETQR-{link_id}",
            },
        )

    # --- paying -----------------------------------------------------------------------

    def settle(self, reference: str, outcome: str = Outcome.PAID) -> Order:
        with self.lock:
            order = self.orders[reference]
            if order.status == Outcome.PENDING:
                order.extra["settled_at"] = time.time()
                order.extra["reference"] = f"FT{next(self._bank_references):012d}"
        return super().settle(reference, outcome)

    def pay(self, reference: str | int, outcome: str = "paid") -> str:
        """What the hosted page does when the payer pays ("paid") or cancels (anything
        else), for our reference or an orderCode; returns where the browser is sent."""
        reply = self.hosted_page("POST", self.key_for(reference), {"outcome": outcome})
        if reply.status != 303:
            raise KeyError(f"No order {reference!r} at the simulator.")
        return reply.location

    def _transaction(self, order: Order) -> dict[str, Any]:
        return {
            "reference": order.extra.get("reference", ""),
            "amount": order.amount_vnd,
            "accountNumber": ACCOUNT_NUMBER,
            "description": order.extra.get("description", ""),
            "transactionDateTime": _iso(order.paid_at or 0),
            "virtualAccountName": None,
            "virtualAccountNumber": None,
            "counterAccountBankId": None,
            "counterAccountBankName": None,
            "counterAccountName": None,
            "counterAccountNumber": None,
        }

    def webhook_data(self, order: Order) -> dict[str, Any]:
        paid_at = datetime.fromtimestamp(order.paid_at or time.time(), LOCAL_TZ)
        return {
            "orderCode": order.extra["orderCode"],
            "amount": order.amount_vnd,
            "description": order.extra.get("description", ""),
            "accountNumber": ACCOUNT_NUMBER,
            "reference": order.extra.get("reference", ""),
            "transactionDateTime": paid_at.strftime("%Y-%m-%d %H:%M:%S"),
            "currency": "VND",
            "paymentLinkId": order.gateway_txn,
            "code": SUCCESS,
            "desc": "success",
            "counterAccountBankId": "",
            "counterAccountBankName": "",
            "counterAccountName": "",
            "counterAccountNumber": "",
            "virtualAccountName": "",
            "virtualAccountNumber": "",
        }

    def _webhook(self, url: str, data: dict[str, Any]) -> Callback:
        payload = {
            "code": SUCCESS,
            "desc": "success",
            "success": True,
            "data": data,
            "signature": data_signature(data, self.checksum_key),
        }
        return Callback(
            url=url,
            method="POST",
            headers={"Content-Type": "application/json"},
            body=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        )

    def callback_for(self, order: Order) -> Callback | None:
        url = order.notify_url or self.webhook_url
        if order.status != Outcome.PAID or not url:
            return None  # payOS reports payments only
        return self._webhook(url, self.webhook_data(order))

    def return_location(self, order: Order) -> str:
        paid = order.status == Outcome.PAID
        base = order.return_url if paid else order.extra.get("cancelUrl", order.return_url)
        query = urlencode(
            {
                "code": SUCCESS,
                "id": order.gateway_txn,
                "cancel": "false" if paid else "true",
                "status": "PAID" if paid else "CANCELLED",
                "orderCode": order.extra["orderCode"],
            }
        )
        return base + ("&" if "?" in base else "?") + query

    # --- get --------------------------------------------------------------------------

    def link_data(self, order: Order) -> dict[str, Any]:
        paid = order.status == Outcome.PAID and not self.switches.query_pending
        cancelled = order.status == Outcome.FAILED and not self.switches.query_pending
        status = "PAID" if paid else "CANCELLED" if cancelled else "PENDING"
        settled_at = order.extra.get("settled_at")
        return {
            "id": order.gateway_txn,
            "orderCode": order.extra["orderCode"],
            "amount": order.amount_vnd,
            "amountPaid": order.amount_vnd if paid else 0,
            "amountRemaining": 0 if paid else order.amount_vnd,
            "status": status,
            "createdAt": _iso(order.created_at),
            "transactions": [self._transaction(order)] if paid else [],
            "cancellationReason": "Khách hàng hủy" if cancelled else None,
            "canceledAt": _iso(settled_at) if cancelled and settled_at else None,
        }

    def _get(self, key: str) -> Reply:
        mode = self.switches.misbehave("query")
        if mode == "timeout":
            self.hang()
        if mode:
            return self._unavailable()
        order = self.order(key) or self._by_link_id(key)
        if order is None:
            return self._answer(NOT_FOUND, "Không tìm thấy thông tin đơn hàng")
        return self._answer(SUCCESS, "success", self.link_data(order))

    # --- webhook URL and statement ----------------------------------------------------

    def _confirm_webhook(self, body: bytes) -> Reply:
        try:
            url = json.loads(body)["webhookUrl"]
        except (ValueError, TypeError, KeyError):
            return self._answer(BAD_REQUEST, "Thông tin truyền lên không đúng.")
        status, _answer = self._webhook(str(url), dict(SAMPLE_WEBHOOK_DATA)).send(timeout=5)
        if not 200 <= status < 300:
            return self._answer(BAD_REQUEST, f"Webhook trả về HTTP {status}")
        self.webhook_url = str(url)
        return self._answer(
            SUCCESS,
            "success",
            {
                "webhookUrl": self.webhook_url,
                "accountName": ACCOUNT_NAME,
                "accountNumber": ACCOUNT_NUMBER,
                "name": ACCOUNT_NAME,
                "shortName": "MB Bank",
            },
        )

    def _statement(self, query: dict[str, str]) -> Reply:
        try:
            day = date.fromisoformat(query.get("date", ""))
        except ValueError:
            return self._answer(BAD_REQUEST, "Thông tin truyền lên không đúng.")
        start = datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ)
        orders = self.statement(start.timestamp(), (start + timedelta(days=1)).timestamp())
        transactions = [
            {
                "orderCode": order.extra["orderCode"],
                "amount": order.amount_vnd,
                "currency": "VND",
                "reference": order.extra.get("reference", ""),
                "transactionDateTime": _iso(order.paid_at or 0),
                "paymentLinkId": order.gateway_txn,
            }
            for order in orders
        ]
        return self._answer(
            SUCCESS, "success", {"date": day.isoformat(), "transactions": transactions}
        )
