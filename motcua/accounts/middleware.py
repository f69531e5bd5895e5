"""Session rules for signed-in people."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage import default_storage
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.accounts.signin import (
    SESSION_SECOND_FACTOR,
    SESSION_SIGNED_IN_AT,
    absolute_lifetime_seconds,
)

# Where officials work: their sign-in page, not the citizens', when their session ends.
OFFICIAL_PREFIXES = ("/mot-cua/", "/admin/")
# Seconds until the session ends, on the answers to a page's scripts (the autosave, the
# "continue" button), so the page's expiry warning counts from the right moment.
EXPIRES_IN_HEADER = "X-Session-Expires-In"
_EXPIRY = "_session_expiry"  # where Django keeps a session's own expiry


def session_renew(session: SessionBase, *, force: bool = False) -> None:
    """Sets the session's end SESSION_COOKIE_AGE (the idle limit) from now when it has run
    down by more than min(5 minutes, a tenth of it), or when `force`d. Between two renewals
    a request does not write the session row; the session still ends between 0.9 and 1
    idle limit after the last request (ASVS 5.0 V7.3.1), and get_expiry_age() is exact,
    so the page's warning (portal/session.js) counts from the real end."""
    age = settings.SESSION_COOKIE_AGE
    if force or _EXPIRY not in session or session.get_expiry_age() < age - min(300, age // 10):
        session.set_expiry(timezone.now() + timedelta(seconds=age))


class SessionLifetimeMiddleware:
    """Ends a signed-in session MOTCUA_SESSION_ABSOLUTE_HOURS (default 12) after sign-in,
    however active it is (ASVS 5.0 V7.3.2); the idle limit is SESSION_COOKIE_AGE, renewed
    by session_renew (not on every request: most requests do not write the session).
    The sign-in time is written at login (motcua.accounts.signin), or
    here for a session signed in before this rule existed.

    A page asked for in a browser is answered with the right sign-in page (the officials'
    for a session that passed their second factor or a back-office address, the citizens'
    otherwise) and a message saying why; a script's or the API's request goes on as from
    someone signed out, and its view answers as it does then (401, or a redirect)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is None:
            return self.get_response(request)
        if SESSION_KEY not in session:
            if session.session_key is not None:  # a stored session (a sign-in under way)
                session_renew(session)
            return self._finish(request, self.get_response(request))
        started = session.get(SESSION_SIGNED_IN_AT)
        now = time.time()
        if not isinstance(started, int | float):
            session[SESSION_SIGNED_IN_AT] = now
        elif now - started > absolute_lifetime_seconds():
            official = bool(session.get(SESSION_SECOND_FACTOR)) or request.path.startswith(
                OFFICIAL_PREFIXES
            )
            session.flush()  # a new key, nothing kept (ASVS 5.0 V7.4.1)
            request.user = AnonymousUser()
            if self._is_page(request):
                return self._to_sign_in(request, official=official)
            return self.get_response(request)
        session_renew(session)
        return self._finish(request, self.get_response(request))

    @staticmethod
    def _finish(request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = request.session
        if session.is_empty():  # signed out, or never stored
            return response
        if session.modified and _EXPIRY not in session:
            # Written anyway (a sign-in's new session): with its end, so the next request
            # need not write it again.
            session_renew(session)
        if SESSION_KEY in session and not SessionLifetimeMiddleware._is_page(request):
            response[EXPIRES_IN_HEADER] = str(session.get_expiry_age())
        return response

    @staticmethod
    def _is_page(request: HttpRequest) -> bool:
        if request.path.startswith("/api/"):
            return False
        return request.headers.get("X-Requested-With") not in {"fetch", "XMLHttpRequest"}

    @staticmethod
    def _to_sign_in(request: HttpRequest, *, official: bool) -> HttpResponse:
        hours = round(absolute_lifetime_seconds() / 3600)
        text = _(
            "To keep your information safe, a sign-in lasts at most %(hours)d hours. "
            "Please sign in again."
        ) % {"hours": hours}
        back = request.get_full_path() if request.method in ("GET", "HEAD") else request.path
        login = reverse("backoffice:login" if official else "citizen:sign_in")
        response = HttpResponseRedirect(f"{login}?{urlencode({'next': back})}")
        # The messages middleware runs after this one: its storage is written here, so
        # the sign-in page shows the message.
        storage = default_storage(request)
        storage.add(messages.WARNING, text)
        storage.update(response)
        return response
