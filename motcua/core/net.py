"""Who is on the other end of a request."""

from __future__ import annotations

from django.http import HttpRequest

from motcua.core.conf import setting


def client_ip(request: HttpRequest) -> str:
    """The client's address. Behind N trusted reverse proxies (MOTCUA_PROXY_HOPS, 0 by
    default) it is the N-th address from the right of X-Forwarded-For: anything further
    left was written by the client and can be forged."""
    hops = setting("MOTCUA_PROXY_HOPS", 0)
    if hops > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops:
            return forwarded[-hops][:64]
    return (request.META.get("REMOTE_ADDR", "") or "unknown")[:64]
