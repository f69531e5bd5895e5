"""An OpenID Connect relying party: authorization code flow with PKCE (S256), state and
nonce, discovery, token exchange, and ID token checks (RS256 against the provider's
JWKS: signature, issuer, audience, expiry, nonce).

Settings (a Django setting of the same name wins, else the environment):
OIDC_VNEID_ISSUER, OIDC_VNEID_CLIENT_ID, OIDC_VNEID_CLIENT_SECRET, OIDC_VNEID_ID_CLAIM
(the claim carrying the citizen ID number, default "citizen_id"), OIDC_VNEID_SCOPES
(default "openid profile phone address"). Sign-in is offered only when issuer and client
id are set.

Claims read from the ID token (accounts.services.citizen_from_oidc_claims; names in
`claims`). VNeID publishes no claim list for relying parties, so these are our
assumption: OIDC standard claims where one exists, custom ones namespaced "vn_":

    sub                    the provider's stable subject: finds the citizen again
    name                   full name, family name first ("Hoàng Thị Lan")
    citizen_id             12-digit personal identification number (OIDC_VNEID_ID_CLAIM)
    birthdate              "YYYY-MM-DD" (OIDC standard)
    gender                 "male" / "female" (OIDC standard); "nam" / "nu" accepted too
    vn_ethnicity           ethnic group as written on the ID card ("Tày", "H'Mông")
    vn_nationality         "Việt Nam"
    address                OIDC standard address object, the permanent residence:
                           formatted (one line), street_address (village, street, house),
                           locality (commune or ward), region (province), country "VN"
    vn_commune_code        today's (post-2025) official code of the residence's commune
                           or ward ("02683" Xã Bát Xát); wins over matching `locality`
    phone_number           "+84…" with phone_number_verified (OIDC standard)

An `error` in the callback (the citizen pressed "Hủy" at the provider: access_denied)
raises OidcError with `error` set, once the state has been checked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

import jwt

from motcua.core.conf import setting

TIMEOUT = 10.0
CACHE_SECONDS = 300
ALGORITHMS = ["RS256"]


class OidcError(Exception):
    """The flow failed; `reason` is for logs, never shown as is. `error`: the provider's
    OAuth error code when it sent one back ("access_denied": the citizen cancelled)."""

    def __init__(self, reason: str, *, error: str = "") -> None:
        self.reason = reason
        self.error = error
        super().__init__(reason)


@dataclass(frozen=True)
class ProviderConfig:
    issuer: str
    client_id: str
    client_secret: str
    id_claim: str
    scopes: str


def vneid_config() -> ProviderConfig | None:
    """The VNeID provider's settings, or None when sign-in with it is not configured."""
    issuer = setting("OIDC_VNEID_ISSUER", "").rstrip("/")
    client_id = setting("OIDC_VNEID_CLIENT_ID", "")
    if not (issuer and client_id):
        return None
    return ProviderConfig(
        issuer=issuer,
        client_id=client_id,
        client_secret=setting("OIDC_VNEID_CLIENT_SECRET", ""),
        id_claim=setting("OIDC_VNEID_ID_CLAIM", "citizen_id"),
        scopes=setting("OIDC_VNEID_SCOPES", "openid profile phone address"),
    )


# --- HTTP ------------------------------------------------------------------------------------

_cache: dict[str, tuple[float, Any]] = {}


def _fetch_json(url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None):
    request = urllib.request.Request(url, data=data, headers={"Accept": "application/json"})
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        body = exc.read()[:300].decode("utf-8", "replace")
        raise OidcError(f"{url}: HTTP {exc.code} {body}") from exc
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        raise OidcError(f"{url}: {exc}") from exc


def _cached(url: str, *, refresh: bool = False) -> Any:
    hit = _cache.get(url)
    if hit and not refresh and hit[0] > time.monotonic():
        return hit[1]
    value = _fetch_json(url)
    _cache[url] = (time.monotonic() + CACHE_SECONDS, value)
    return value


