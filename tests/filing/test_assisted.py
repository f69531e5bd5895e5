"""Assisted online filing: a receiving officer fills in the online form for a citizen,
who confirms with the one-time code sent to their phone (through the SMS simulator)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from motcua.accounts.models import CitizenProfile, PhoneOtp, Role, RoleAssignment
from motcua.accounts.services import official_create
from motcua.catalog import formdefs
from motcua.catalog.selectors import procedure_get_current
from motcua.dossiers.models import Dossier, DossierEvent, Draft
from motcua.filing import drafts
from motcua.notifications.models import Notification
from motcua.organizations.models import AdministrativeUnit, UnitLevel
from tests.accounts import conftest as accounts_conftest
from tests.accounts.conftest import sms_codes
from tests.officials import official_login

from .birth import BASE, CODE, answers
from .conftest import english_client, jpeg_bytes
from .test_journey import deliver, fill, upload

# The SMS gateway simulator of the sign-in tests, as fixtures here: the code is read from
# the message the citizen's phone would get.
_sms = accounts_conftest._sms
gateway = accounts_conftest.sms

HOME = "/mot-cua/nop-giup/"
PHONE = "0987 654 321"  # the citizen's own phone: the code goes there
STORED = "84987654321"


def officer_client(user) -> Client:
    client = english_client()
    official_login(client, user)
    return client


@pytest.fixture
def officer(officials):
    return officials["batxat.tiepnhan"]


@pytest.fixture
def desk_client(officer) -> Client:
    return officer_client(officer)


def start(client: Client, phone: str = PHONE, procedure: str = CODE) -> Draft:
    response = client.post(HOME, {"phone": phone, "procedure": procedure})
    assert response.status_code == 302, response.content.decode()[:2000]
    draft = Draft.objects.latest("pk")
    assert response["Location"].startswith(f"/nop-ho-so/{procedure}/{draft.pk}/")
    return draft


def ready(client: Client, commune_code: str) -> Draft:
    """An assisted draft with every answer given, at its check page."""
    draft = start(client)
    fill(client, draft, commune_code)
    assert upload(client, draft, jpeg_bytes()).status_code == 302
    deliver(client, draft)
    draft.refresh_from_db()
    return draft


def send_code(client: Client, draft: Draft, capture, status: int = 302):
    with capture(execute=True):
        response = client.post(f"{BASE}{draft.pk}/kiem-tra/", {"action": "send_code"})
    assert response.status_code == status, response.content.decode()[:3000]
    return response


def confirm(client: Client, draft: Draft, code: str, key: str | None = None):
    return client.post(f"{BASE}{draft.pk}/kiem-tra/", {
        "action": "confirm", "code": code, "key": key or draft.idempotency_key,
    })


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


# --- the journey -----------------------------------------------------------------------------


def test_officer_files_for_a_citizen_who_confirms_with_the_code(
    demo, officer, desk_client, agencies, commune_code, gateway,
    django_capture_on_commit_callbacks,
):
    client = desk_client
    home = client.get(HOME)
    assert home.status_code == 200
    html = home.content.decode()
    assert 'href="/mot-cua/nop-giup/" aria-current="page"' in html  # the nav link
    assert "1.001193 · " in html and 'name="phone"' in html

    draft = start(client)
    citizen = CitizenProfile.objects.get(phone=STORED).user  # created for this number
    assert (draft.citizen, draft.assisted_by, draft.assisted_agency) == (
        citizen, officer, agencies["batxat_desk"]
    )
    assert draft.answers == {"dien_thoai": "0987654321"}  # only the number typed
    page = client.get(f"{BASE}{draft.pk}/dien_thoai/").content.decode()
    assert 'value="0987654321"' in page
    # In progress: listed for the officer, with a link back to the form.
    listing = client.get(HOME).content.decode()
    assert "0987 654 321" in listing and f"{BASE}{draft.pk}/" in listing

    fill(client, draft, commune_code)
    assert upload(client, draft, jpeg_bytes()).status_code == 302
    deliver(client, draft)
    check = client.get(f"{BASE}{draft.pk}/kiem-tra/").content.decode()
    assert "filling in this form for the citizen with the phone number 0987 654 321" in check
    assert "Send the code to 0987 654 321" in check
    assert "The dossier will be sent to" in check and agencies["batxat_desk"].name in check
    assert 'name="code"' not in check  # no code sent yet

    response = send_code(client, draft, django_capture_on_commit_callbacks)
    assert response["Location"] == f"{BASE}{draft.pk}/kiem-tra/#code"
    [message] = gateway.ledger.messages()
    assert message["to"] == STORED
    text = message["body"]["content"]
    # It says whose dossier it confirms (the phone may be a relative's).
    assert "xac nhan ho so cua ba lo thi mai" in text.lower() and "Bat Xat" in text
    assert "dang nop giup" in text and message["body"]["parts"] == 1
    [code] = sms_codes(gateway)
    # The outbox forgets the code once delivered, like a sign-in code.
    assert Notification.objects.get(template="filing_confirm").context == {}
    check = client.get(f"{BASE}{draft.pk}/kiem-tra/").content.decode()
    assert 'name="code"' in check and "Sent by SMS to 0987 654 321" in check

    response = confirm(client, draft, wrong(code))
    assert response.status_code == 400
    html = response.content.decode()
    assert "This code is not right" in html and "4 tries left" in html
    assert 'href="#f-code"' in html and 'aria-invalid="true"' in html
    assert not Dossier.objects.filter(draft__pk=draft.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = confirm(client, draft, code)
    assert response["Location"] == f"{BASE}{draft.pk}/da-nop/"
    dossier = Dossier.objects.get(draft__pk=draft.pk)
    assert dossier.filed_by == officer and dossier.citizen == citizen
    assert dossier.receiving_agency == agencies["batxat_desk"]
    assert dossier.status == 1 and dossier.applicant_name == "Lò Thị Mai"
    event = DossierEvent.objects.get(dossier=dossier)
    assert event.data["assisted"] is True and event.actor == officer
    # How the citizen confirmed, recorded with the dossier and its filing event.
    row = dossier.assisted_confirmation
    assert (row.method, row.phone, row.officer) == ("citizen_code", STORED, officer)
    assert event.data["confirmation"]["method"] == "citizen_code"
    done = client.get(f"{BASE}{draft.pk}/da-nop/").content.decode()
    assert dossier.code in done

    # A double click or a replayed request: the same dossier, nothing twice.
    again = confirm(client, draft, code)
    assert again["Location"] == f"{BASE}{draft.pk}/da-nop/"
    assert Dossier.objects.filter(applicant_name="Lò Thị Mai").count() == 1
    # Sent: no longer in the officer's list; now the citizen's own.
    assert f"{BASE}{draft.pk}/" not in client.get(HOME).content.decode()
    mine = officer_client(citizen)
    assert Dossier.objects.filter(citizen=citizen).get() == dossier
    assert dossier.code in mine.get(f"{BASE}{draft.pk}/da-nop/").content.decode()


def test_save_and_continue_later_goes_back_to_the_officers_list(demo, desk_client):
    draft = start(desk_client)
    response = desk_client.post(
        f"{BASE}{draft.pk}/tre/", {"ho_ten": "Lò Văn An", "action": "save"}
    )
    assert response["Location"] == HOME
    listing = desk_client.get(HOME).content.decode()
    assert f"{BASE}{draft.pk}/tre/" in listing  # continues where it stopped
    first = desk_client.get(f"{BASE}{draft.pk}/nguoi_khai/").content.decode()
    assert f'href="{HOME}"' in first  # "Back" from the first question


# --- who sees what ---------------------------------------------------------------------------


def test_the_citizen_does_not_see_the_draft_before_confirming(
    demo, desk_client, commune_code
):
    draft = ready(desk_client, commune_code)
    citizen = officer_client(draft.citizen)
    assert citizen.get(f"{BASE}{draft.pk}/nguoi_khai/").status_code == 404
    assert citizen.get(f"{BASE}{draft.pk}/kiem-tra/").status_code == 404
    response = citizen.post(f"{BASE}{draft.pk}/kiem-tra/", {"key": draft.idempotency_key})
    assert response.status_code == 404
    assert citizen.get(drafts.draft_resume_link(draft)).status_code == 404
    assert f"{BASE}{draft.pk}/" not in citizen.get("/ho-so-cua-toi/nhap/").content.decode()
    assert not drafts.drafts_open(citizen=draft.citizen).exists()
    # Nor can the service file it without the officer (and so without the code).
    with pytest.raises(drafts.DraftError):
        drafts.draft_submit(citizen=draft.citizen, draft_id=draft.pk, key=draft.idempotency_key)
    assert not Dossier.objects.exists()


@pytest.mark.parametrize("who", ["laocai.tiepnhan", "batxat.chuyenvien", "colleague"])
def test_other_officials_cannot_open_the_draft(
    demo, officials, agencies, desk_client, commune_code, who, gateway,
    django_capture_on_commit_callbacks,
):
    draft = ready(desk_client, commune_code)
    send_code(desk_client, draft, django_capture_on_commit_callbacks)
    [code] = sms_codes(gateway)
    if who == "colleague":  # another receiving officer of the same desk
        user = official_create(username="batxat.tiepnhan2", full_name="Đỗ Văn Lâm",
                               password="Mot-cua-2026!x", agency=agencies["batxat_desk"],
                               roles=[Role.RECEIVING_OFFICER])
    else:
        user = officials[who]
    other = officer_client(user)
    for page in ("nguoi_khai/", "kiem-tra/", "da-nop/"):
        assert other.get(f"{BASE}{draft.pk}/{page}").status_code == 404
    assert confirm(other, draft, code).status_code == 404
    assert f"{BASE}{draft.pk}/" not in other.get(HOME).content.decode()
    assert not Dossier.objects.exists()


def test_an_officer_who_lost_the_role_cannot_go_on(demo, officer, desk_client, agencies):
    draft = start(desk_client)
    RoleAssignment.objects.filter(user=officer, agency=agencies["batxat_desk"]).delete()
    RoleAssignment.objects.create(user=officer, agency=agencies["batxat_committee"],
                                  role=Role.SPECIALIST)  # still an official, elsewhere
    assert desk_client.get(f"{BASE}{draft.pk}/nguoi_khai/").status_code == 404


def test_the_officer_never_sees_the_citizens_own_drafts_or_dossiers(
    demo, desk_client, commune_code, file_previous,
):
    citizen, own_draft = file_previous
    assisted = start(desk_client)
    assert assisted.citizen == citizen
    # Not prefilled from the citizen's earlier dossier or profile: only the number typed.
    assert assisted.answers == {"dien_thoai": "0987654321"}
    for page in ("nguoi_khai/", "kiem-tra/"):
        assert desk_client.get(f"{BASE}{own_draft.pk}/{page}").status_code == 404
    listing = desk_client.get(HOME).content.decode()
    assert f"{BASE}{own_draft.pk}/" not in listing and "Lò Thị Mai" not in listing
    page = desk_client.get(f"{BASE}{assisted.pk}/nguoi_khai/").content.decode()
    assert "Lò Thị Mai" not in page


@pytest.fixture
def file_previous(demo, commune_code):
    """The citizen with PHONE filed a dossier themselves, and has a draft of their own."""
    from motcua.accounts.services import citizen_get_or_create

    citizen = citizen_get_or_create(phone=STORED)
    client = officer_client(citizen)
    client.post(BASE)
    draft = Draft.objects.latest("pk")
    for page_id, data in answers(commune_code):  # the phone is known: one step less
        client.post(f"{BASE}{draft.pk}/{page_id}/", {**data, "action": "continue"})
    assert upload(client, draft, jpeg_bytes()).status_code == 302
    deliver(client, draft)
    draft.refresh_from_db()
    client.post(f"{BASE}{draft.pk}/kiem-tra/", {"key": draft.idempotency_key})
    assert Dossier.objects.filter(citizen=citizen).count() == 1
    client.post(BASE)
    own = Draft.objects.latest("pk")
    client.post(f"{BASE}{own.pk}/nguoi_khai/", {"full_name": "Lò Thị Mai", "action": "save"})
    return citizen, own


# --- starting: who and what ------------------------------------------------------------------


def test_only_a_receiving_officer_can_start(demo, officials):
    client = officer_client(officials["batxat.chuyenvien"])
    page = client.get(HOME).content.decode()
    assert "you cannot file online for citizens here" in page
    assert 'href="/mot-cua/nop-giup/"' not in page.split("<main")[0]  # no nav link
    response = client.post(HOME, {"phone": PHONE, "procedure": CODE})
    assert response.status_code == 400
    assert not Draft.objects.exists() and not CitizenProfile.objects.exists()


def test_a_citizen_cannot_use_the_back_office(demo):
    from motcua.accounts.services import citizen_get_or_create

    client = officer_client(citizen_get_or_create(phone=STORED))
    response = client.post(HOME, {"phone": "0912345678", "procedure": CODE})
    assert response.status_code == 403 and not Draft.objects.exists()


@pytest.mark.parametrize("data, message", [
    ({"phone": "12345", "procedure": CODE}, "Vietnamese mobile number"),
    ({"phone": "", "procedure": CODE}, "Enter the citizen’s mobile phone number."),
    ({"phone": PHONE, "procedure": ""}, "Choose a procedure."),
    ({"phone": PHONE, "procedure": "1.004194"}, "Choose a procedure that can be filed online"),
    ({"phone": PHONE, "procedure": "9.999999"}, "Choose a procedure that can be filed online"),
])
def test_bad_input_on_start_names_the_field(demo, desk_client, data, message):
    response = desk_client.post(HOME, data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not Draft.objects.exists() and not CitizenProfile.objects.exists()


def test_service_refuses_a_procedure_without_a_form(demo, officer, agencies):
    from django.core.exceptions import ValidationError

    from motcua.filing.assisted import AssistError, assisted_draft_start

    with pytest.raises(ValidationError) as caught:
        assisted_draft_start(officer=officer, agency=agencies["batxat_desk"], phone=PHONE,
                             procedure_code="1.004194")  # no online form
    assert "procedure" in caught.value.message_dict
    with pytest.raises(AssistError, match="Only a receiving officer"):
        assisted_draft_start(officer=officer, agency=agencies["laocai_desk"], phone=PHONE,
                             procedure_code=CODE)
    assert not Draft.objects.exists()


# --- the code --------------------------------------------------------------------------------


def test_confirming_needs_a_code_sent_for_this_draft(
    demo, desk_client, commune_code, gateway, django_capture_on_commit_callbacks,
):
    draft = ready(desk_client, commune_code)
    # A post as a citizen's check page would send it (no code): refused.
    response = desk_client.post(f"{BASE}{draft.pk}/kiem-tra/",
                                    {"key": draft.idempotency_key})
    assert response.status_code == 400
    assert "Enter the 6-digit code the citizen received" in response.content.decode()
    response = confirm(desk_client, draft, "123456")
    assert response.status_code == 400
    assert "Send a code to the citizen’s phone first" in response.content.decode()
    # The citizen's own sign-in code (for the same phone) does not confirm it.
    with django_capture_on_commit_callbacks(execute=True):
        english_client().post("/dang-nhap/", {"phone": PHONE})
    send_code(desk_client, draft, django_capture_on_commit_callbacks)
    sign_in_code, confirm_code = sms_codes(gateway)
    if sign_in_code != confirm_code:
        response = confirm(desk_client, draft, sign_in_code)
        assert response.status_code == 400 and "not right" in response.content.decode()
    assert not Dossier.objects.exists()
    # An out-of-date page (old key) sends nothing and does not spend the code.
    response = confirm(desk_client, draft, confirm_code, key="old")
    assert response.status_code == 400 and "out of date" in response.content.decode()
    assert PhoneOtp.objects.filter(used_at__isnull=True).count() == 2
    assert confirm(desk_client, draft, confirm_code).status_code == 302
    assert Dossier.objects.get().filed_by is not None


def test_expired_code_then_a_new_one(
    demo, desk_client, commune_code, gateway, django_capture_on_commit_callbacks,
):
    draft = ready(desk_client, commune_code)
    send_code(desk_client, draft, django_capture_on_commit_callbacks)
    [code] = sms_codes(gateway)
    PhoneOtp.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = confirm(desk_client, draft, code)
    assert response.status_code == 400 and "expired" in response.content.decode()
    assert not Dossier.objects.exists()
    page = desk_client.get(f"{BASE}{draft.pk}/kiem-tra/").content.decode()
    assert 'name="code"' not in page and "Send the code to 0987 654 321" in page
    send_code(desk_client, draft, django_capture_on_commit_callbacks)
    assert confirm(desk_client, draft, code).status_code == 400  # the old one stays dead
    assert confirm(desk_client, draft, sms_codes(gateway)[-1]).status_code == 302
    assert Dossier.objects.count() == 1


def test_five_wrong_codes_lock_it(
    demo, desk_client, commune_code, gateway, django_capture_on_commit_callbacks,
):
    draft = ready(desk_client, commune_code)
    send_code(desk_client, draft, django_capture_on_commit_callbacks)
    [code] = sms_codes(gateway)
    for _ in range(4):
        assert confirm(desk_client, draft, wrong(code)).status_code == 400
    response = confirm(desk_client, draft, wrong(code))
    assert "wrongly 5 times" in response.content.decode()
    response = confirm(desk_client, draft, code)
    assert response.status_code == 400 and "Send a code to the citizen’s phone first" in (
        response.content.decode()
    )
    assert not Dossier.objects.exists()


def test_codes_are_limited_per_phone(
    demo, desk_client, commune_code, gateway, django_capture_on_commit_callbacks,
):
    draft = ready(desk_client, commune_code)
    for _ in range(3):
        send_code(desk_client, draft, django_capture_on_commit_callbacks)
    response = send_code(desk_client, draft, django_capture_on_commit_callbacks, status=429)
    assert "already sent to this number 3 times" in response.content.decode()
    assert len(sms_codes(gateway)) == 3


def test_no_code_is_sent_while_answers_are_missing(
    demo, desk_client, gateway, django_capture_on_commit_callbacks,
):
    draft = start(desk_client)
    page = desk_client.get(f"{BASE}{draft.pk}/kiem-tra/").content.decode()
    assert "Send the code" not in page
    send_code(desk_client, draft, django_capture_on_commit_callbacks, status=400)
    assert sms_codes(gateway) == [] and not PhoneOtp.objects.exists()


# --- where it is filed -----------------------------------------------------------------------


def _commune(name: str) -> AdministrativeUnit:
    return AdministrativeUnit.objects.get(name=name, level=UnitLevel.COMMUNE,
                                          valid_to__isnull=True)


def _assisted_draft(officer, agency, code: str) -> Draft:
    version = procedure_get_current(code=code)
    form = formdefs.form_definition_latest(procedure=version.procedure)
    from motcua.accounts.services import citizen_get_or_create

    return Draft.objects.create(
        citizen=citizen_get_or_create(phone=STORED), procedure_version=version,
        form_definition=form, resume_token=f"t{code}{officer.pk}", idempotency_key="k",
        assisted_by=officer, assisted_agency=agency,
    )


def test_receiving_agency_is_the_officers_when_the_procedure_allows_it(
    demo, officer, officials, agencies,
):
    batxat, laocai = _commune("Xã Bát Xát"), _commune("Phường Lào Cai")
    # Birth registration does not depend on where one lives: the officer's own desk.
    birth = _assisted_draft(officer, agencies["batxat_desk"], "1.001193")
    assert drafts.assisted_receiving_agency(draft=birth, unit=laocai) == agencies["batxat_desk"]
    # Permanent residence is filed where one lives: the officer's desk for Bát Xát ...
    residence = _assisted_draft(officer, agencies["batxat_desk"], "1.004222")
    assert not residence.procedure_version.boundary_independent
    assert drafts.assisted_receiving_agency(draft=residence, unit=batxat) == (
        agencies["batxat_desk"]
    )
    # ... the usual desk of Lào Cai ward otherwise, where this officer does not receive.
    with pytest.raises(drafts.DraftError, match="you are not one of its receiving officers"):
        drafts.assisted_receiving_agency(draft=residence, unit=laocai)
    # A province administrator receives everywhere: the usual desk.
    admin = officials["tinh.quantritinh"]
    theirs = _assisted_draft(admin, agencies["province_desk"], "1.004222")
    usual = drafts.receiving_agency_for(procedure_version=theirs.procedure_version, unit=laocai)
    assert usual.unit == laocai and usual != agencies["province_desk"]
    assert drafts.assisted_receiving_agency(draft=theirs, unit=laocai) == usual
