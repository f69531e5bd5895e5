"""The idle expiry of a session is renewed every few minutes, not at every request: a page
does not write the session row, yet the session still ends between 0.9 and 1 idle limit
after the last request, and the page's warning knows the real end."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from motcua.accounts.middleware import EXPIRES_IN_HEADER

PAGE = "/tra-cuu/"
AGE = 60 * 60


def signed_in(username: str = "0912000777") -> Client:
    client = Client()
    client.force_login(get_user_model().objects.create_user(username=username))
    return client


def session_writes(client: Client, path: str, **extra) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, **extra)
    assert response.status_code == 200
    writes = [
        q["sql"]
        for q in queries
        if "django_session" in q["sql"] and not q["sql"].lstrip().upper().startswith("SELECT")
    ]
    return len(writes), response.content.decode()


def expires_in(client: Client) -> float:
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    return (Session.objects.get(session_key=key).expire_date - timezone.now()).total_seconds()


@pytest.mark.django_db
def test_pages_do_not_write_the_session_until_it_runs_down():
    assert settings.SESSION_COOKIE_AGE == AGE
    client = signed_in()
    client.get(PAGE)  # the first request stores the session's own end
    assert session_writes(client, PAGE)[0] == 0
    assert session_writes(client, PAGE)[0] == 0
    assert expires_in(client) > AGE - 60
    # Four minutes without a request: still not written; the page counts from the real end.
    session = client.session
    session.set_expiry(timezone.now() + timedelta(seconds=AGE - 240))
    session.save()
    writes, html = session_writes(client, PAGE)
    assert writes == 0
    idle = int(re.search(r'data-idle="(\d+)"', html).group(1))
    assert AGE - 250 < idle <= AGE - 240
    # Six minutes (more than 5): the request renews it to a full hour, and the page says so.
    session.set_expiry(timezone.now() + timedelta(seconds=AGE - 360))
    session.save()
    writes, html = session_writes(client, PAGE)
    assert writes == 1
    assert expires_in(client) > AGE - 10
    assert AGE - 10 < int(re.search(r'data-idle="(\d+)"', html).group(1)) <= AGE


@pytest.mark.django_db
def test_the_page_scripts_are_told_the_time_left():
    client = signed_in("0912000778")
    response = client.get(PAGE, HTTP_X_REQUESTED_WITH="fetch")
    assert AGE - 10 < int(response[EXPIRES_IN_HEADER]) <= AGE
    assert EXPIRES_IN_HEADER not in client.get(PAGE)  # a page carries it in data-idle
    session = client.session
    session.set_expiry(timezone.now() + timedelta(seconds=AGE - 200))
    session.save()
    # The "continue" button renews in full, whatever is left.
    response = client.post("/dang-nhap/giu-phien/", HTTP_X_REQUESTED_WITH="fetch")
    assert response.status_code == 204
    assert AGE - 10 < int(response[EXPIRES_IN_HEADER]) <= AGE
    assert expires_in(client) > AGE - 10
    # Signed out: no header.
    client.post("/dang-xuat/")
    assert EXPIRES_IN_HEADER not in client.get(PAGE, HTTP_X_REQUESTED_WITH="fetch")


@pytest.mark.django_db
def test_a_session_without_requests_still_ends_on_time():
    client = signed_in("0912000779")
    client.get(PAGE)
    session = client.session
    session.set_expiry(timezone.now() - timedelta(seconds=1))
    session.save()
    response = client.get("/ho-so-cua-toi/")
    assert response.status_code == 302 and response["Location"].startswith("/dang-nhap/")
