"""The one way the payment methods call a gateway over HTTP (standard library only)."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from email.message import Message

from motcua.payments import conf
from motcua.payments.methods.base import GatewayError, GatewayTimeout


def gateway_call(
    name: str,
    url: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes, Message]:
    """(status, body, headers) of any HTTP answer, errors included. GatewayError when the
    request surely did not get through; GatewayTimeout when it may have arrived and no
    whole answer came back within PAY_HTTP_TIMEOUT — the caller must ask again later,
    never assume it failed."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=conf.get("PAY_HTTP_TIMEOUT")) as reply:
            return reply.status, reply.read(), reply.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise GatewayTimeout(f"{name}: no answer ({exc.reason})") from None
        raise GatewayError(f"{name} not reachable: {exc.reason}") from None
    except (TimeoutError, http.client.HTTPException, OSError) as exc:  # cut off mid-answer
        raise GatewayTimeout(f"{name}: no answer ({type(exc).__name__}: {exc})") from None
