"""One-use form keys: a double submit makes one record.

Every form that creates or changes a record carries `{% once_key %}`: a hidden field
`_once` with a random key minted when the page is drawn. The first POST carrying the key
claims it by inserting a `FormKey` row in a short transaction of its own, before the
view runs (so the claim is visible to every other worker at once); the view then runs
as usual and its answer is written on the row. A repeat of the same POST (a double
click, a phone resending on a weak connection, the same form sent five times at once)
finds the row, waits for the first to finish, and gets the first answer back: the same
redirect, or the same page. Nothing is done twice (ASVS 5.0 V2.3.4: an operation cannot
be performed twice by repeating its request; the services keep their own locks too).
A repeat is the same form sent again with the same content: a page brought back with the
browser's Back button, changed and sent, carries a used key but other content, and is
told that its changes were not sent (rather than answered as if they had been).

What is not replayed: the first answer's cookies (so no key on sign-in forms); a page
marked no-store, or bigger than BODY_LIMIT, is not kept (the repeat is told the request
was sent); a 5xx or 429 answer, or a view that raised, releases the key so that a retry
runs again. Requests without a signed-in user never claim a key: every keyed view needs
one, and an anonymous visitor must not be able to fill the table.

A POST without a key is left alone: the JSON API and the payment gateways' callbacks
have their own authentication and idempotency, and a template scan
(tests/core/test_once.py) makes sure every form that records something carries a key.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from motcua.core.models import FormKey

logger = logging.getLogger(__name__)

FIELD = "_once"
# secrets.token_urlsafe(24): 24 random bytes, 32 characters of the URL-safe alphabet.
KEY_BYTES = 24
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{32}")
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
# Fields that differ between two sendings of the same drawn form, or are the key itself.
NOT_CONTENT = {FIELD, "csrfmiddlewaretoken"}
OFFICE_PREFIX = "/mot-cua/"  # the back office's pages (motcua/urls.py)
WAIT_SECONDS = 15.0  # how long a repeat waits for the first request to finish
POLL_SECONDS = 0.1
BODY_LIMIT = 1024 * 1024  # a first answer bigger than this is not stored
KEEP = timedelta(days=2)  # keys are forgotten after this (a page open longer gets a new claim)
BODY_KEEP = timedelta(hours=1)  # a stored page (it may hold what was typed) is dropped sooner
PATH_LENGTH = FormKey._meta.get_field("path").max_length
LOCATION_LENGTH = FormKey._meta.get_field("location").max_length
TYPE_LENGTH = FormKey._meta.get_field("content_type").max_length


class OnceKeyRefused(SuspiciousOperation):
    """A malformed key, or another user's or another form's key: answered 400 and logged
    by Django under django.security.OnceKeyRefused."""


def once_key_new() -> str:
    """A fresh key for one drawing of one form."""
    return secrets.token_urlsafe(KEY_BYTES)


def form_keys_purge(*, now: datetime | None = None) -> int:
    """Forget keys older than KEEP and drop stored pages older than BODY_KEEP; returns
    how many keys were deleted. Run nightly (motcua.core.tasks)."""
    now = now or timezone.now()
    FormKey.objects.filter(created_at__lt=now - BODY_KEEP, body__isnull=False).update(body=None)
    deleted, _detail = FormKey.objects.filter(created_at__lt=now - KEEP).delete()
    return deleted


class OnceMiddleware:
    """Claims a POST's `_once` key before its view runs and answers repeats with the
    first answer (placed after authentication and CSRF: only a valid, signed-in POST
    claims anything)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self.get_response(request)
        except BaseException:
            _release(request)
            raise
        key = getattr(request, "_once_claimed", None)
        if key is not None:
            if response.status_code >= 500 or response.status_code == 429:
                _release(request)  # not done (or not now): a retry must run again
            else:
                _finish(key, response)
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        # process_view runs after CsrfViewMiddleware.process_view accepted the request.
        if request.method != "POST" or request.content_type not in FORM_TYPES:
            return None
        values = request.POST.getlist(FIELD)
        if not values:
            return None
        if len(values) != 1 or not KEY_PATTERN.fullmatch(values[0]):
            raise OnceKeyRefused("Malformed one-use form key.")
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return _claim_or_replay(
            request, values[0], user.pk, request.path[:PATH_LENGTH], _content_digest(request)
        )

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        _release(request)
        return None


