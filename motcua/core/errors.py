"""Error answers: a plain Vietnamese page in the citizen's or the back office's layout,
or `{"detail": …}` JSON under /api/ (handler400/403/404/500 in motcua/urls.py, the CSRF
failure view in settings).

Generic words only: what failed inside is logged by Django, never shown (ASVS 5.0
V16.5.1). The pages are templates/NNN.html; 429.html is also rendered by any view that
limits attempts: render(request, "429.html", {"retry_minutes": n}, status=429).
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

logger = logging.getLogger(__name__)

# Where the JSON API and the payment gateways' callbacks live (motcua/urls.py).
API_PREFIX = "/api/"

# One sentence per status for API callers (and the catch-all of api.middleware).
API_MESSAGES = {
    400: gettext_lazy("The request is invalid."),
    401: gettext_lazy("Sign in first."),
    403: gettext_lazy("You do not have permission to do this."),
    404: gettext_lazy("Not found."),
    405: gettext_lazy("This method is not allowed here."),
    413: gettext_lazy("The request is too large."),
    429: gettext_lazy("Too many requests. Wait a few minutes and try again."),
    500: gettext_lazy("Something went wrong on our side. Try again in a few minutes."),
}


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def api_message(status: int) -> str:
    message = API_MESSAGES.get(status) or API_MESSAGES[500 if status >= 500 else 400]
    return str(message)


def json_error(status: int, detail: str = "") -> JsonResponse:
    return JsonResponse(
        {"detail": detail or api_message(status)},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def error_page(
    request: HttpRequest, status: int, *, detail: str = "", retry_minutes: int | None = None
) -> HttpResponse:
    """The page of `status` (templates/NNN.html), or its JSON under /api/."""
    if is_api(request):
        return json_error(status, detail)
    context = {"detail": detail, "retry_minutes": retry_minutes}
    # Rendered now (not lazily) so that a page raising while it renders is caught here.
    response = TemplateResponse(request, f"{status}.html", context, status=status)
    return response.render()


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 404)


# Last resort when even the 500 page cannot render (a broken template, no translations).
_FALLBACK_500 = (
    '<!doctype html><html lang="vi"><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>Lỗi hệ thống</title><h1>Đã có lỗi ở phía chúng tôi</h1>"
    "<p>Xin vui lòng thử lại sau ít phút.</p><p><a href=\"/\">Về trang chủ</a></p></html>"
)


def server_error(request: HttpRequest) -> HttpResponse:
    """No request context (no session, no user, no database: the database may be what
    failed), only the path to choose the layout."""
    if is_api(request):
        return json_error(500)
    try:
        html = loader.get_template("500.html").render({"request": request})
    except Exception:
        logger.exception("The 500 page did not render")
        html = _FALLBACK_500
    return HttpResponse(html, status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent from a page opened too long ago (or without cookies): plain words
    and the way out, instead of Django's technical page (settings.CSRF_FAILURE_VIEW)."""
    if is_api(request):
        return json_error(403, _("The request could not be checked (CSRF); reload and retry."))
    context = {"no_cookie": "cookie" in reason.lower()}
    return TemplateResponse(request, "csrf.html", context, status=403).render()
