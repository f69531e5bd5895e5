"""Signing officials in from tests.

`official_login(client, user)`: the test client holds the session of a full sign-in
(password and authenticator code), as the back office and the admin site require. Citizens
need only `client.force_login(user)`; `sign_in_as(client, user)` picks the right one.

`totp_code(user)`: the code an official's authenticator app shows that the site will
accept now (not one already used), from the secret the demo loader enrols them with.
"""

from __future__ import annotations

import time

from django.test import Client

from motcua.accounts import otp
from motcua.accounts.signin import SESSION_SECOND_FACTOR


def official_login(client: Client, user) -> Client:
    client.force_login(user)
    session = client.session
    session[SESSION_SECOND_FACTOR] = time.time()
    session.save()
    return client


def is_official(user) -> bool:
    from motcua.accounts.models import RoleAssignment

    return user.is_staff or RoleAssignment.objects.filter(user_id=user.pk).exists()


def sign_in_as(client: Client, user) -> Client:
    """`official_login` for an official or an administrator, `force_login` for a citizen."""
    if is_official(user):
        return official_login(client, user)
    client.force_login(user)
    return client


def totp_code(user, *, secret: str | None = None) -> str:
    from motcua.accounts.credentials import official_totp_next_step
    from motcua.demo.officials import demo_totp_secret

    now = time.time()
    step = official_totp_next_step(user=user, at=now)
    assert step is not None, f"{user}: no code left in this half-minute"
    secret = secret or demo_totp_secret(user.get_username())
    return otp.totp_now(secret, at=step * otp.TOTP_INTERVAL)


def sign_in_with_password(client: Client, username: str, password: str, *, code: str | None = None):
    """Through the real pages: password, then the code (the demo's, unless given).
    Returns the last response."""
    from django.contrib.auth import get_user_model

    response = client.post("/mot-cua/dang-nhap/", {"username": username, "password": password})
    if response.status_code != 200 or b'name="totp"' not in response.content:
        return response
    user = get_user_model().objects.get(username=username)
    return client.post("/mot-cua/dang-nhap/", {"totp": code or totp_code(user)})
