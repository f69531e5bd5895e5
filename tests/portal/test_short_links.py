"""The short link every dossier SMS carries (/h/<token>): the owner signed in reaches the
dossier's page, anyone else the public tracking page with the code filled in; a forged
or broken token names no dossier."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from motcua.catalog.selectors import procedure_get_current
from motcua.dossiers.models import Dossier, short_token_pk
from motcua.dossiers.services import Applicant, dossier_file_online
from motcua.notifications.models import Notification

BIRTH = "1.001193"
SITE = "https://dichvucong.laocai.gov.vn"


def client_for(user=None) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def citizen(demo):
    return get_user_model().objects.create_user(username="0912345678")


@pytest.fixture
def dossier(citizen, agencies, settings) -> Dossier:
    settings.NOTIFY_SITE_URL = SITE + "/"
    return dossier_file_online(
        procedure_version=procedure_get_current(code=BIRTH),
        applicant=Applicant(name="Lò Thị Mai", phone="0912345678"),
        receiving_agency=agencies["batxat_desk"],
        citizen=citizen,
    )


def test_the_token_names_the_dossier_and_resists_forgery(dossier, settings):
    token = dossier.short_token
    assert len(token) <= 10 and token.isalnum()
    assert short_token_pk(token) == dossier.pk
    assert short_token_pk(token.upper()) == dossier.pk  # typed from a printed SMS
    # Walking the ids does not work: the last three characters are a keyed check.
    forged = token[:-3] + ("000" if token[-3:] != "000" else "001")
    assert short_token_pk(forged) is None
    for garbage in ("", "abc", "ab-c1234", "é" * 6, "z" * 40):
        assert short_token_pk(garbage) is None
    # A link sent before the key changed still works while the old key is a fallback.
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a new key, rotated after the SMS went out"
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert short_token_pk(token) == dossier.pk
    settings.SECRET_KEY_FALLBACKS = []
    assert short_token_pk(token) is None


def test_the_messages_carry_the_absolute_short_link(dossier):
    [row] = Notification.objects.filter(dossier=dossier, template="filed")
    assert row.context["link"] == f"{SITE}/h/{dossier.short_token}"


def test_without_a_site_address_messages_carry_no_link(citizen, agencies, settings):
    settings.NOTIFY_SITE_URL = ""
    dossier = dossier_file_online(
        procedure_version=procedure_get_current(code=BIRTH),
        applicant=Applicant(name="Lò Thị Mai", phone="0912345678"),
        receiving_agency=agencies["batxat_desk"],
    )
    assert Notification.objects.get(dossier=dossier).context["link"] == ""


def test_signed_in_the_owner_lands_on_the_dossiers_page(dossier, citizen):
    response = client_for(citizen).get(f"/h/{dossier.short_token}")
    assert response.status_code == 302
    assert response["Location"] == f"/ho-so-cua-toi/{dossier.code}/"
    assert "no-cache" in response.get("Cache-Control", "")  # the answer depends on who asks


def test_signed_out_or_someone_else_lands_on_tracking_with_the_code(dossier):
    expected = f"/tra-cuu/?ma={dossier.code}"
    response = client_for().get(f"/h/{dossier.short_token}")
    assert response.status_code == 302 and response["Location"] == expected
    page = client_for().get(expected).content.decode()
    assert f'value="{dossier.code}"' in page  # the code is filled in, the phone asked
    other = get_user_model().objects.create_user(username="0987654321")
    assert client_for(other).get(f"/h/{dossier.short_token}")["Location"] == expected


def test_a_broken_link_lands_on_the_tracking_page(dossier):
    for token in (dossier.short_token[:-1], "zzzzzzzz", "1"):
        response = client_for().get(f"/h/{token}")
        assert response.status_code == 302 and response["Location"] == "/tra-cuu/", token
