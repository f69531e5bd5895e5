"""A local bank holding the province's collection account, for the demo and the tests.

It speaks the protocol of motcua.payments.contrib.vietqr.plugin: every incoming
transfer is reported to `notify_url` as a signed JSON webhook, and the statement API
answers GET /statement?reference=REF or ?date=YYYY-MM-DD (Authorization: Bearer
<secret>). The shop opens no order at a bank, so each `transfer` makes its own ledger
entry, keyed by the reference found in the description (the order's `gateway_txn` is
the bank's transaction id). Any amount is accepted, as a real bank does.

The "banking app" is the page /_simulator/pay/<reference>?qr=<payload>&return_url=...:
it reads the scanned VietQR payload and its "Chuyển khoản" button makes the transfer,
then sends the browser to return_url (or to the pre-registered order's).
POST /_simulator/transfer {"content": ..., "amount_vnd": ...} makes one from outside.
"""

from __future__ import annotations

import html
import itertools
import json
import threading
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

from motcua.payments.contrib.vietqr import emvco
from motcua.payments.contrib.vietqr.plugin import (
    DATE_FORMAT,
    LOCAL_TZ,
    SIGNATURE_HEADER,
    find_reference,
    sign,
)
from motcua.payments.methods.base import Outcome
from motcua.payments.simulators import Callback, Order, PaymentSimulator, Reply

STATEMENT_PATH = "/statement"
_HTML = "text/html; charset=utf-8"


def _squash(text: str) -> str:
    return "".join(c for c in text.upper() if c.isalnum())


