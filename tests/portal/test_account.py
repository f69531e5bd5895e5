"""The citizen's account page and the choice of how they are told about dossiers."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from motcua.accounts.models import CitizenProfile
from motcua.dossiers.models import Dossier, Draft
from motcua.notifications.models import ContactPreference, Notification
from motcua.notifications.selectors import contact_preference_for
from motcua.organizations.selectors import unit_list_communes
from tests.filing.birth import BASE, file_every_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_in() -> tuple[Client, CitizenProfile]:
    user = get_user_model().objects.create_user(username="citizen_x")
    profile = CitizenProfile.objects.create(user=user, phone="84912000111")
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client, profile


def test_account_needs_sign_in():
    response = Client().get("/tai-khoan/")
    assert response.status_code == 302 and response["Location"].startswith("/dang-nhap/")


def test_overview_shows_phone_and_channel(client_in):
    client, _profile = client_in
    page = client.get("/tai-khoan/").content.decode()
    assert "0912000111" in page and "SMS text message" in page


def test_choose_zalo(client_in):
    client, _profile = client_in
    response = client.post("/tai-khoan/lien-lac/", {"channel": "zalo"})
    assert response.status_code == 302
    assert contact_preference_for(phone="0912000111", email="") == "zalo"
    assert "Saved. We will tell you by Zalo" in client.get("/tai-khoan/").content.decode()


def test_email_needs_an_address_and_a_valid_one(client_in):
    client, profile = client_in
    response = client.post("/tai-khoan/lien-lac/", {"channel": "email", "email": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter your e-mail address" in html and 'href="#f-email"' in html
    response = client.post("/tai-khoan/lien-lac/", {"channel": "email", "email": "mai@"})
    assert response.status_code == 400 and "valid e-mail" in response.content.decode()
    assert not ContactPreference.objects.exists()
    response = client.post("/tai-khoan/lien-lac/", {"channel": "email", "email": "Mai@Example.vn"})
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.email == "mai@example.vn"
    assert contact_preference_for(phone="0912000111", email="") == "email"


def test_unknown_channel_is_refused(client_in):
    client, _profile = client_in
    response = client.post("/tai-khoan/lien-lac/", {"channel": "fax"})
    assert response.status_code == 400 and "Choose how you want to be told" in (
        response.content.decode()
    )


def test_account_without_phone_cannot_choose():
    user = get_user_model().objects.create_user(username="vneid_only")
    client = Client()
    client.force_login(user)
    assert client.get("/tai-khoan/lien-lac/").status_code == 404


def test_online_dossier_news_goes_to_the_account_email(demo, client_in, settings, tmp_path):
    """A form without an e-mail question: the account's e-mail is used for the news."""
    settings.MEDIA_ROOT = str(tmp_path)
    client, _profile = client_in
    client.post("/tai-khoan/lien-lac/", {"channel": "email", "email": "mai@example.vn"})
    commune = unit_list_communes(province_code=settings.MOTCUA_PROVINCE_CODE).first().code
    assert client.post(BASE).status_code == 302
    draft = Draft.objects.latest("pk")
    # The phone the citizen signed in with is known: the form no longer asks it.
    assert "dien_thoai" not in file_every_page(client, draft, commune)
    client.post(f"{BASE}{draft.pk}/kiem-tra/", {"key": draft.idempotency_key})
    assert Dossier.objects.get(draft__pk=draft.pk).applicant_phone == "0912000111"
    row = Notification.objects.get(template="filed")
    assert row.recipient_email == "mai@example.vn" and row.preferred_channel == "email"
