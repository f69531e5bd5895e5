"""The shop's side of a gateway test: an HTTP endpoint that records every callback and
answers as motcua would, and a browser that does not follow redirects."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from motcua.payments.methods.base import Method


def serve(server: ThreadingHTTPServer) -> None:
    # A short poll interval: shutdown() waits for one, at every test's end.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.daemon = True
    thread.start()


class Shop:
    """Records every request (method, path, query, body, headers) and answers with
    `method`'s "recorded" answer."""

    def __init__(self, method: Method) -> None:
        self.requests: list[dict[str, Any]] = []
        shop = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _record(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                shop.requests.append(
                    {
                        "method": self.command,
                        "path": parts.path,
                        "query": dict(parse_qsl(parts.query, keep_blank_values=True)),
                        "body": self.rfile.read(length) if length else b"",
                        "headers": dict(self.headers),
                    }
                )
                answer = method.callback_answer(accepted=True)
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = _record

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        serve(self.server)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


BROWSER = urllib.request.build_opener(_NoRedirect)


def browse(url: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
    """(status, Location, page) as a browser that does not follow redirects sees them."""
    data = urlencode(form).encode() if form is not None else None
    try:
        with BROWSER.open(url, data, timeout=10) as reply:
            return reply.status, reply.headers.get("Location", ""), reply.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Location", ""), exc.read().decode()
