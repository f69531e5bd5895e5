"""Citizen sign-in by phone and one-time code, through the SMS gateway simulator."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from motcua.accounts.models import CitizenProfile, PhoneOtp
from motcua.notifications.models import Notification
from tests.accounts.conftest import PHONE, sms_codes

pytestmark = pytest.mark.django_db


def ask_code(client, capture, phone=PHONE, **extra):
    with capture(execute=True):
        return client.post("/dang-nhap/", {"phone": phone, **extra})


def test_happy_path_signs_in_and_creates_the_citizen(
    client, sms, django_capture_on_commit_callbacks
):
    page = client.get("/dang-nhap/?next=/tra-cuu/")
    assert page.status_code == 200 and b'name="phone"' in page.content
    assert b"VNeID" not in page.content  # not configured
    response = ask_code(client, django_capture_on_commit_callbacks, phone="0912 345 678")
    assert response.status_code == 302 and response["Location"] == "/dang-nhap/ma/"
    [message] = sms.ledger.messages()
    assert message["to"] == "84912345678"
    [code] = sms_codes(sms)
    row = PhoneOtp.objects.get()
    assert code not in row.code_hash  # only a keyed hash is stored
    # The outbox forgets the code once the SMS is delivered.
    assert Notification.objects.get(template="otp", status="delivered").context == {}
    assert b"0912 345 678" in client.get("/dang-nhap/ma/").content
    response = client.post("/dang-nhap/ma/", {"code": code})
    assert response.status_code == 302 and response["Location"] == "/tra-cuu/"
    profile = CitizenProfile.objects.get(phone="84912345678")
    assert int(client.session["_auth_user_id"]) == profile.user_id
    assert not profile.user.has_usable_password()
    # Signing in again finds the same citizen; the spent code is refused.
    client.post("/dang-xuat/")
    assert "_auth_user_id" not in client.session
    ask_code(client, django_capture_on_commit_callbacks)
    response = client.post("/dang-nhap/ma/", {"code": sms_codes(sms)[-1]})
    assert response.status_code == 302 and response["Location"] == "/"
    assert CitizenProfile.objects.count() == 1


def test_bad_phone_gets_a_clear_message(client, sms):
    response = client.post("/dang-nhap/", {"phone": "12345"})
    assert response.status_code == 400
    assert b"Vietnamese mobile number" in response.content
    assert b'aria-invalid="true"' in response.content
    assert client.post("/dang-nhap/", {"phone": ""}).status_code == 400
    assert sms.ledger.stats()["submissions"] == 0


def test_wrong_code_is_refused_and_lockout_after_five(
    client, sms, django_capture_on_commit_callbacks
):
    ask_code(client, django_capture_on_commit_callbacks)
    [code] = sms_codes(sms)
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        response = client.post("/dang-nhap/ma/", {"code": wrong})
        assert response.status_code == 400
        assert f"{left} tries left".encode() in response.content
    response = client.post("/dang-nhap/ma/", {"code": wrong})
    assert b"wrongly 5 times" in response.content
    # Even the right code is dead now.
    response = client.post("/dang-nhap/ma/", {"code": code})
    assert response.status_code == 400 and b"wrongly 5 times" in response.content
    assert "_auth_user_id" not in client.session
    assert PhoneOtp.objects.get().attempts == 5


def test_expired_code_is_refused(client, sms, django_capture_on_commit_callbacks):
    ask_code(client, django_capture_on_commit_callbacks)
    [code] = sms_codes(sms)
    PhoneOtp.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post("/dang-nhap/ma/", {"code": code})
    assert response.status_code == 400 and b"expired" in response.content
    assert "_auth_user_id" not in client.session


def test_at_most_three_codes_per_phone(client, sms, django_capture_on_commit_callbacks):
    ask_code(client, django_capture_on_commit_callbacks)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post("/dang-nhap/gui-lai/").status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/dang-nhap/gui-lai/")
    assert response.status_code == 429 and b"3 times" in response.content
    assert len(sms_codes(sms)) == 3
    # The newest code still signs in.
    response = client.post("/dang-nhap/ma/", {"code": sms_codes(sms)[-1]})
    assert response.status_code == 302


def test_per_address_limit(client, sms, settings, django_capture_on_commit_callbacks):
    settings.OTP_PER_IP = 2
    ask_code(client, django_capture_on_commit_callbacks, phone="0912000001")
    ask_code(client, django_capture_on_commit_callbacks, phone="0912000002")
    response = ask_code(client, django_capture_on_commit_callbacks, phone="0912000003")
    assert response.status_code == 429 and b"from your connection" in response.content
    assert len(sms_codes(sms)) == 2


def test_unsafe_next_is_ignored(client, sms, django_capture_on_commit_callbacks):
    client.get("/dang-nhap/?next=https://evil.example/steal")
    ask_code(client, django_capture_on_commit_callbacks)
    response = client.post("/dang-nhap/ma/", {"code": sms_codes(sms)[-1]})
    assert response.status_code == 302 and response["Location"] == "/"


def test_forms_are_plain_posts_with_csrf(sms, django_capture_on_commit_callbacks):
    from django.conf import settings
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    page = client.get("/dang-nhap/")
    html = page.content.decode()
    assert '<form method="post" action="/dang-nhap/"' in html and "<script" not in html
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/dang-nhap/", {"phone": PHONE, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    html = client.get("/dang-nhap/ma/").content.decode()
    assert '<form method="post" action="/dang-nhap/ma/"' in html and "<script" not in html
    response = client.post(
        "/dang-nhap/ma/", {"code": sms_codes(sms)[-1], "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    # Sign-out is a POST only.
    assert client.get("/dang-xuat/").status_code == 405


def test_code_page_without_a_pending_code_goes_back(client):
    assert client.get("/dang-nhap/ma/")["Location"] == "/dang-nhap/"
