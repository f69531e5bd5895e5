"""A local OpenID Connect provider for the demo and the tests, standing in for VNeID.

Speaks the real protocol: discovery, /authorize (checks client_id, response_type and
the PKCE challenge), /token (client authentication by Basic or form, PKCE verifier, one
use per code), /jwks (RS256 key made at start) and /userinfo. `forge_signature = True`
signs ID tokens with another key than the published one (a forged token the relying
party must refuse).

/authorize auto-approves `user` (default: the demo's first-time mother) unless
`consent_page` is on: then it shows a plain HTML page, as VNeID asks in its app, where
the visitor picks which person they are (`people`, claim sets; by default the demo
residents with a VNeID account in demo_people.json) and sees what motcua will receive;
"Đồng ý và tiếp tục" posts back and redirects with a code for that person, "Hủy" with
error=access_denied.

    sim = OidcProviderSimulator(client_id="motcua", client_secret="s3cret").start()
    ... OIDC_VNEID_ISSUER = sim.issuer ...
    sim.stop()
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from motcua.accounts.contrib.population.people import vneid_claims, vneid_default, vneid_people

# The demo's first-time mother (demo_people.json), as VNeID describes her.
DEFAULT_USER: dict[str, Any] = vneid_claims(vneid_default())

# What the consent page says motcua will receive, in the provider's words.
SHARED_DATA = [
    "Họ và tên",
    "Số định danh cá nhân",
    "Ngày sinh",
    "Giới tính",
    "Dân tộc",
    "Quốc tịch",
    "Nơi thường trú",
    "Số điện thoại",
]
AUTHORIZE_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def client_authenticated(
    form: dict[str, str], authorization: str, *, client_id: str, client_secret: str
) -> bool:
    """OAuth 2.0 client authentication at a token endpoint (RFC 6749 §2.3.1): HTTP Basic
    with the form-encoded id and secret, or both in the request body."""
    if authorization.startswith("Basic "):
        try:
            pair = base64.b64decode(authorization[6:]).decode("utf-8")
        except ValueError:
            return False
        given_id, _, secret = pair.partition(":")
        given_id = urllib.parse.unquote(given_id)
        secret = urllib.parse.unquote(secret)
    else:
        given_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    return given_id == client_id and hmac.compare_digest(secret, client_secret)


class OidcProviderSimulator:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        client_id: str = "motcua-demo",
        client_secret: str = "sim-secret",
        user: dict[str, Any] | None = None,
        people: list[dict[str, Any]] | None = None,
        consent_page: bool = False,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self._people = [dict(p) for p in people] if people is not None else None
        self.reset(user=user, consent_page=consent_page)
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)
        self.codes: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        simulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any = None, headers: dict | None = None) -> None:
                if isinstance(body, str):  # an HTML page
                    raw, content_type = body.encode("utf-8"), "text/html; charset=utf-8"
                else:
                    raw = b"" if body is None else json.dumps(body).encode("utf-8")
                    content_type = "application/json"
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                if body is not None:
                    self.send_header("Content-Type", content_type)
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                if url.path == "/.well-known/openid-configuration":
                    self._send(200, simulator.discovery())
                elif url.path == "/jwks":
                    self._send(200, simulator.jwks())
                elif url.path == "/authorize":
                    status, headers, body = simulator.authorize(query)
                    self._send(status, body, headers)
                elif url.path == "/userinfo":
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    with simulator._lock:
                        claims = simulator.tokens.get(token)
                    if claims is None:
                        self._send(401, {"error": "invalid_token"})
                    else:
                        self._send(200, claims)
                else:
                    self._send(404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8") if length else ""
                path = urllib.parse.urlsplit(self.path).path
                form = dict(urllib.parse.parse_qsl(raw))
                if path == "/authorize":
                    status, headers, page = simulator.consent_answer(form)
                    self._send(status, page, headers)
                elif path == "/token":
                    status, body = simulator.token(form, self.headers.get("Authorization", ""))
                    self._send(status, body)
                else:
                    self._send(404, {"error": "not_found"})

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self._thread: threading.Thread | None = None

    def reset(self, *, user: dict[str, Any] | None = None, consent_page: bool = False) -> None:
        """Back to a fresh provider (the tests' fixture calls it before each test):
        `user` signed in without asking, or offered first on the consent page."""
        self.user = dict(user or DEFAULT_USER)
        self.consent_page = consent_page
        self.forge_signature = False

    @property
    def people(self) -> list[dict[str, Any]]:
        """Who may sign in on the consent page: the demo residents with VNeID, and `user`."""
        people = (
            self._people
            if self._people is not None
            else [vneid_claims(p) for p in vneid_people()]
        )
        if all(p["sub"] != self.user["sub"] for p in people):
            people = [self.user, *people]
        return people

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.issuer + "/authorize",
            "token_endpoint": self.issuer + "/token",
            "jwks_uri": self.issuer + "/jwks",
            "userinfo_endpoint": self.issuer + "/userinfo",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "profile", "phone", "address"],
            "claims_supported": sorted({key for person in self.people for key in person}),
        }

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [jwk]}

    def _request_error(self, query: dict[str, str]) -> dict[str, str] | None:
        if query.get("client_id") != self.client_id or not query.get("redirect_uri"):
            return {"error": "invalid_client"}
        if query.get("response_type") != "code" or not query.get("code_challenge"):
            return {"error": "invalid_request"}
        if query.get("code_challenge_method") != "S256":
            return {"error": "invalid_request", "error_description": "S256 only"}
        return None

    @staticmethod
    def _back(query: dict[str, str], params: dict[str, str], status: int = 302):
        if "state" in query:
            params["state"] = query["state"]
        redirect_uri = query["redirect_uri"]
        sep = "&" if "?" in redirect_uri else "?"
        return status, {"Location": redirect_uri + sep + urllib.parse.urlencode(params)}, None

    def _grant(self, query: dict[str, str], claims: dict[str, Any], status: int = 302):
        code = secrets.token_urlsafe(24)
        with self._lock:
            self.codes[code] = {
                "redirect_uri": query["redirect_uri"],
                "challenge": query["code_challenge"],
                "nonce": query.get("nonce", ""),
                "claims": dict(claims),
                "expires": time.time() + 60,
            }
        return self._back(query, {"code": code}, status)

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        error = self._request_error(query)
        if error:
            return 400, {}, error
        if self.consent_page:
            return 200, {}, self.consent_html(query)
        return self._grant(query, self.user)

    def consent_answer(self, form: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        """The consent page posted back: a code for the person chosen, or access_denied."""
        query = {key: form[key] for key in AUTHORIZE_PARAMS if key in form}
        error = self._request_error(query)
        if error:
            return 400, {}, error
        if form.get("decision") != "allow":
            return self._back(query, {"error": "access_denied"}, 303)
        person = next((p for p in self.people if p["sub"] == form.get("person")), None)
        if person is None:
            return 400, {}, self.consent_html(query, problem="Hãy chọn bạn là ai.")
        return self._grant(query, person, 303)

    def consent_html(self, query: dict[str, str], *, problem: str = "") -> str:
        """The consent page: who you are (radio list of the demo people) and what motcua
        will receive. Plain HTML and a little CSS, no script; fits a 360 px screen."""
        esc = html.escape
        hidden = "".join(
            f'<input type="hidden" name="{esc(key)}" value="{esc(query[key])}">'
            for key in AUTHORIZE_PARAMS
            if key in query
        )
        choices = []
        for index, person in enumerate(self.people):
            born = str(person.get("birthdate", ""))
            born = f"{born[8:10]}/{born[5:7]}/{born[:4]}" if len(born) == 10 else born
            place = (person.get("address") or {}).get("locality", "")
            detail = ", ".join(part for part in (f"sinh {born}" if born else "", place) if part)
            checked = " checked" if person["sub"] == self.user["sub"] else ""
            choices.append(
                f'<li><input type="radio" name="person" id="p{index}" '
                f'value="{esc(person["sub"])}"{checked}>'
                f'<label for="p{index}"><strong>{esc(str(person.get("name", "")))}</strong>'
                f'<span>{esc(detail)}</span></label></li>'
            )
        shared = "".join(f"<li>{esc(item)}</li>" for item in SHARED_DATA)
        alert = f'<p class="problem" role="alert">{esc(problem)}</p>' if problem else ""
        return (
            '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>VNeID (mô phỏng): đồng ý chia sẻ thông tin</title><style>"
            "*{box-sizing:border-box}body{margin:0;font-family:system-ui,Arial,sans-serif;"
            "font-size:1.05rem;line-height:1.5;color:#1b1b1b;background:#fff}"
            "header{background:#a3150f;color:#fff;padding:.75rem 1rem;font-weight:700}"
            "main{max-width:40rem;margin:0 auto;padding:0 1rem 2rem}"
            "h1{font-size:1.5rem;margin:1rem 0 .5rem}h2{font-size:1.2rem;margin:1.5rem 0 .5rem}"
            ".note{background:#fff4e5;border-left:4px solid #8a4b00;padding:.5rem .75rem}"
            ".problem{background:#fdecea;border-left:4px solid #a3150f;padding:.5rem .75rem}"
            "fieldset{border:0;padding:0;margin:0;min-width:0}legend{padding:0}"
            "ul.people{list-style:none;padding:0;margin:0}"
            "ul.people li{display:flex;align-items:flex-start;gap:.75rem;"
            "border-bottom:1px solid #d0d0d0;padding:.5rem 0}"
            "ul.people input{flex:none;width:28px;height:28px;margin:.3rem 0 0}"
            "ul.people label{flex:1;min-height:44px;cursor:pointer}"
            "ul.people label span{display:block;color:#4a4a4a}"
            "button{display:block;width:100%;min-height:52px;margin:.75rem 0;font-size:1.15rem;"
            "font-weight:700;border-radius:6px;cursor:pointer}"
            ".allow{background:#a3150f;color:#fff;border:0}"
            ".deny{background:#fff;color:#1b1b1b;border:2px solid #1b1b1b}"
            "button:focus,input:focus{outline:3px solid #f9a825;outline-offset:2px}"
            "</style></head><body>"
            '<header>VNeID (mô phỏng)</header><main>'
            "<h1>Chia sẻ thông tin định danh với Cổng dịch vụ công</h1>"
            '<p class="note">Đây là trang <strong>mô phỏng</strong> VNeID cho bản demo: '
            "không có người hay dữ liệu thật.</p>"
            f"{alert}"
            '<form method="post" action="/authorize">'
            f"{hidden}"
            "<fieldset><legend><h2>Bạn là ai?</h2></legend>"
            f'<ul class="people">{"".join(choices)}</ul></fieldset>'
            "<h2>Cổng dịch vụ công sẽ nhận những thông tin này của bạn</h2>"
            f"<ul>{shared}</ul>"
            "<p>Thông tin chỉ được gửi đi khi bạn bấm «Đồng ý và tiếp tục».</p>"
            '<button type="submit" name="decision" value="allow" class="allow">'
            "Đồng ý và tiếp tục</button>"
            '<button type="submit" name="decision" value="deny" class="deny">Hủy</button>'
            "</form></main></body></html>"
        )

    def _client_ok(self, form: dict[str, str], authorization: str) -> bool:
        return client_authenticated(
            form, authorization, client_id=self.client_id, client_secret=self.client_secret
        )

    def token(self, form: dict[str, str], authorization: str) -> tuple[int, dict[str, Any]]:
        if not self._client_ok(form, authorization):
            return 401, {"error": "invalid_client"}
        if form.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        with self._lock:
            grant = self.codes.pop(form.get("code", ""), None)  # a code is used once
        if grant is None or grant["expires"] < time.time():
            return 400, {"error": "invalid_grant"}
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri"}
        verifier = form.get("code_verifier", "")
        if _b64url(hashlib.sha256(verifier.encode()).digest()) != grant["challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE"}
        now = int(time.time())
        person = grant["claims"]
        claims = {
            **person,
            "iss": self.issuer,
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
        }
        key = self.other_key if self.forge_signature else self.key
        id_token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.kid})
        access_token = secrets.token_urlsafe(24)
        with self._lock:
            self.tokens[access_token] = dict(person)
        return 200, {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": id_token,
        }

    def start(self) -> OidcProviderSimulator:
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def main() -> None:  # pragma: no cover - a demo helper
    import argparse

    parser = argparse.ArgumentParser(description="Local OpenID Connect provider (VNeID stand-in)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--client-id", default="motcua-demo")
    parser.add_argument("--client-secret", default="sim-secret")
    parser.add_argument("--consent-page", action="store_true")
    args = parser.parse_args()
    sim = OidcProviderSimulator(
        port=args.port,
        client_id=args.client_id,
        client_secret=args.client_secret,
        consent_page=args.consent_page,
    ).start()
    print(f"OIDC simulator: OIDC_VNEID_ISSUER={sim.issuer}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sim.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
