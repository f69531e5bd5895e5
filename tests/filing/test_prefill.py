"""A citizen's second form starts with what they already told: their last dossier first,
else their profile; the page says it was filled in, and the profile learns from dossiers."""

from __future__ import annotations

from datetime import date

import pytest

from motcua.accounts.models import CitizenProfile
from motcua.dossiers.models import Dossier, Draft
from motcua.filing.drafts import KNOWN, PREFILLED
from motcua.organizations.models import AdministrativeUnit

from .birth import file_every_page
from .conftest import ID_NUMBER, english_client
from .test_journey import BASE, submitted_draft


def start(client, code: str) -> Draft:
    assert client.post(f"/nop-ho-so/{code}/").status_code == 302
    return Draft.objects.latest("pk")


def test_first_form_of_a_citizen_without_profile_is_empty(demo, client_in):
    draft = start(client_in, "1.001193")
    assert draft.answers == {}


def test_profile_fills_the_applicant_pages(demo, citizen, client_in, commune_code):
    commune = AdministrativeUnit.objects.get(code=commune_code, valid_to__isnull=True)
    CitizenProfile.objects.create(
        user=citizen, phone="84912000111", full_name="Giàng Thị Dua", citizen_id=ID_NUMBER,
        birth_date=date(1990, 3, 5), commune=commune, address="Bản Pho",
    )
    draft = start(client_in, "1.004222")  # thường trú: nguoi_khai, cccd, dien_thoai, cho_o_moi
    assert draft.answers["nguoi_khai"]["full_name"] == "Giàng Thị Dua"
    assert draft.answers["nguoi_khai"]["birth_date"] == "05/03/1990"
    assert draft.answers["cccd"] == ID_NUMBER
    assert draft.answers["dien_thoai"] == "0912000111"
    assert draft.answers["cho_o_moi"] == {"commune": commune_code, "street": "Bản Pho"}
    page = client_in.get(f"/nop-ho-so/1.004222/{draft.pk}/cccd/").content.decode()
    assert f'value="{ID_NUMBER}"' in page and "filled this in" in page
    # Saving the page ends the notice; the other prefilled pages keep theirs.
    client_in.post(f"/nop-ho-so/1.004222/{draft.pk}/cccd/", {"value": ID_NUMBER,
                                                            "action": "continue"})
    draft.refresh_from_db()
    assert "cccd" not in draft.answers[PREFILLED] and "dien_thoai" in draft.answers[PREFILLED]
    page = client_in.get(f"/nop-ho-so/1.004222/{draft.pk}/cccd/").content.decode()
    assert "filled this in" not in page


def test_last_dossier_fills_the_next_form(demo, citizen, client_in, commune_code):
    first = submitted_draft(client_in, commune_code)
    response = client_in.post(f"{BASE}{first.pk}/kiem-tra/", {"key": first.idempotency_key})
    assert response.status_code == 302
    # Another procedure: same applicant, other page ids; a name-only form gets the name.
    copy = start(client_in, "2.000815")
    assert copy.answers["ho_ten"] == "Lò Thị Mai" and copy.answers["cccd"] == ID_NUMBER
    assert copy.answers["dien_thoai"] == "0912 345 678"
    assert copy.answers["noi_nhan"]["commune"] == commune_code
    # Marriage: the husband's pages are not the last applicant's to fill.
    marriage = start(client_in, "1.000894")
    assert "chong" not in marriage.answers and "cccd_chong" not in marriage.answers
    assert marriage.answers["noi_o"]["street"] == "Thôn Làng Mới"


def test_profile_learns_blanks_only(demo, citizen, client_in, commune_code):
    CitizenProfile.objects.create(user=citizen, phone="84912345678", full_name="Lò Mai")
    draft = start(client_in, "1.001193")
    # The phone the citizen signed in with is known: that page is no longer asked (a
    # change of design: it used to be prefilled and asked); the name is only prefilled.
    assert draft.answers[KNOWN] == ["dien_thoai"]
    assert draft.answers[PREFILLED] == {"nguoi_khai": "profile", "dien_thoai": "account"}
    assert draft.answers["nguoi_khai"]["full_name"] == "Lò Mai"
    assert "dien_thoai" not in file_every_page(client_in, draft, commune_code)
    client_in.post(f"{BASE}{draft.pk}/kiem-tra/", {"key": draft.idempotency_key})
    assert Dossier.objects.get(draft__pk=draft.pk).applicant_phone == "0912345678"
    profile = CitizenProfile.objects.get(user=citizen)
    assert profile.full_name == "Lò Mai"  # the citizen's own spelling stays
    assert profile.citizen_id == ID_NUMBER and profile.birth_date == date(1990, 3, 5)
    assert profile.commune.code == commune_code and profile.address == "Thôn Làng Mới"


@pytest.mark.parametrize("flag", ["yes", 1])
def test_prefill_flag_must_be_boolean(flag):
    from motcua.catalog.formdefs import definition_errors

    data = {"procedure": "1", "title": "t", "applicant": {"name": "a"},
            "pages": [{"id": "a", "type": "text", "question": "q", "prefill": flag}]}
    assert "page 1 (a): prefill must be true or false" in definition_errors(data)


def test_resume_link_by_sms_once_an_hour(demo, citizen, client_in):
    from motcua.notifications.models import Notification

    draft = start(client_in, "1.001193")
    url = f"/ho-so-cua-toi/nhap/{draft.pk}/gui-duong-dan/"
    # No phone known yet: said plainly, nothing sent.
    page = client_in.post(url, follow=True).content.decode()
    assert "do not know your phone number" in page
    assert not Notification.objects.filter(template="draft_link").exists()
    client_in.post(f"{BASE}{draft.pk}/dien_thoai/", {"value": "0912 345 678", "action": "save"})
    page = client_in.post(url, follow=True).content.decode()
    assert "ending in …678" in page
    row = Notification.objects.get(template="draft_link")
    assert row.recipient_phone == "0912345678"
    assert row.context["url"].endswith(f"/nop-ho-so/tiep-tuc/{draft.resume_token}/")
    page = client_in.post(url, follow=True).content.decode()
    assert "less than an hour ago" in page
    assert Notification.objects.filter(template="draft_link").count() == 1
    # Somebody else's draft: not found.
    other = english_client()
    other.force_login(type(citizen).objects.create_user(username="other"))
    assert other.post(url).status_code == 404
