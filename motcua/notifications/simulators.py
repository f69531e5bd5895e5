"""What the local gateway simulators share: a ledger that honours idempotency keys,
failure switches, and a small threaded HTTP server.

They run in the test process, or all together with `manage.py notify_simulators` for
the demo. A simulator behaves as a gateway that deduplicates: the first request with a
key is delivered, a repeated key gets the first message's id back and is counted as a
duplicate submission, never delivered twice.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Delivered:
    key: str
    message_id: str
    to: str
    body: Any
    at: float = field(default_factory=time.time)


class Ledger:
    """Thread-safe record of what a gateway took, by idempotency key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.delivered: dict[str, Delivered] = {}
        self.deliveries: Counter[str] = Counter()  # per key: messages delivered (≤ 1)
        self.submissions: Counter[str] = Counter()  # per key: requests received

    def take(self, key: str, to: str, body: Any) -> tuple[Delivered, bool]:
        """(the delivered message for `key`, whether this request was a duplicate)."""
        with self._lock:
            self.submissions[key] += 1
            first = self.delivered.get(key)
            if first is not None:
                return first, True
            record = Delivered(key=key, message_id=uuid.uuid4().hex, to=to, body=body)
            self.delivered[key] = record
            self.deliveries[key] += 1
            return record, False

    def stats(self) -> dict[str, int]:
        with self._lock:
            submitted = sum(self.submissions.values())
            return {
                "delivered": len(self.delivered),
                "submissions": submitted,
                "duplicates": submitted - len(self.delivered),
            }

    def messages(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {"key": r.key, "id": r.message_id, "to": r.to, "body": r.body, "at": r.at}
                for r in self.delivered.values()
            ]


class Switches:
    """How a simulator misbehaves, set by tests or through /_simulator/config.

    fail: "" (never), "error" (a definite error answer), "http500", "timeout" (answer
    later than any client waits). fail_next: fail only the next N requests.
    response_delay: seconds between taking a message and answering (widens the
    window in which a killed worker has sent but not recorded).
    """

    def __init__(self) -> None:
        self.fail = ""
        self.fail_next = 0
        self.response_delay = 0.0
        self.on_take: Callable[[Delivered], None] | None = None
        self._lock = threading.Lock()

    def failure(self) -> str:
        with self._lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return self.fail or "error"
            return self.fail

    def configure(self, values: dict[str, Any]) -> None:
        with self._lock:
            self.fail = str(values.get("fail", self.fail) or "")
            self.fail_next = int(values.get("fail_next", self.fail_next))
            self.response_delay = float(values.get("response_delay", self.response_delay))


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout) or died (a killed worker) is a normal event here.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class HttpSimulator:
    """Base of the HTTP gateways: subclasses implement `handle_post`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.ledger = Ledger()
        self.switches = Switches()
        simulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: tests send thousands

            def _reply(self, status: int, body: dict[str, Any] | list[Any]) -> None:
                raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:
                if self.path.startswith("/_simulator/messages"):
                    self._reply(200, simulator.ledger.messages())
                elif self.path.startswith("/_simulator/stats"):
                    self._reply(200, simulator.ledger.stats())
                else:
                    self._reply(404, {"error": "not found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    payload = json.loads(raw.decode("utf-8")) if raw else {}
                except (UnicodeDecodeError, json.JSONDecodeError):
                    self._reply(400, {"error": "invalid JSON"})
                    return
                if self.path.startswith("/_simulator/config"):
                    simulator.switches.configure(payload)
                    self._reply(200, {"ok": True})
                    return
                status, body, taken = simulator.handle_post(self.path, dict(self.headers), payload)
                if taken is not None and simulator.switches.on_take is not None:
                    simulator.switches.on_take(taken)
                if simulator.switches.response_delay:
                    time.sleep(simulator.switches.response_delay)
                self._reply(status, body)

        self.server = _QuietServer((host, port), Handler)
        self.server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def handle_post(
        self, path: str, headers: dict[str, str], payload: dict[str, Any]
    ) -> tuple[int, dict[str, Any], Delivered | None]:
        raise NotImplementedError

    def timeout_answer(self) -> None:
        time.sleep(60)  # longer than any client timeout: the client gives up

    def start(self) -> HttpSimulator:
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
