"""A phone-sized browser profile, signed in as a user through a real session cookie."""

from __future__ import annotations

from django.conf import settings
from django.test import Client

from tests.officials import sign_in_as

PHONE = {"width": 360, "height": 740}


def phone_context(browser, site: str, *, user=None, javascript: bool = True):
    """A new 360×740 Vietnamese browser profile for `site`; signed in as `user` when
    given (an official's session as after the password and the authenticator code).
    Returns (context, the Django client holding the same session)."""
    context = browser.new_context(java_script_enabled=javascript, viewport=PHONE,
                                  locale="vi-VN")
    client = Client()
    if user is not None:
        sign_in_as(client, user)
        context.add_cookies([{
            "name": settings.SESSION_COOKIE_NAME,
            "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
            "url": site,
        }])
    return context, client

