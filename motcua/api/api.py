"""The versioned REST API (django-ninja), mounted at /api/v1/."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Query, Status
from ninja.errors import (
    AuthenticationError,
    AuthorizationError,
    HttpError,
    Throttled,
    ValidationError,
)
from ninja.renderers import JSONRenderer

from motcua.api.indicators import router as indicators_router
from motcua.api.schemas import ErrorOut, ProcedureListOut
from motcua.api.tracking import router as tracking_router
from motcua.catalog.search import SearchQueryError, procedure_search
from motcua.core.errors import api_message

MAX_LIMIT = 50

class UnicodeJSONRenderer(JSONRenderer):
    # Vietnamese as UTF-8, not \u escapes: a third fewer bytes on a slow phone connection.
    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    title="motcua API", version="1", urls_namespace="api-v1", renderer=UnicodeJSONRenderer()
)
api.add_router("", tracking_router)
api.add_router("", indicators_router)


# Ninja answers bad parameters with 422 and pydantic's error list; callers of this API
# get 400 and one readable sentence naming the parameter instead.
_PARAMETER_MESSAGES = {
    "limit": lambda: _("“limit” must be a whole number from 1 to %(max)d.") % {"max": MAX_LIMIT},
    "offset": lambda: _("“offset” must be a whole number, 0 or more."),
}


@api.exception_handler(ValidationError)
def bad_parameters(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    messages: list[str] = []
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("query", "body")]
        name = location[-1] if location else ""
        message_for = _PARAMETER_MESSAGES.get(name)
        if message_for is not None:
            message = message_for()
        elif name:
            message = _("“%(name)s” has an invalid value.") % {"name": name}
        else:
            message = _("The request is invalid.")
        if message not in messages:
            messages.append(message)
    return api.create_response(request, {"detail": " ".join(messages)}, status=400)


# Ninja's own errors in the same {"detail": …} shape, in the caller's language; other
# exceptions go on to Django's handler500, which answers JSON under /api/ (core.errors).
@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": api_message(404)}, status=404)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # Ninja's built-in ones (401 sign-in, 403, 429 throttled) carry English words.
    builtin = isinstance(exc, AuthenticationError | AuthorizationError | Throttled)
    detail = api_message(exc.status_code) if builtin else str(exc)
    return api.create_response(request, {"detail": detail}, status=exc.status_code)


@api.get(
    "/procedures",
    response={200: ProcedureListOut, 400: ErrorOut},
    summary="Search the procedure catalog",
    tags=["catalog"],
)
def procedures(
    request: HttpRequest,
    q: str = Query("", description="Words to look for; empty lists every procedure."),
    limit: int = Query(10, ge=1, le=MAX_LIMIT),
    offset: int = Query(0, ge=0),
) -> Status:
    """Procedures matching `q`, best first.

    Diacritics, Unicode form, tone placement and i/y spelling do not matter, and one
    typo per word is forgiven. An empty `q` lists all procedures by field, then name.
    """
    try:
        result = procedure_search(query=q, limit=limit, offset=offset)
    except SearchQueryError as exc:
        return Status(400, {"detail": str(exc)})
    return Status(200, {"items": result.items, "total": result.total})
