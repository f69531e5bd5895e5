"""Citizen pages. Thin: parse the request, call one selector, render."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from motcua.catalog.display import duration_text, fee_summary
from motcua.catalog.search import (
    SearchQueryError,
    procedure_search,
    procedure_suggestions,
    procedures_by_field,
    validate_query,
)
from motcua.catalog.selectors import procedure_get_current
from motcua.payments.selectors import online_payment_offered
from motcua.portal.help import desk_help
from motcua.portal.pagecache import public_page

PAGE_SIZE = 20


@require_GET
@public_page
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html")


@require_GET
@public_page
def search(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("q", "")
    try:
        query = validate_query(raw)
    except SearchQueryError as exc:
        return render(
            request, "portal/search.html", {"q": raw[:200], "error": str(exc)}, status=400
        )
    if not query.strip():
        return render(request, "portal/search.html", {"q": "", "groups": procedures_by_field()})
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    result = procedure_search(query=query, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    context = {
        "q": query,
        "result": result,
        "page": page,
        "next_page": page + 1 if page * PAGE_SIZE < result.total else None,
        "previous_page": page - 1 if page > 1 else None,
    }
    if not result.total or result.unavailable:
        # Nothing, or not what was asked for: the closest procedures, and people to ask.
        context["suggestions"] = [] if result.total else procedure_suggestions(query=query)
        # The citizen's own commune desk when known, else the province's centre.
        context["desk"] = desk_help(user=request.user)
    return render(request, "portal/search.html", context)


@require_GET
@public_page
def procedure_detail(request: HttpRequest, code: str) -> HttpResponse:
    version = procedure_get_current(code=code)
    if version is None:
        raise Http404
    context = {
        "version": version,
        "procedure": version.procedure,
        "duration": duration_text(version.duration_kind, version.duration_amount),
        "fees": fee_summary(version),
        "papers": list(version.papers.all()),
        "demo": set(version.demo_fields),
        "can_file_online": version.procedure.form_definitions.exists(),
        # Said only when a method is configured to take the money, not on the catalog's word.
        "pay_online": online_payment_offered(version=version),
    }
    return render(request, "portal/procedure.html", context)


@never_cache
@require_GET
def switch_language(request: HttpRequest, code: str) -> HttpResponse:
    """The footer's language links: set the language cookie, back to the same page.

    A GET link rather than Django's POST form, which carries a per-visitor CSRF token and
    would make every page uncacheable (motcua.portal.pagecache). Choosing a language
    changes nothing but how pages are shown, so a link anyone could send is harmless.
    The cookie's name and flags come from settings (__Host-lang in production,
    ASVS 5.0 V3.3.1); `next` must be an address of this site (ASVS 5.0 V3.7.2).
    """
    if code not in dict(settings.LANGUAGES):
        raise Http404
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE or "Lax",
    )
    return response
