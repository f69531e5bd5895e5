"""A local VNPAY gateway speaking what the vnpay plugin speaks, for the demo and the tests.

- GET /paymentv2/vpcpay.html?<vnp_* params>&vnp_SecureHash=..: the browser arriving.
  The request is checked as VNPAY checks it (hash, TmnCode, version, command, fields,
  expiry); a bad one gets an error page with the code of VNPAY's lists (97 checksum, 02
  merchant, 03 format, 11 expired, 99 other) instead of the payment page. A good one
  creates the order (vnp_TxnRef) and shows the hosted page.
- POST /merchant_webapi/api/transaction: querydr, answered and signed as documented
  (97 bad checksum, 02 merchant, 03 format, 91 unknown transaction, 99 failure).
- GET /merchant_webapi/api/transaction?statement=YYYY-MM-DD: the stand-in for the daily
  reconciliation file (see Vnpay.statement), body signed in X-Signature.

The IPN URL is a merchant-portal setting at VNPAY, so here it is `ipn_url` (constructor
or attribute), not part of the payment URL. Paying or cancelling sends the IPN (a signed
GET) and sends the browser to vnp_ReturnUrl with the same signed query.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from motcua.payments.contrib.vnpay.plugin import (
    ANSWER_HASH_FIELDS,
    CANCELLED,
    FAILED_STATUS,
    LOCAL_TZ,
    NOT_FOUND,
    QUERY_HASH_FIELDS,
    STATEMENT_SIGNATURE_HEADER,
    SUCCESS,
    VERSION,
    amount_from,
    hashed_params,
    hmac_sha512,
    parse_vnp_time,
    sign_fields,
    sign_params,
    signature_ok,
    vnp_amount,
)
from motcua.payments.methods.base import Outcome
from motcua.payments.simulators import Callback, Order, PaymentSimulator, Reply

PAY_PATH = "/paymentv2/vpcpay.html"
API_PATH = "/merchant_webapi/api/transaction"
TMN_CODE = "SIMVNP01"
HASH_SECRET = "SIMVNPAYSECRET0123456789ABCDEFGH"

PAY_FIELDS = (
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_Amount",
    "vnp_CurrCode",
    "vnp_TxnRef",
    "vnp_OrderInfo",
    "vnp_OrderType",
    "vnp_Locale",
    "vnp_ReturnUrl",
    "vnp_IpAddr",
    "vnp_CreateDate",
)
# The documented codes this simulator answers with.
BAD_MERCHANT = "02"
BAD_FORMAT = "03"
EXPIRED = "11"
BAD_CHECKSUM = "97"
OTHER_ERROR = "99"


class _HeaderReply(Reply):
    """A Reply with extra headers (the base Reply has none; see VnpaySimulator)."""

    def __init__(self, *args: Any, headers: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.headers = headers


def _local(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, LOCAL_TZ)


class VnpaySimulator(PaymentSimulator):
    name = "VNPAY mô phỏng"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        tmn_code: str = TMN_CODE,
        hash_secret: str = HASH_SECRET,
        ipn_url: str = "",
    ) -> None:
        super().__init__(host, port)
        self.tmn_code = tmn_code
        self.hash_secret = hash_secret
        self.ipn_url = ipn_url
        self._transaction_numbers = itertools.count(14_000_001)
        # The base handler writes only Content-Type and Location: the statement's
        # X-Signature goes out through this per-thread slot and a handler subclass.
        self._extra_headers = threading.local()
        slot = self._extra_headers

        class Handler(self.server.RequestHandlerClass):  # type: ignore[misc,name-defined]
            def end_headers(self) -> None:
                for name, value in getattr(slot, "headers", {}).items():
                    self.send_header(name, value)
                slot.headers = {}
                super().end_headers()

        self.server.RequestHandlerClass = Handler

    @property
    def payment_url(self) -> str:
        return self.base_url + PAY_PATH

    @property
    def api_url(self) -> str:
        return self.base_url + API_PATH

    def dispatch(
        self,
        http_method: str,
        path: str,
        query: dict[str, str],
        body: bytes,
        headers: dict[str, str],
    ) -> Reply:
        reply = super().dispatch(http_method, path, query, body, headers)
        self._extra_headers.headers = getattr(reply, "headers", {})
        return reply

    def route(
        self,
        http_method: str,
        path: str,
        query: dict[str, str],
        body: bytes,
        headers: dict[str, str],
    ) -> Reply:
        if path == PAY_PATH and http_method == "GET":
            return self._payment_page(query)
        if path == API_PATH and http_method == "POST":
            return self._querydr(body)
        if path == API_PATH and http_method == "GET" and "statement" in query:
            return self._statement(query)
        return Reply(404, {"error": "not found"})

    # --- the payment page -------------------------------------------------------------

    def _error_page(self, code: str, message: str) -> Reply:
        page = (
            "<!doctype html><html lang='vi'><meta charset='utf-8'>"
            f"<title>{self.name}: lỗi {code}</title>"
            f"<main><h1>Giao dịch không thành công</h1><p>Mã lỗi: {code}</p>"
            f"<p>{message}</p></main></html>"
        )
        return Reply(400, page, "text/html; charset=utf-8")

    def _payment_page(self, query: dict[str, str]) -> Reply:
        mode = self.switches.misbehave("start")
        if mode == "timeout":
            self.hang()
        if mode:
            return self._error_page(OTHER_ERROR, "Hệ thống đang bảo trì")
        if any(not query.get(name) for name in PAY_FIELDS):
            return self._error_page(BAD_FORMAT, "Dữ liệu gửi sang không đúng định dạng")
        expected = sign_params(hashed_params(query), self.hash_secret)
        if not signature_ok(query.get("vnp_SecureHash", ""), expected):
            return self._error_page(BAD_CHECKSUM, "Sai chữ ký")
        if query["vnp_TmnCode"] != self.tmn_code:
            return self._error_page(BAD_MERCHANT, "Merchant không hợp lệ")
        try:
            if (query["vnp_Version"], query["vnp_Command"], query["vnp_CurrCode"]) != (
                VERSION,
                "pay",
                "VND",
            ):
                raise ValueError("version, command or currency")
            amount = amount_from(query["vnp_Amount"])
            parse_vnp_time(query["vnp_CreateDate"])
            expire = parse_vnp_time(query["vnp_ExpireDate"]) if "vnp_ExpireDate" in query else None
        except ValueError:
            return self._error_page(BAD_FORMAT, "Dữ liệu gửi sang không đúng định dạng")
        if expire is not None and expire < datetime.now(LOCAL_TZ):
            return self._error_page(EXPIRED, "Đã hết hạn chờ thanh toán")
        order = self.order_add(
            Order(
                reference=query["vnp_TxnRef"],
                amount_vnd=amount,
                notify_url=self.ipn_url,
                return_url=query["vnp_ReturnUrl"],
                gateway_txn=str(next(self._transaction_numbers)),
                extra={
                    "order_info": query["vnp_OrderInfo"],
                    "create_date": query["vnp_CreateDate"],
                },
            )
        )
        if order.amount_vnd != amount or order.return_url != query["vnp_ReturnUrl"]:
            return self._error_page(BAD_FORMAT, "Giao dịch đã tồn tại với thông tin khác")
        return self.hosted_page("GET", order.reference, {})

    def settle(self, reference: str, outcome: str = Outcome.PAID) -> Order:
        with self.lock:
            order = self.orders[reference]
            if order.status == Outcome.PENDING:
                order.extra["response_code"] = SUCCESS if outcome == Outcome.PAID else CANCELLED
                order.extra["settled_at"] = time.time()
        return super().settle(reference, outcome)

    def pay(self, reference: str, outcome: str = "paid") -> str:
        """What the hosted page does when the payer pays ("paid") or cancels (anything
        else); returns where the browser is sent (vnp_ReturnUrl with the result)."""
        reply = self.hosted_page("POST", reference, {"outcome": outcome})
        if reply.status != 303:
            raise KeyError(f"No order {reference!r} at the simulator.")
        return reply.location

    # --- results ----------------------------------------------------------------------

    def result_params(self, order: Order) -> dict[str, str]:
        """The signed vnp_* params of an order's result (IPN and return URL alike)."""
        paid = order.status == Outcome.PAID
        settled_at = order.paid_at or order.extra.get("settled_at") or time.time()
        params = {
            "vnp_Amount": vnp_amount(order.amount_vnd),
            "vnp_BankCode": "NCB",
            "vnp_CardType": "ATM",
            "vnp_OrderInfo": order.extra.get("order_info", ""),
            "vnp_PayDate": _local(settled_at).strftime("%Y%m%d%H%M%S"),
            "vnp_ResponseCode": order.extra.get("response_code", SUCCESS if paid else CANCELLED),
            "vnp_TmnCode": self.tmn_code,
            "vnp_TransactionNo": order.gateway_txn if paid else "0",
            "vnp_TransactionStatus": SUCCESS if paid else FAILED_STATUS,
            "vnp_TxnRef": order.reference,
        }
        if paid:
            params["vnp_BankTranNo"] = f"VNP{order.gateway_txn}"
        params["vnp_SecureHash"] = sign_params(params, self.hash_secret)
        return params

    def callback_for(self, order: Order) -> Callback | None:
        url = order.notify_url or self.ipn_url
        if order.status == Outcome.PENDING or not url:
            return None
        joiner = "&" if "?" in url else "?"
        return Callback(url=url + joiner + urlencode(self.result_params(order)), method="GET")

    def return_location(self, order: Order) -> str:
        joiner = "&" if "?" in order.return_url else "?"
        return order.return_url + joiner + urlencode(self.result_params(order))

    # --- querydr ----------------------------------------------------------------------

    def _signed_answer(self, fields: dict[str, str]) -> Reply:
        answer = {
            "vnp_ResponseId": uuid.uuid4().hex,
            "vnp_Command": "querydr",
            "vnp_TmnCode": self.tmn_code,
            **fields,
        }
        answer["vnp_SecureHash"] = sign_fields(
            (answer.get(name, "") for name in ANSWER_HASH_FIELDS), self.hash_secret
        )
        return Reply(200, answer)

    def _querydr_error(self, code: str, message: str) -> Reply:
        return self._signed_answer({"vnp_ResponseCode": code, "vnp_Message": message})

    def _querydr(self, body: bytes) -> Reply:
        mode = self.switches.misbehave("query")
        if mode == "timeout":
            self.hang()
        if mode:
            return self._querydr_error(OTHER_ERROR, "Other errors")
        try:
            request = json.loads(body)
            if not isinstance(request, dict):
                raise ValueError
        except ValueError:
            return self._querydr_error(BAD_FORMAT, "Invalid request format")
        if any(not request.get(name) for name in QUERY_HASH_FIELDS):
            return self._querydr_error(BAD_FORMAT, "Invalid request format")
        expected = sign_fields((request[name] for name in QUERY_HASH_FIELDS), self.hash_secret)
        if not signature_ok(str(request.get("vnp_SecureHash", "")), expected):
            return self._querydr_error(BAD_CHECKSUM, "Invalid Checksum")
        if request["vnp_TmnCode"] != self.tmn_code:
            return self._querydr_error(BAD_MERCHANT, "Merchant is not valid")
        if request["vnp_Command"] != "querydr" or request["vnp_Version"] != VERSION:
            return self._querydr_error(BAD_FORMAT, "Invalid request format")
        order = self.order(str(request["vnp_TxnRef"]))
        # VNPAY finds a transaction by vnp_TxnRef and its vnp_CreateDate.
        if order is None or order.extra.get("create_date") != request["vnp_TransactionDate"]:
            return self._querydr_error(NOT_FOUND, "Transaction not found")
        if self.switches.query_pending or order.status == Outcome.PENDING:
            status = "01"
        else:
            status = SUCCESS if order.status == Outcome.PAID else FAILED_STATUS
        settled = status != "01"
        settled_at = order.paid_at or order.extra.get("settled_at")
        return self._signed_answer(
            {
                "vnp_ResponseCode": SUCCESS,
                "vnp_Message": "QueryDR Success",
                "vnp_TxnRef": order.reference,
                "vnp_Amount": vnp_amount(order.amount_vnd),
                "vnp_OrderInfo": order.extra.get("order_info", ""),
                "vnp_BankCode": "NCB" if settled else "",
                "vnp_PayDate": _local(settled_at).strftime("%Y%m%d%H%M%S")
                if settled and settled_at
                else "",
                "vnp_TransactionNo": order.gateway_txn if status == SUCCESS else "",
                "vnp_TransactionType": "01",  # a payment
                "vnp_TransactionStatus": status,
                "vnp_PromotionCode": "",
                "vnp_PromotionAmount": "",
            }
        )

    # --- the reconciliation stand-in --------------------------------------------------

    def _statement(self, query: dict[str, str]) -> Reply:
        params = {k: v for k, v in query.items() if k != "vnp_SecureHash"}
        if not signature_ok(query.get("vnp_SecureHash", ""), sign_params(params, self.hash_secret)):
            return Reply(403, {"error": "Invalid Checksum"})
        if query.get("vnp_TmnCode") != self.tmn_code:
            return Reply(403, {"error": "Merchant is not valid"})
        try:
            day = date.fromisoformat(query["statement"])
        except ValueError:
            return Reply(400, {"error": "Invalid date"})
        start = datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ)
        rows = [
            {
                "vnp_TxnRef": order.reference,
                "vnp_Amount": vnp_amount(order.amount_vnd),
                "vnp_TransactionNo": order.gateway_txn,
                "vnp_PayDate": _local(order.paid_at or 0).strftime("%Y%m%d%H%M%S"),
                "vnp_TransactionStatus": SUCCESS,
            }
            for order in self.statement(start.timestamp(), (start + timedelta(days=1)).timestamp())
        ]
        body = json.dumps(rows).encode("utf-8")
        signature = hmac_sha512(self.hash_secret, body)
        return _HeaderReply(200, body, headers={STATEMENT_SIGNATURE_HEADER: signature})
