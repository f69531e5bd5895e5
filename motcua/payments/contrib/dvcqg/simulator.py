"""A local DVCQG payment platform, for the demo and the tests.

It speaks the protocol of motcua.payments.contrib.dvcqg.fields at POST <base>/paymentplatform
(`url`): INIT, QUERY, GET_BILL and DOISOAT, told apart by LoaiBanTin. Every message is
checked for the partner code (else MaLoi "02", unsigned: the secret of an unknown
partner is unknown) and the checksum (else "01"). INIT opens the payment once per
MaThamChieu: a repeated INIT gets the same MaGiaoDich and page, a repeated INIT with
another SoTien gets "05", and so do fee lines that do not add up to SoTien.

The payment page is the shared hosted page (/_simulator/pay/<MaThamChieu>); paying or
cancelling there settles the order, POSTs the checksummed callback to UrlCallback and
sends the browser to UrlReturn?MaThamChieu=..&MaGiaoDich=..&MaLoi=... Receipts are
numbered when first fetched. The "start" switch acts on INIT, the "query" switch on
QUERY, GET_BILL and DOISOAT; query_pending makes QUERY answer TrangThaiGD "3".
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from datetime import time as day_time
from typing import Any
from urllib.parse import urlencode

from motcua.payments.contrib.dvcqg import fields
from motcua.payments.methods.base import Outcome
from motcua.payments.simulators import Callback, Order, PaymentSimulator, Reply

PATH = "/paymentplatform"
RECEIPT_FORM = "01BLP0-001"  # mẫu số of an e-receipt for fees and charges

CALLBACK_CODES = {
    Outcome.PAID: fields.OK,
    Outcome.FAILED: fields.CANCELLED,
    Outcome.PENDING: fields.PROCESSING,
}
QUERY_STATES = {
    Outcome.PAID: fields.STATE_PAID,
    Outcome.FAILED: fields.STATE_FAILED,
    Outcome.PENDING: fields.STATE_PENDING,
}


class Refused(Exception):
    """A message answered with an error code."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


