"""A JSON-over-HTTP call that tells "not sent" apart from "no answer"."""

from __future__ import annotations

import http.client
import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any


class NotSent(Exception):
    """The request never reached the gateway (refused, unknown host)."""


class NoAnswer(Exception):
    """The request may have reached the gateway, but no answer came back."""


@dataclass(frozen=True)
class Response:
    status: int
    body: dict[str, Any]
    retry_after: float | None = None


def post_json(
    url: str, payload: dict[str, Any], *, headers: dict[str, str] | None = None, timeout: float
) -> Response:
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=data,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return _response(reply.status, reply.read(), reply.headers.get("Retry-After"))
    except urllib.error.HTTPError as exc:
        return _response(exc.code, exc.read(), exc.headers.get("Retry-After"))
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, ConnectionRefusedError | socket.gaierror):
            raise NotSent(str(exc.reason)) from exc
        raise NoAnswer(str(exc.reason)) from exc
    except (TimeoutError, http.client.HTTPException, ConnectionError, OSError) as exc:
        raise NoAnswer(f"{type(exc).__name__}: {exc}") from exc


def _response(status: int, raw: bytes, retry_after: str | None) -> Response:
    try:
        body = json.loads(raw.decode("utf-8")) if raw else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        body = {"_raw": raw[:200].decode("utf-8", "replace")}
    if not isinstance(body, dict):
        body = {"_raw": body}
    try:
        wait = float(retry_after) if retry_after else None
    except ValueError:
        wait = None
    return Response(status=status, body=body, retry_after=wait)
