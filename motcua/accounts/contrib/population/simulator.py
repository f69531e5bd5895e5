"""A local stand-in for the national population database's data-sharing service, for the
demo and the tests. It speaks the protocol of `protocol` (our reading of service 037 as
an LGSP relays it): POST /token (OAuth2 client credentials, client authentication by
Basic or form) gives a Bearer token; POST QUERY_PATH with that token and a JSON query by
SoDinhDanh answers the CongDan record of a demo resident (demo_people.json), or an empty
collection when no one has that number. A missing, unknown or revoked token gets 401;
a query without the data subject's consent gets 403.

Switches for the tests: `fail = True` answers 503 on every endpoint (the service is
down), `delay` seconds before each answer (a slow service), `revoke_tokens()` forgets
the tokens given (as if they expired). `queries` keeps what was asked, for the tests.

    sim = PopulationSimulator(client_id="motcua", client_secret="s3cret").start()
    ... POPULATION_API_URL = sim.url ...
    sim.stop()
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from motcua.accounts.contrib.oidc.simulator import client_authenticated
from motcua.accounts.contrib.population import protocol
from motcua.accounts.contrib.population.people import demo_people, province_name

TOKEN_SECONDS = 3600


class PopulationSimulator:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        client_id: str = "motcua-demo",
        client_secret: str = "sim-secret",
        people: list[dict[str, Any]] | None = None,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.people = {p["id_number"]: dict(p) for p in (people or demo_people())}
        self.tokens: dict[str, float] = {}  # token → expiry (epoch seconds)
        self.queries: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.reset()
        simulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any) -> None:
                raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:
                self._send(405 if self.path in (protocol.TOKEN_PATH, protocol.QUERY_PATH)
                           else 404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                path = urllib.parse.urlsplit(self.path).path
                if simulator.delay:
                    time.sleep(simulator.delay)
                if simulator.fail:
                    self._send(503, {"error": "service_unavailable"})
                elif path == protocol.TOKEN_PATH:
                    form = dict(urllib.parse.parse_qsl(raw.decode("utf-8", "replace")))
                    self._send(*simulator.token(form, self.headers.get("Authorization", "")))
                elif path == protocol.QUERY_PATH:
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    self._send(*simulator.query(token, raw))
                else:
                    self._send(404, {"error": "not_found"})

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self._thread: threading.Thread | None = None

    def reset(self) -> None:
        """A working service again (the tests' fixture calls it before each test)."""
        self.fail = False
        self.delay = 0.0
        with self._lock:
            self.tokens.clear()
            self.queries.clear()

    def revoke_tokens(self) -> None:
        with self._lock:
            self.tokens.clear()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def _client_ok(self, form: dict[str, str], authorization: str) -> bool:
        return client_authenticated(
            form, authorization, client_id=self.client_id, client_secret=self.client_secret
        )

    def token(self, form: dict[str, str], authorization: str) -> tuple[int, dict[str, Any]]:
        if not self._client_ok(form, authorization):
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}
        token = secrets.token_urlsafe(24)
        with self._lock:
            self.tokens[token] = time.time() + TOKEN_SECONDS
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_SECONDS}

    def query(self, token: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        with self._lock:
            expires = self.tokens.get(token)
        if not token or expires is None or expires < time.time():
            return 401, {"error": "invalid_token"}
        try:
            body = json.loads(raw.decode("utf-8"))
        except ValueError:
            return 400, {"error": "invalid_request", "error_description": "JSON expected"}
        if not isinstance(body, dict):
            return 400, {"error": "invalid_request"}
        with self._lock:
            self.queries.append(body)
        number = str(body.get("SoDinhDanh") or "")
        if not (len(number) == 12 and number.isdigit()):
            return 400, {"error": "invalid_request", "error_description": "SoDinhDanh"}
        if body.get("CoSuDongY") is not True:
            return 403, {"error": "consent_required"}
        person = self.people.get(number)
        found = (
            [protocol.congdan_record(person, province=province_name(), people=self.people)]
            if person
            else []
        )
        return 200, {"MaYeuCau": body.get("MaYeuCau", ""), "CongdanCollection": {"CongDan": found}}

    def start(self) -> PopulationSimulator:
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def main() -> None:  # pragma: no cover - a demo helper
    import argparse

    parser = argparse.ArgumentParser(description="Local population database (CSDLQGDC) stand-in")
    parser.add_argument("--port", type=int, default=8028)
    parser.add_argument("--client-id", default="motcua-demo")
    parser.add_argument("--client-secret", default="sim-secret")
    args = parser.parse_args()
    sim = PopulationSimulator(
        port=args.port, client_id=args.client_id, client_secret=args.client_secret
    ).start()
    print(f"Population simulator: POPULATION_API_URL={sim.url}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sim.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
