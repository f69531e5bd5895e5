"""Sign-in codes are never readable by staff (ASVS 5.0 V14.2.4): the admin shows a code's
record without its hash or salt, the outbox message of a code with the code masked, and
the back office's failed messages page neither shows a code nor sends it again."""

from __future__ import annotations

import pytest
from django.urls import reverse

from motcua.accounts.models import PhoneOtp
from motcua.accounts.services import phone_otp_send
from motcua.notifications.models import Notification, NotificationStatus
from motcua.notifications.selectors import MASK

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending_code() -> tuple[PhoneOtp, Notification, str]:
    """A code asked for and not yet delivered: its message still holds it."""
    otp = phone_otp_send(phone="0912000111", client_ip="203.0.113.5")
    message = Notification.objects.get(template="otp")
    code = message.context["code"]
    assert len(code) == 6
    return otp, message, code


def test_the_admin_shows_the_code_record_without_hash_or_salt(admin_client, pending_code):
    otp, _message, code = pending_code
    listing = admin_client.get("/admin/accounts/phoneotp/")
    assert listing.status_code == 200 and "84912000111" in listing.content.decode()
    page = admin_client.get(f"/admin/accounts/phoneotp/{otp.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "203.0.113.5" in html
    for secret in (otp.code_hash, otp.salt, code):
        assert secret not in html
    assert admin_client.get("/admin/accounts/phoneotp/add/").status_code == 403


def test_the_admin_shows_a_code_message_masked(admin_client, pending_code):
    _otp, message, code = pending_code
    listing = admin_client.get("/admin/notifications/notification/")
    assert listing.status_code == 200 and code not in listing.content.decode()
    page = admin_client.get(f"/admin/notifications/notification/{message.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert MASK in html and code not in html


def test_the_failed_messages_page_neither_shows_nor_resends_a_code(
    client, login, pending_code, django_capture_on_commit_callbacks
):
    _otp, message, code = pending_code
    # Failed for good while the code was still in it (the sweeper does not read rows).
    Notification.objects.filter(pk=message.pk).update(
        status=NotificationStatus.TECHNICAL_FAILURE, last_error="SMS gateway code 103"
    )
    login("tinh.quantritinh")  # the province administrator sees every failure
    url = reverse("backoffice:notifications_failed")
    html = client.get(url).content.decode()
    retry = reverse("backoffice:notification_retry", args=[message.pk])
    assert "84912000111" in html and "SMS gateway code 103" in html
    assert code not in html and retry not in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry)
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == NotificationStatus.TECHNICAL_FAILURE and message.attempts == 0
