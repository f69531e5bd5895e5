"""The baseline page of bench/portal.py: "hello" through the app's own middleware and URL
resolver, with no database, session or template work. Routed only when
MOTCUA_BENCH_HELLO is on (see motcua/urls.py); never in a normal deployment."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"hello", content_type="text/plain; charset=utf-8")
