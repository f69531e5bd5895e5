"""Under /api/ every error is JSON, whoever answered it."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from motcua.core.errors import is_api, json_error

# Kept from the answer replaced: what the caller needs to retry or authenticate.
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "Vary", "Cache-Control")


class JsonErrorsMiddleware:
    """An error under /api/ that is not JSON (Django's 405 from require_http_methods,
    ninja's "Method not allowed", anything a middleware answers) becomes
    {"detail": "…"} with the same status: API clients and payment gateways parse JSON,
    never an HTML page (ASVS 5.0 V16.5.1)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_api(request) and settings.SECURE_SSL_REDIRECT and not request.is_secure():
            # Pages are redirected to HTTPS, the API is not (SECURE_REDIRECT_EXEMPT): a
            # client calling http:// must fail loudly, not have its token and data sent in
            # the clear and then silently followed to https:// (ASVS 5.0 V4.1.2).
            return json_error(403, _("The API answers only over HTTPS."))
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not is_api(request)
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        answer = json_error(response.status_code)
        for name in _KEPT_HEADERS:
            if name in response:
                answer[name] = response[name]
        answer.cookies = response.cookies
        return answer