def discovery(config: ProviderConfig) -> dict[str, Any]:
    doc = _cached(config.issuer + "/.well-known/openid-configuration")
    if not isinstance(doc, dict) or doc.get("issuer", "").rstrip("/") != config.issuer:
        raise OidcError("discovery document does not name the configured issuer")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not doc.get(key):
            raise OidcError(f"discovery document has no {key}")
    return doc


def clear_cache() -> None:
    _cache.clear()


# --- the flow --------------------------------------------------------------------------------


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def pkce_challenge(verifier: str) -> str:
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def authorization_start(config: ProviderConfig, *, redirect_uri: str) -> tuple[str, dict[str, str]]:
    """(the provider's authorization URL, what to keep in the session until the callback)."""
    doc = discovery(config)
    pending = {
        "state": secrets.token_urlsafe(24),
        "nonce": secrets.token_urlsafe(24),
        "verifier": secrets.token_urlsafe(48),
        "redirect_uri": redirect_uri,
    }
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": config.client_id,
            "redirect_uri": redirect_uri,
            "scope": config.scopes,
            "state": pending["state"],
            "nonce": pending["nonce"],
            "code_challenge": pkce_challenge(pending["verifier"]),
            "code_challenge_method": "S256",
        }
    )
    endpoint = doc["authorization_endpoint"]
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}", pending


def _signing_key(config: ProviderConfig, doc: dict[str, Any], token: str) -> Any:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise OidcError(f"ID token is not a JWT: {exc}") from exc
    if header.get("alg") not in ALGORITHMS:
        raise OidcError(f"ID token algorithm {header.get('alg')!r} refused")
    kid = header.get("kid")
    for refresh in (False, True):  # a kid we do not know: the provider rotated its keys
        jwks = _cached(doc["jwks_uri"], refresh=refresh)
        keys = [k for k in (jwks or {}).get("keys", []) if k.get("kty") == "RSA"]
        for key in keys:
            if kid is None or key.get("kid") == kid:
                try:
                    return jwt.PyJWK(key, algorithm="RS256").key
                except jwt.PyJWTError as exc:
                    raise OidcError(f"bad JWK: {exc}") from exc
    raise OidcError(f"no key {kid!r} in the provider's JWKS")


def authorization_finish(
    config: ProviderConfig, *, params: dict[str, str], pending: dict[str, str] | None
) -> dict[str, Any]:
    """Check the callback, exchange the code, verify the ID token; returns its claims."""
    if not pending or not pending.get("state"):
        raise OidcError("no sign-in in progress in this session")
    if not hmac.compare_digest(str(params.get("state", "")), pending["state"]):
        raise OidcError("state does not match")
    if params.get("error"):
        error = str(params.get("error"))[:64]
        raise OidcError(f"provider refused: {error}", error=error)
    code = params.get("code")
    if not code:
        raise OidcError("no code in the callback")
    doc = discovery(config)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": pending["redirect_uri"],
        "code_verifier": pending["verifier"],
        "client_id": config.client_id,
    }
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if config.client_secret:
        pair = (
            f"{urllib.parse.quote(config.client_id, safe='')}:"
            f"{urllib.parse.quote(config.client_secret, safe='')}"
        )
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    tokens = _fetch_json(
        doc["token_endpoint"], data=urllib.parse.urlencode(form).encode(), headers=headers
    )
    id_token = (tokens or {}).get("id_token")
    if not id_token:
        raise OidcError("token response has no id_token")
    key = _signing_key(config, doc, id_token)
    try:
        claims = jwt.decode(
            id_token,
            key=key,
            algorithms=ALGORITHMS,
            audience=config.client_id,
            issuer=doc["issuer"],
            leeway=60,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.PyJWTError as exc:
        raise OidcError(f"ID token refused: {exc}") from exc
    if not hmac.compare_digest(str(claims.get("nonce", "")), pending["nonce"]):
        raise OidcError("nonce does not match")
    return claims