class BankSimulator(PaymentSimulator):
    name = "Ngân hàng mô phỏng"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        bank_bin: str = "970415",
        account: str = "113366668888",
        account_name: str = "UBND TINH MO PHONG",
        secret: str = "sim-vietqr-secret",
        notify_url: str = "",
        gateway: str = "VietinBank",
    ) -> None:
        super().__init__(host, port)
        self.bank_bin = bank_bin
        self.account = account
        self.account_name = account_name
        self.secret = secret
        self.notify_url = notify_url  # the shop's webhook
        self.gateway = gateway
        self.transfers: list[Order] = []  # every incoming transfer, in order
        self._ids = itertools.count(100001)

    @property
    def statement_url(self) -> str:
        return self.base_url + STATEMENT_PATH

    def pay_url(self, reference: str, *, payload: str = "", return_url: str = "") -> str:
        """The "banking app" page; `payload` is the scanned QR code."""
        query = {k: v for k, v in (("qr", payload), ("return_url", return_url)) if v}
        return super().pay_url(reference) + ("?" + urlencode(query) if query else "")

    # --- the ledger ----------------------------------------------------------------

    def transfer(
        self, reference_or_content: str, amount_vnd: int, *, content: str | None = None
    ) -> Order:
        """An incoming transfer of `amount_vnd`; the description is `content`, else the
        first argument. Reported to the shop as the switches say."""
        content = reference_or_content if content is None else content
        reference = find_reference(content) or find_reference(reference_or_content)
        now = datetime.now(LOCAL_TZ)
        with self.lock:
            txn = next(self._ids)
            key = reference or f"NOREF{txn}"
            earlier = self.orders.get(key)
            order = Order(
                reference=key,
                amount_vnd=amount_vnd,
                notify_url=self.notify_url or (earlier.notify_url if earlier else ""),
                return_url=earlier.return_url if earlier else "",
                gateway_txn=str(txn),
                status=Outcome.PAID,
                paid_at=now.timestamp(),
                extra={
                    "webhook": {
                        "id": txn,
                        "gateway": self.gateway,
                        "transactionDate": now.strftime(DATE_FORMAT),
                        "accountNumber": self.account,
                        "content": content,
                        "transferType": "in",
                        "transferAmount": amount_vnd,
                        "referenceCode": f"FT{now:%y%m%d}{txn}",
                    }
                },
            )
            self.transfers.append(order)
            # The latest transfer stands for the reference in the base ledger.
            self.orders[key] = order
        if self.switches.callback != "lost":
            self.notify(order)
        return order

    def callback_for(self, order: Order) -> Callback | None:
        url = order.notify_url or self.notify_url
        if not url:
            return None
        body = json.dumps(order.extra["webhook"], ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, self.secret)}
        return Callback(url=url, headers=headers, body=body)

    def _matching(self, query: dict[str, str]) -> list[dict[str, Any]] | None:
        """The statement lines a query asks for; None when it asks for nothing known."""
        with self.lock:
            transfers = list(self.transfers)
        if query.get("reference"):
            # Like a bank's search: the reference anywhere in the description.
            wanted = _squash(query["reference"])
            return [
                t.extra["webhook"]
                for t in transfers
                if wanted in _squash(t.extra["webhook"]["content"])
            ]
        if query.get("date"):
            try:
                day = date.fromisoformat(query["date"])
            except ValueError:
                return None
            start = datetime.combine(day, datetime.min.time(), LOCAL_TZ).timestamp()
            end = start + timedelta(days=1).total_seconds()
            return [t.extra["webhook"] for t in transfers if t.paid_at and start <= t.paid_at < end]
        return None

    # --- HTTP ----------------------------------------------------------------------

    def dispatch(
        self,
        http_method: str,
        path: str,
        query: dict[str, str],
        body: bytes,
        headers: dict[str, str],
    ) -> Reply:
        if path.startswith("/_simulator/pay/"):
            # The base page knows only orders made beforehand; this one reads the QR.
            reference = path.rsplit("/", 1)[-1]
            form = dict(parse_qsl(body.decode("utf-8"))) if http_method == "POST" else {}
            return self.banking_app(http_method, reference, query, form)
        return super().dispatch(http_method, path, query, body, headers)

    def route(
        self,
        http_method: str,
        path: str,
        query: dict[str, str],
        body: bytes,
        headers: dict[str, str],
    ) -> Reply:
        if path == STATEMENT_PATH and http_method == "GET":
            return self.statement_api(query, headers)
        if path == "/_simulator/transfer" and http_method == "POST":
            data = json.loads(body or b"{}")
            order = self.transfer(str(data.get("content", "")), int(data["amount_vnd"]))
            return Reply(200, {"success": True, "id": int(order.gateway_txn)})
        return Reply(404, {"success": False, "message": "Not found"})

    def statement_api(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if auth != f"Bearer {self.secret}":
            return Reply(401, {"success": False, "message": "Unauthorized"})
        failure = self.switches.misbehave("query")
        if failure == "timeout":
            self.hang()
        elif failure:
            return Reply(500, {"success": False, "message": "Internal error"})
        lines = self._matching(query)
        if lines is None:
            return Reply(400, {"success": False, "message": "Give reference or date"})
        if self.switches.query_pending:
            lines = []  # the bank's statement lags behind its notifications
        return Reply(200, {"success": True, "transactions": lines})

    def banking_app(
        self, http_method: str, reference: str, query: dict[str, str], form: dict[str, str]
    ) -> Reply:
        if http_method == "POST":
            try:
                amount = int(form.get("amount_vnd", ""))
            except ValueError:
                return Reply(400, "<h1>Số tiền không hợp lệ</h1>", _HTML)
            order = self.transfer(reference, amount, content=form.get("content") or reference)
            if self.switches.callback == "after_return":
                # the shop sees the browser first; the callback follows a moment later
                threading.Timer(0.5, self.notify, args=(order,)).start()
            location = form.get("return_url") or order.return_url
            if not location:
                return Reply(200, "<h1>Đã chuyển khoản</h1>", _HTML)
            return Reply(303, b"", "text/plain", location=location)
        amount, content = self._what_to_pay(reference, query.get("qr", ""))
        if amount is None:
            return Reply(404, "<h1>Không đọc được mã VietQR của tài khoản này</h1>", _HTML)
        title = html.escape(f"{self.name}: {amount:,} VND".replace(",", "."))
        earlier = self.order(reference)
        return_url = query.get("return_url") or (earlier.return_url if earlier else "")
        hidden = "".join(
            f"<input type='hidden' name='{name}' value='{html.escape(value, quote=True)}'>"
            for name, value in (
                ("amount_vnd", str(amount)),
                ("content", content),
                ("return_url", return_url),
            )
        )
        page = (
            "<!doctype html><html lang='vi'><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width'>"
            f"<title>{title}</title><main><h1>{title}</h1>"
            f"<p>Tài khoản nhận: {html.escape(self.account)} ({html.escape(self.gateway)})</p>"
            f"<p>Nội dung: {html.escape(content)}</p>"
            f"<form method='post' action='/_simulator/pay/{html.escape(reference)}'>{hidden}"
            "<button>Chuyển khoản</button></form></main></html>"
        )
        return Reply(200, page, _HTML)

    def _what_to_pay(self, reference: str, payload: str) -> tuple[int | None, str]:
        """Amount and description from the scanned code, else from an order made
        beforehand (order_add), as tests and the demo may do."""
        if payload:
            try:
                fields = emvco.decode(payload)
            except ValueError:
                return None, ""
            if (fields["bank_bin"], fields["account"]) != (self.bank_bin, self.account):
                return None, ""  # a code for another account: not this bank's business
            return fields["amount_vnd"], fields["purpose"] or reference
        order = self.order(reference)
        if order is None:
            return None, ""
        return order.amount_vnd, reference
