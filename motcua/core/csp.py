"""The Content-Security-Policy header, with the outside addresses a form may lead to.

A form posted to our own address may be answered with a redirect to another site (the
VNeID sign-in page, a payment gateway's pay page), and browsers check that redirect
against the form page's `form-action` (CSP 3, "form-action" covers redirects after a form
submission). Those sites are configured at run time (environment, or the `settings`
fixture in the tests), so their origins are added to `form-action` per response, read
from the very settings the app uses: settings.MOTCUA_CSP_FORM_TARGET_SETTINGS names them,
settings.MOTCUA_CSP_FORM_ACTION adds origins no setting names (a gateway whose pay page
lives on another host than its API). ASVS 5.0 V3.4.3.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.middleware import PolicyParts
from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from motcua.core.conf import setting


def url_origin(url: str) -> str:
    """"https://pay.example.vn:8443/x?y" → "https://pay.example.vn:8443"; "" if not a URL."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


@lru_cache(maxsize=32)
def _origins(urls: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(o for o in map(url_origin, urls) if o))


def form_action_origins() -> tuple[str, ...]:
    """The outside origins forms may lead to, as configured now."""
    names = getattr(settings, "MOTCUA_CSP_FORM_TARGET_SETTINGS", ())
    urls = [setting(name, "") for name in names]
    urls += list(getattr(settings, "MOTCUA_CSP_FORM_ACTION", ()))
    return _origins(tuple(urls))


class CSPMiddleware(BaseCSPMiddleware):
    """django-csp's middleware, with the configured outside form targets in form-action."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        origins = form_action_origins()
        if origins and not report_only:
            update = dict(parts.update or {})
            update["form-action"] = [*update.get("form-action", ()), *origins]
            parts.update = update
        return parts