class NationalPlatformSimulator(PaymentSimulator):
    name = "Nền tảng thanh toán DVCQG (mô phỏng)"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        partner_code: str = "MOTCUA",
        secret: str = "sim-dvcqg-secret",
        payer_bank: str = "VCB",
    ) -> None:
        super().__init__(host, port)
        self.partner_code = partner_code
        self.secret = secret
        self.payer_bank = payer_bank
        self.received: list[dict[str, Any]] = []  # every message, as it came
        self.receipts: dict[str, int] = {}  # MaThamChieu -> receipt number

    @property
    def url(self) -> str:
        return self.base_url + PATH

    def pay(self, reference: str, outcome: str = "paid") -> str:
        """Pay ("paid") or cancel on the payment page, as the citizen would; where the
        browser is sent next. Honours the callback switches like the page does."""
        reply = self.hosted_page("POST", reference, {"outcome": outcome})
        if reply.status == 404:
            raise KeyError(reference)
        return reply.location

    # --- HTTP -------------------------------------------------------------------------

    def route(
        self,
        http_method: str,
        path: str,
        query: dict[str, str],
        body: bytes,
        headers: dict[str, str],
    ) -> Reply:
        if path != PATH or http_method != "POST":
            return Reply(404, fields.error_answer("", fields.BAD_MESSAGE, partner=""))
        try:
            message = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            message = None
        if not isinstance(message, dict):
            return Reply(200, fields.error_answer("", fields.BAD_MESSAGE, partner=""))
        with self.lock:
            self.received.append(message)
        kind = fields.text(message.get("LoaiBanTin"))
        partner = fields.text(message.get("MaDoiTac"))
        reference = fields.text(message.get("MaThamChieu"))
        handlers = {
            fields.INIT: self._init,
            fields.QUERY: self._query,
            fields.GET_BILL: self._bill,
            fields.STATEMENT: self._statement,
        }
        if kind not in handlers:
            return Reply(200, fields.error_answer(kind, fields.BAD_MESSAGE, partner=partner))
        if partner != self.partner_code:
            return Reply(200, fields.error_answer(kind, fields.BAD_PARTNER, partner=partner))
        if not fields.verify(message, fields.REQUEST_ORDERS[kind], self.secret):
            return Reply(200, self._error(kind, fields.BAD_CHECKSUM, reference))
        mode = self.switches.misbehave("start" if kind == fields.INIT else "query")
        if mode == "timeout":
            self.hang()
        if mode:
            return Reply(200, self._error(kind, fields.OTHER, reference))
        try:
            return Reply(200, handlers[kind](message))
        except Refused as refused:
            return Reply(200, self._error(kind, refused.code, reference))

    def _error(self, kind: str, code: str, reference: str) -> dict[str, Any]:
        return fields.error_answer(
            kind, code, partner=self.partner_code, reference=reference, secret=self.secret
        )

    # --- messages ---------------------------------------------------------------------

    def _init(self, message: dict[str, Any]) -> dict[str, Any]:
        reference = fields.text(message.get("MaThamChieu"))
        when = fields.text(message.get("ThoiGianGD"))
        if not reference or fields.parse_time(when) is None:
            raise Refused(fields.BAD_MESSAGE)
        amount = _amount(message.get("SoTien"))
        if amount <= 0:
            raise Refused(fields.BAD_AMOUNT)
        bill = message.get("ThongTinBienLai") or {}
        lines = bill.get("DSKhoanNop") if isinstance(bill, dict) else None
        if lines and sum(_amount(_get(line, "SoTien")) for line in lines) != amount:
            raise Refused(fields.BAD_AMOUNT)
        order = self.order_add(
            Order(
                reference=reference,
                amount_vnd=amount,
                notify_url=fields.text(message.get("UrlCallback")),
                return_url=fields.text(message.get("UrlReturn")),
                extra={
                    "ThoiGianGD": when,
                    "ThongTinGiaoDich": fields.text(message.get("ThongTinGiaoDich")),
                    "ThongTinBienLai": bill,
                },
            )
        )
        if order.amount_vnd != amount:  # the reference was opened for another amount
            raise Refused(fields.BAD_AMOUNT)
        return fields.init_answer(
            partner=self.partner_code,
            secret=self.secret,
            reference=reference,
            txn=order.gateway_txn,
            pay_url=self.pay_url(reference),
            when=when,
        )

    def _query(self, message: dict[str, Any]) -> dict[str, Any]:
        order = self._order_for(message)
        status = Outcome.PENDING if self.switches.query_pending else order.status
        return fields.query_answer(
            partner=self.partner_code,
            secret=self.secret,
            reference=order.reference,
            state=QUERY_STATES[status],
            amount_vnd=order.amount_vnd,
            txn=order.gateway_txn,
            bank=self.payer_bank if status == Outcome.PAID else "",
            when=self._when(order),
            info=order.extra.get("ThongTinGiaoDich", ""),
        )

    def _bill(self, message: dict[str, Any]) -> dict[str, Any]:
        order = self._order_for(message)
        if order.status != Outcome.PAID or order.paid_at is None:
            raise Refused(fields.NO_RECEIPT)
        with self.lock:
            number = self.receipts.setdefault(order.reference, len(self.receipts) + 1)
        paid_at = self._when(order)
        return fields.bill_answer(
            partner=self.partner_code,
            secret=self.secret,
            reference=order.reference,
            txn=order.gateway_txn,
            form=RECEIPT_FORM,
            series=f"BL{paid_at:%y}E",
            number=f"{number:07d}",
            amount_vnd=order.amount_vnd,
            paid_at=paid_at,
            url=f"{self.base_url}/_simulator/receipts/{order.reference}.pdf",
        )

    def _statement(self, message: dict[str, Any]) -> dict[str, Any]:
        try:
            day = datetime.strptime(fields.text(message.get("Ngay")), fields.DAY_FORMAT).date()
        except ValueError:
            raise Refused(fields.BAD_MESSAGE) from None
        start = datetime.combine(day, day_time(), tzinfo=fields.VN_TZ).timestamp()
        paid = sorted(self.statement(start, start + 86400), key=lambda o: o.paid_at or 0)
        items = [
            fields.statement_item(
                reference=order.reference,
                txn=order.gateway_txn,
                amount_vnd=order.amount_vnd,
                bank=self.payer_bank,
                paid_at=self._when(order),
            )
            for order in paid
        ]
        return fields.statement_answer(
            partner=self.partner_code, secret=self.secret, day=day, items=items
        )

    def _order_for(self, message: dict[str, Any]) -> Order:
        order = self.order(fields.text(message.get("MaThamChieu")))
        if order is None:
            raise Refused(fields.NOT_FOUND)
        return order

    @staticmethod
    def _when(order: Order) -> datetime:
        """When it was paid (or settled); else when it was opened."""
        moment = order.paid_at or order.extra.get("settled_at") or order.created_at
        return datetime.fromtimestamp(moment, fields.VN_TZ)

    # --- what the platform sends ------------------------------------------------------

    def settle(self, reference: str, outcome: str = Outcome.PAID) -> Order:
        with self.lock:
            order = self.orders.get(reference)
            if order is not None and order.status == Outcome.PENDING:
                order.extra.setdefault("settled_at", time.time())  # a failure's time too
        return super().settle(reference, outcome)

    def callback_for(self, order: Order) -> Callback | None:
        if not order.notify_url:
            return None
        message = fields.confirm(
            partner=self.partner_code,
            secret=self.secret,
            code=CALLBACK_CODES[order.status],
            reference=order.reference,
            amount_vnd=order.amount_vnd,
            txn=order.gateway_txn,
            bank=self.payer_bank if order.status == Outcome.PAID else "",
            when=self._when(order),
            info=order.extra.get("ThongTinGiaoDich", ""),
        )
        return Callback(
            url=order.notify_url,
            headers={"Content-Type": "application/json; charset=utf-8"},
            body=json.dumps(message, ensure_ascii=False).encode("utf-8"),
        )

    def return_location(self, order: Order) -> str:
        if not order.return_url:
            return ""
        query = urlencode(
            {
                "MaThamChieu": order.reference,
                "MaGiaoDich": order.gateway_txn,
                "MaLoi": CALLBACK_CODES[order.status],
            }
        )
        return order.return_url + ("&" if "?" in order.return_url else "?") + query


def _get(item: Any, name: str) -> Any:
    if not isinstance(item, dict):
        raise Refused(fields.BAD_MESSAGE)
    return item.get(name)


def _amount(value: Any) -> int:
    try:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(value)
        return int(value)
    except ValueError:
        raise Refused(fields.BAD_MESSAGE) from None
