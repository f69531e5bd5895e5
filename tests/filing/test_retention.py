"""Retention: an unfinished form is deleted KEEP days after its last change, and its citizen
is told once, NOTICE days before, with the link to go on; a form changed after the notice
starts again. Sign-in code records and messages, and population lookups, go too."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from motcua.accounts.models import LookupResult, PhoneOtp, PopulationLookup
from motcua.accounts.services import (
    citizen_get_or_create,
    phone_otps_purge,
    population_lookups_purge,
)
from motcua.dossiers.models import Draft
from motcua.filing.drafts import drafts_expiry_notice_send, drafts_purge
from motcua.notifications.defaults import DEFAULT_TEMPLATES
from motcua.notifications.models import MessageTemplate, Notification
from motcua.notifications.rendering import render_email, render_sms
from motcua.notifications.services import notifications_purge

from .birth import BASE, child
from .conftest import english_client, jpeg_bytes
from .test_journey import start, upload

KEEP, NOTICE = 90, 7
MINUTE = timedelta(minutes=1)
SITE = "https://dichvucong.laocai.gov.vn"


@pytest.fixture(autouse=True)
def _retention(settings) -> None:
    settings.MOTCUA_DRAFT_KEEP_DAYS = KEEP
    settings.MOTCUA_DRAFT_NOTICE_DAYS = NOTICE
    settings.NOTIFY_SITE_URL = SITE


@pytest.fixture
def signed_in(demo) -> Client:
    client = english_client()
    client.force_login(citizen_get_or_create(phone="84912345678"))
    return client


def notices() -> list[Notification]:
    return list(Notification.objects.filter(template="draft_expiry"))


def test_told_once_at_keep_minus_notice_then_deleted_at_keep(signed_in):
    draft = start(signed_in)
    assert upload(signed_in, draft, jpeg_bytes()).status_code == 302
    draft.refresh_from_db()
    photo = draft.uploads["giay_chung_sinh"][0]["path"]
    last_change = draft.updated_at
    told_at = last_change + timedelta(days=KEEP - NOTICE) + MINUTE

    assert drafts_expiry_notice_send(now=told_at - 2 * MINUTE) == 0  # not yet
    assert drafts_expiry_notice_send(now=told_at) == 1
    assert drafts_expiry_notice_send(now=told_at + timedelta(days=1)) == 0  # never twice
    assert drafts_expiry_notice_send(now=told_at + timedelta(days=6)) == 0
    [notice] = notices()
    deletion_day = timezone.localtime(told_at + timedelta(days=NOTICE))
    assert notice.recipient_phone == "84912345678"
    assert notice.context["date"] == f"{deletion_day:%d/%m/%Y}"
    assert notice.context["procedure"] == "Đăng ký khai sinh"
    assert notice.context["url"] == f"{SITE}/nop-ho-so/tiep-tuc/{draft.resume_token}/"
    assert notice.context["link"] == f"{SITE}/ho-so-cua-toi/nhap/"
    draft.refresh_from_db()
    assert draft.expiry_notice_at == told_at
    assert draft.updated_at == last_change  # telling is no change of the form

    # The SMS the citizen reads: which form, from when, and the way back, whole; on a
    # Unicode route (134 characters in two parts) the form's name may go, the date not.
    template = MessageTemplate(**DEFAULT_TEMPLATES["draft_expiry"], key="draft_expiry", version=1)
    sms = render_sms(template, notice.context, unicode=False)
    assert "Dang ky khai sinh" in sms.text and notice.context["date"] in sms.text
    assert sms.text.endswith(notice.context["link"]) and sms.parts == 1
    sms = render_sms(template, notice.context, unicode=True)
    assert notice.context["date"] in sms.text and sms.text.endswith(notice.context["link"])
    email = render_email(template, notice.context)
    assert notice.context["url"] in email.body and "Đăng ký khai sinh" in email.subject

    assert drafts_purge(now=last_change + timedelta(days=KEEP) - MINUTE).abandoned == 0
    assert Draft.objects.filter(pk=draft.pk).exists() and default_storage.exists(photo)
    report = drafts_purge(now=last_change + timedelta(days=KEEP) + 2 * MINUTE)
    assert report.abandoned == 1
    assert not Draft.objects.filter(pk=draft.pk).exists()
    assert not default_storage.exists(photo)


def test_a_form_changed_after_the_notice_is_kept_and_told_again_later(signed_in):
    draft = start(signed_in)
    now = timezone.now()
    Draft.objects.filter(pk=draft.pk).update(
        updated_at=now - timedelta(days=KEEP - NOTICE) - MINUTE
    )
    assert drafts_expiry_notice_send(now=now) == 1

    # The citizen follows the link and saves a page: a new last change.
    response = signed_in.post(f"{BASE}{draft.pk}/tre/", {**child(), "action": "autosave"})
    assert response.status_code in (200, 204, 302)
    draft.refresh_from_db()
    assert draft.updated_at > draft.expiry_notice_at

    assert drafts_purge(now=now + timedelta(days=NOTICE + 1)).abandoned == 0
    assert drafts_purge(now=draft.updated_at + timedelta(days=KEEP - 1)).abandoned == 0
    assert Draft.objects.filter(pk=draft.pk).exists()
    assert drafts_expiry_notice_send(now=now + timedelta(days=1)) == 0
    # A fresh cycle: told again KEEP - NOTICE days after the new change, then deleted.
    told_again = draft.updated_at + timedelta(days=KEEP - NOTICE) + MINUTE
    assert drafts_expiry_notice_send(now=told_again) == 1
    assert len(notices()) == 2
    assert drafts_purge(now=draft.updated_at + timedelta(days=KEEP) + 2 * MINUTE).abandoned == 1


def test_a_late_notice_pushes_the_deletion_back(signed_in):
    """The notice job did not run (or the deployment is new): a form long past KEEP days
    is deleted only NOTICE days after its citizen was told, never untold."""
    draft = start(signed_in)
    now = timezone.now()
    Draft.objects.filter(pk=draft.pk).update(updated_at=now - timedelta(days=KEEP + 30))
    assert drafts_purge(now=now).abandoned == 0  # nobody told
    assert drafts_expiry_notice_send(now=now) == 1
    told = timezone.localtime(now + timedelta(days=NOTICE))
    assert notices()[0].context["date"] == f"{told:%d/%m/%Y}"
    assert drafts_purge(now=now + timedelta(days=NOTICE) - MINUTE).abandoned == 0
    assert drafts_purge(now=now + timedelta(days=NOTICE) + MINUTE).abandoned == 1


def test_the_list_of_unfinished_forms_says_when_they_go(signed_in, settings):
    start(signed_in)
    page = signed_in.get("/ho-so-cua-toi/nhap/").content.decode()
    assert f"a form not opened for {KEEP} days is deleted with its photos" in page
    assert f"We send you an SMS {NOTICE} days before." in page
    settings.MOTCUA_DRAFT_KEEP_DAYS = 0  # kept until sent: nothing to announce
    assert "is deleted" not in signed_in.get("/ho-so-cua-toi/nhap/").content.decode()


def test_without_notice_days_forms_go_at_keep_days(signed_in, settings):
    settings.MOTCUA_DRAFT_NOTICE_DAYS = 0
    draft = start(signed_in)
    now = timezone.now()
    Draft.objects.filter(pk=draft.pk).update(updated_at=now - timedelta(days=KEEP) - MINUTE)
    assert drafts_expiry_notice_send(now=now) == 0
    assert drafts_purge(now=now).abandoned == 1
    assert notices() == []


def test_keep_days_zero_keeps_unfinished_forms(signed_in, settings):
    settings.MOTCUA_DRAFT_KEEP_DAYS = 0
    draft = start(signed_in)
    now = timezone.now()
    Draft.objects.filter(pk=draft.pk).update(updated_at=now - timedelta(days=3650))
    assert drafts_expiry_notice_send(now=now) == 0
    assert drafts_purge(now=now).abandoned == 0
    assert Draft.objects.filter(pk=draft.pk).exists()


def test_sign_in_codes_and_lookups_are_forgotten(db, settings):
    settings.MOTCUA_OTP_KEEP_DAYS = 30
    settings.MOTCUA_POPULATION_LOOKUP_KEEP_DAYS = 365
    now = timezone.now()

    def code(days: int) -> PhoneOtp:
        at = now - timedelta(days=days)
        return PhoneOtp.objects.create(
            phone="84912345678", code_hash="x", salt="y", created_at=at, expires_at=at
        )

    old, recent = code(31), code(29)
    assert phone_otps_purge(now=now) == 1
    assert list(PhoneOtp.objects.all()) == [recent] and old.pk != recent.pk

    for days in (366, 10):
        PopulationLookup.objects.create(
            id_number="010190000123", purpose="test", consent=True,
            result=LookupResult.FOUND, created_at=now - timedelta(days=days),
        )
    assert population_lookups_purge(now=now) == 1
    assert PopulationLookup.objects.count() == 1

    # Sign-in code messages: a code left in a row that failed for good is forgotten at
    # once; the rows go after MOTCUA_OTP_KEEP_DAYS; messages about dossiers stay.
    failed = Notification.objects.create(
        template="otp", context={"code": "123456"}, recipient_phone="84912345678",
        status="technical-failure",
    )
    aged = Notification.objects.create(template="otp", context={}, status="delivered")
    other = Notification.objects.create(template="received", context={"code": "X-1"})
    Notification.objects.filter(pk__in=[aged.pk, other.pk]).update(
        created_at=now - timedelta(days=31)
    )
    assert notifications_purge(now=now) == 1
    failed.refresh_from_db()
    assert failed.context == {}
    assert set(Notification.objects.values_list("pk", flat=True)) == {failed.pk, other.pk}
