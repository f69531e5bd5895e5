"""Signed-in sessions end after MOTCUA_SESSION_IDLE_MINUTES without a request; with
JavaScript the citizen is warned first and can continue; after the end, signing in
again brings them back to the page they were on."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from motcua.dossiers.models import Draft
from motcua.notifications.models import Notification

KEEPALIVE = "/dang-nhap/giu-phien/"
FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}


def test_idle_minutes_come_from_the_environment(monkeypatch):
    import motcua.settings as project_settings

    assert settings.SESSION_SAVE_EVERY_REQUEST is False  # renewed every few minutes instead
    assert settings.SESSION_COOKIE_AGE == 60 * 60  # the default: one hour
    monkeypatch.setenv("MOTCUA_SESSION_IDLE_MINUTES", "15")
    try:
        assert importlib.reload(project_settings).SESSION_COOKIE_AGE == 15 * 60
    finally:
        monkeypatch.delenv("MOTCUA_SESSION_IDLE_MINUTES")
        importlib.reload(project_settings)


def session_row(client: Client) -> Session:
    return Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)


@pytest.mark.django_db
def test_keepalive_renews_a_live_session():
    client = Client()
    client.force_login(get_user_model().objects.create_user(username="0912000222"))
    Session.objects.update(expire_date=timezone.now() + timedelta(minutes=2))
    response = client.post(KEEPALIVE, {"next": "/tra-cuu/"}, **FETCH)
    assert response.status_code == 204
    assert session_row(client).expire_date > timezone.now() + timedelta(minutes=59)
    # A plain form post (no script) goes back to the page; never to another site.
    response = client.post(KEEPALIVE, {"next": "/tra-cuu/"})
    assert response.status_code == 302 and response["Location"] == "/tra-cuu/"
    response = client.post(KEEPALIVE, {"next": "https://example.com/"})
    assert response["Location"] == "/"
    assert client.get(KEEPALIVE).status_code == 405


@pytest.mark.django_db
def test_keepalive_after_the_end_says_so():
    client = Client(enforce_csrf_checks=False)
    assert client.post(KEEPALIVE, {"next": "/tra-cuu/"}, **FETCH).status_code == 401
    response = client.post(KEEPALIVE, {"next": "/tra-cuu/"})
    assert response.status_code == 302
    assert response["Location"] == "/dang-nhap/?next=%2Ftra-cuu%2F"


def test_keepalive_needs_the_csrf_token(db):
    client = Client(enforce_csrf_checks=True)
    client.force_login(get_user_model().objects.create_user(username="0912000333"))
    assert client.post(KEEPALIVE, **FETCH).status_code == 403


def sign_in(client: Client, phone: str) -> str:
    client.post("/dang-nhap/", {"phone": phone})
    code = Notification.objects.filter(template="otp").latest("pk").context["code"]
    response = client.post("/dang-nhap/ma/", {"code": code})
    assert response.status_code == 302
    return response["Location"]


def test_after_the_end_signing_in_returns_to_the_question(demo):
    client = Client()
    sign_in(client, "0912 000 444")
    response = client.post("/nop-ho-so/1.001193/")
    question = response["Location"]
    assert question.endswith("/nguoi_khai/")
    client.post(question, {"action": "save", "full_name": "Lò Thị Mai"})
    # An hour passes without a request: the session is over.
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(question)
    assert response.status_code == 302
    assert response["Location"] == f"/dang-nhap/?next={question}"
    response = client.get(response["Location"])
    assert response.status_code == 200
    assert sign_in(client, "0912 000 444") == question
    page = client.get(question)
    assert page.status_code == 200
    assert 'value="Lò Thị Mai"' in page.content.decode()  # nothing was lost
    assert Draft.objects.count() == 1
