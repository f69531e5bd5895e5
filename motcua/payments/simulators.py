"""What the local payment-gateway simulators share (tests and `make demo`).

A simulator keeps its own ledger of orders, serves a hosted payment page where the
"citizen" pays or cancels (a plain HTML form: works without JavaScript), then calls the
shop's notification URL server-to-server and sends the browser back to the return URL,
as the real gateways do. Switches make it misbehave: fail or hang when an order is
created or queried, delay, drop, repeat or reorder its callbacks, or keep saying
"pending" when asked. Subclasses speak one gateway's protocol.
"""

from __future__ import annotations

import html
import http.client
import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from motcua.payments.methods.base import Outcome


@dataclass
class Order:
    reference: str  # the shop's reference
    amount_vnd: int
    notify_url: str = ""
    return_url: str = ""
    gateway_txn: str = field(default_factory=lambda: uuid.uuid4().hex[:14].upper())
    status: str = Outcome.PENDING
    created_at: float = field(default_factory=time.time)
    paid_at: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Callback:
    """One server-to-server notification, ready to send (and to send again)."""

    url: str
    method: str = "POST"
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def send(self, timeout: float = 10.0) -> tuple[int, bytes]:
        request = urllib.request.Request(
            self.url,
            data=self.body if self.method == "POST" else None,
            headers=self.headers,
            method=self.method,
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            try:
                return exc.code, exc.read()
            except (OSError, http.client.HTTPException):
                return exc.code, b""
        except (OSError, http.client.HTTPException) as exc:
            # Refused, reset, or cut mid-answer (the server died while sending its body,
            # http.client.IncompleteRead): no answer, so the gateway sends again later.
            return 0, (str(exc) or type(exc).__name__).encode()


class Switches:
    """How a simulator misbehaves; set by tests or POST /_simulator/config.

    start / query: "" (answer), "error" (a definite error answer), "timeout" (answer
    later than any client waits). start_next / query_next: misbehave for the next N
    requests only (then as normal). callback: "now" (before the browser returns),
    "after_return" (after), "lost" (never). callback_delay: seconds before sending;
    callback_repeat: how many times each callback is sent. query_pending: the query API
    says "pending" even for settled orders (a lagging gateway).
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.start = ""
        self.start_next = 0
        self.query = ""
        self.query_next = 0
        self.callback = "now"
        self.callback_delay = 0.0
        self.callback_repeat = 1
        self.query_pending = False

    def configure(self, values: dict[str, Any]) -> None:
        with self.lock:
            for name, value in values.items():
                if hasattr(self, name) and name != "lock":
                    current = getattr(self, name)
                    setattr(self, name, type(current)(value))

    def misbehave(self, what: str) -> str:
        """The failure to act out for one `what` ("start" or "query") request."""
        with self.lock:
            mode = getattr(self, what)
            pending = getattr(self, what + "_next")
            if pending > 0:
                setattr(self, what + "_next", pending - 1)
                if pending == 1:
                    setattr(self, what, "")  # the N misbehaving answers are used up
                return mode or "error"
            return mode


class Reply:
    def __init__(
        self,
        status: int = 200,
        body: bytes | str | dict | list = b"",
        content_type: str = "application/json",
        location: str = "",
    ) -> None:
        if isinstance(body, dict | list):
            body = json.dumps(body, ensure_ascii=False)
        self.status = status
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.content_type = content_type
        self.location = location


HANG_SECONDS = 60.0  # longer than any client waits


class PaymentSimulator:
    """Base of the gateway simulators; subclasses implement `route` and `callback_for`."""

    name = "gateway"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.orders: dict[str, Order] = {}
        self.lock = threading.Lock()
        self.switches = Switches()
        self.sent: list[tuple[str, int]] = []  # (reference, HTTP status of the shop's answer)
        simulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self, http_method: str) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                query = dict(parse_qsl(parts.query, keep_blank_values=True))
                try:
                    reply = simulator.dispatch(
                        http_method, parts.path, query, body, dict(self.headers)
                    )
                except Exception as exc:  # a simulator bug must show, not hang the client
                    reply = Reply(500, {"error": repr(exc)})
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                if reply.location:
                    self.send_header("Location", reply.location)
                self.end_headers()
                self.wfile.write(reply.body)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # clients that gave up are normal here

        self.server = Server((host, port), Handler)
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> PaymentSimulator:
        # A short poll: shutdown() waits for one (every test stops its simulators).
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- orders -----------------------------------------------------------------------

    def order_add(self, order: Order) -> Order:
        with self.lock:
            existing = self.orders.get(order.reference)
            if existing is not None:
                return existing  # a repeated create is the same order
            self.orders[order.reference] = order
            return order

    def order(self, reference: str) -> Order | None:
        with self.lock:
            return self.orders.get(reference)

    def settle(self, reference: str, outcome: str = Outcome.PAID) -> Order:
        """The payer paid (or cancelled) on the hosted page: record it and notify."""
        with self.lock:
            order = self.orders[reference]
            if order.status == Outcome.PENDING:
                order.status = outcome
                order.paid_at = time.time() if outcome == Outcome.PAID else None
        if self.switches.callback not in ("lost", "after_return"):
            self.notify(order)
        return order

    def notify(self, order: Order, *, wait: bool = False) -> None:
        """Send the order's callback, as the switches say (in the background)."""
        callback = self.callback_for(order)
        if callback is None:
            return

        def run() -> None:
            if self.switches.callback_delay:
                time.sleep(self.switches.callback_delay)
            for _ in range(max(1, self.switches.callback_repeat)):
                status, _body = callback.send()
                with self.lock:
                    self.sent.append((order.reference, status))

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        if wait or (self.switches.callback == "now" and not self.switches.callback_delay):
            thread.join()

    def callback_for(self, order: Order) -> Callback | None:
        """The signed notification this gateway sends the shop about `order`."""
        raise NotImplementedError

    def statement(self, day_start: float, day_end: float) -> list[Order]:
        with self.lock:
            return [
                o
                for o in self.orders.values()
                if o.status == Outcome.PAID and o.paid_at and day_start <= o.paid_at < day_end
            ]

    # --- HTTP -------------------------------------------------------------------------

    def dispatch(
        self,
        http_method: str,
        path: str,
        query: dict[str, str],
        body: bytes,
        headers: dict[str, str],
    ) -> Reply:
        if path == "/_simulator/config" and http_method == "POST":
            self.switches.configure(json.loads(body or b"{}"))
            return Reply(200, {"ok": True})
        if path == "/_simulator/orders":
            with self.lock:
                return Reply(200, [o.__dict__ for o in self.orders.values()])
        if path.startswith("/_simulator/pay/"):
            reference = path.rsplit("/", 1)[-1]
            form = dict(parse_qsl(body.decode("utf-8")))
            return self.hosted_page(http_method, reference, form)
        return self.route(http_method, path, query, body, headers)

    def route(
        self,
        http_method: str,
        path: str,
        query: dict[str, str],
        body: bytes,
        headers: dict[str, str],
    ) -> Reply:
        raise NotImplementedError

    def hang(self) -> None:
        time.sleep(HANG_SECONDS)

    def pay_url(self, reference: str) -> str:
        return f"{self.base_url}/_simulator/pay/{reference}"

    def return_location(self, order: Order) -> str:
        """Where the browser goes back to after paying (with the gateway's query)."""
        return order.return_url

    def hosted_page(self, http_method: str, reference: str, form: dict[str, str]) -> Reply:
        order = self.order(reference)
        if order is None:
            return Reply(404, "<h1>Không tìm thấy giao dịch</h1>", "text/html; charset=utf-8")
        if http_method == "POST":
            outcome = Outcome.PAID if form.get("outcome") == "paid" else Outcome.FAILED
            if order.status == Outcome.PENDING:
                self.settle(reference, outcome)
            if self.switches.callback == "after_return":
                # the shop sees the browser first; the callback follows a moment later
                threading.Timer(0.5, self.notify, args=(order,)).start()
            return Reply(303, b"", "text/plain", location=self.return_location(order))
        title = html.escape(f"{self.name}: {order.amount_vnd:,} VND".replace(",", "."))
        page = (
            "<!doctype html><html lang='vi'><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width'>"
            f"<title>{title}</title><main><h1>{title}</h1>"
            f"<p>Mã giao dịch: {html.escape(reference)}</p>"
            f"<form method='post' action='/_simulator/pay/{html.escape(reference)}'>"
            "<button name='outcome' value='paid'>Thanh toán</button> "
            "<button name='outcome' value='failed'>Hủy giao dịch</button></form></main></html>"
        )
        return Reply(200, page, "text/html; charset=utf-8")