def _content_digest(request: HttpRequest) -> str:
    """What the form sent, as a hash: its fields, and its files' names and sizes."""
    fields = sorted(
        (name, values) for name, values in request.POST.lists() if name not in NOT_CONTENT
    )
    files = sorted(
        (name, [(upload.name, upload.size) for upload in uploads])
        for name, uploads in request.FILES.lists()
    )
    return hashlib.sha256(json.dumps([fields, files]).encode()).hexdigest()


def _claim_or_replay(request: HttpRequest, key: str, user_id: int, path: str, digest: str):
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        row = FormKey.objects.filter(pk=key).first()
        if row is None:
            try:
                # Its own short transaction (a savepoint if a test already opened one):
                # committed before the view starts, so every other worker sees the claim.
                with transaction.atomic():
                    FormKey.objects.create(key=key, user_id=user_id, path=path, digest=digest)
            except IntegrityError:
                # Claimed by a request running beside this one: read it (again).
                if time.monotonic() >= deadline:
                    return _already_sent(request)
                continue
            request._once_claimed = key
            return None
        if row.user_id != user_id or row.path != path:
            raise OnceKeyRefused("One-use form key of another user or another form.")
        if row.digest != digest:
            return _already_sent(request, changed=True)
        if row.finished:
            return _replay(request, row)
        if time.monotonic() >= deadline:
            return _already_sent(request)
        time.sleep(POLL_SECONDS)


def _finish(key: str, response: HttpResponse) -> None:
    location = response.get("Location", "") if 300 <= response.status_code < 400 else ""
    body = None
    if (
        not location
        and not response.streaming
        # An answer marked no-store (a temporary password shown once) is never kept:
        # its repeat gets the "already sent" page instead.
        and "no-store" not in response.get("Cache-Control", "")
        and len(response.content) <= BODY_LIMIT
    ):
        body = response.content
    if len(location) > LOCATION_LENGTH:
        location = ""
    FormKey.objects.filter(pk=key).update(
        finished=True,
        status=response.status_code,
        location=location,
        content_type=(response.get("Content-Type", "") or "")[:TYPE_LENGTH],
        body=body,
    )


def _release(request: HttpRequest) -> None:
    key = getattr(request, "_once_claimed", None)
    if key is None:
        return
    request._once_claimed = None
    try:
        FormKey.objects.filter(pk=key, finished=False).delete()
    except Exception:  # the database may be why the view failed; the key then stays used
        logger.exception("Could not release one-use form key")


def _replay(request: HttpRequest, row: FormKey) -> HttpResponse:
    if row.location:
        response = HttpResponse(status=row.status)
        response["Location"] = row.location
        return response
    if row.body is not None and timezone.now() - row.created_at < BODY_KEEP:
        return HttpResponse(
            bytes(row.body), status=row.status, content_type=row.content_type or None
        )
    return _already_sent(request)


def _already_sent(request: HttpRequest, *, changed: bool = False) -> HttpResponse:
    """The first request is still running, or its answer was not kept, or this one is the
    same form changed after it was sent: say so plainly, in the layout of where it
    happened, with a way back to the page the form was on."""
    back = request.headers.get("Referer", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "/"
    office = request.path_info.startswith(OFFICE_PREFIX)
    context = {
        "layout": "backoffice/base.html" if office else "base.html",
        "back": back,
        "changed": changed,
    }
    response = TemplateResponse(request, "core/once_sent.html", context, status=409)
    response["Cache-Control"] = "no-store"
    return response.render()
