"""Assisted filing for citizens without a phone of their own: the code goes to a
relative's phone (the relation written down), or the citizen signs the printed form and
the receiving officer attests it (motcua.filing.assisted)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from motcua.accounts.models import CitizenProfile, PhoneOtp
from motcua.accounts.services import citizen_get_or_create
from motcua.dossiers.models import AssistedConfirmation, Dossier, DossierEvent, Draft
from motcua.filing import assisted
from motcua.notifications.models import Notification
from tests.accounts import conftest as accounts_conftest
from tests.accounts.conftest import sms_codes

from .birth import BASE, CODE, answers
from .conftest import jpeg_bytes
from .test_assisted import HOME, PHONE, STORED, confirm, officer_client, send_code
from .test_journey import deliver, upload

_sms = accounts_conftest._sms
gateway = accounts_conftest.sms

RELATIVE = "0912 000 111"
RELATIVE_STORED = "84912000111"
CHECK = "kiem-tra/"


@pytest.fixture
def officer(officials):
    return officials["batxat.tiepnhan"]


@pytest.fixture
def desk_client(officer):
    return officer_client(officer)


def start(client, **data):
    response = client.post(HOME, {"procedure": CODE, **data})
    assert response.status_code == 302, response.content.decode()[:3000]
    return Draft.objects.latest("pk")


def start_for_relative(client):
    return start(client, phone_owner="relative", phone=RELATIVE, relation="con trai",
                 relative_name="Lò Văn Hùng")


def complete(client, draft, commune_code, *, keep_phone: bool = False):
    """Every answer given, at the check page; `keep_phone`: the form's phone stays the
    number typed when the form was started (where the news then go)."""
    for page_id, data in answers(commune_code):
        if keep_phone and page_id == "dien_thoai":
            continue
        response = client.post(f"{BASE}{draft.pk}/{page_id}/", {**data, "action": "continue"})
        assert response.status_code == 302, (page_id, response.content.decode()[:2000])
    assert upload(client, draft, jpeg_bytes()).status_code == 302
    client.post(f"{BASE}{draft.pk}/giay_chung_sinh/", {"action": "continue"})
    deliver(client, draft)
    draft.refresh_from_db()
    return draft


def check_url(draft) -> str:
    return f"{BASE}{draft.pk}/{CHECK}"


def paper(client, draft, *, attest: bool = True):
    data = {"action": "paper", "key": draft.idempotency_key}
    if attest:
        data["attest"] = "1"
    return client.post(check_url(draft), data)


def print_form(client, draft) -> str:
    response = client.get(check_url(draft), {"in": "ban-khai"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


# --- a relative's phone --------------------------------------------------------------------


def test_a_relatives_phone_receives_the_code_and_the_relation_is_recorded(
    demo, officer, desk_client, agencies, commune_code, gateway,
    django_capture_on_commit_callbacks,
):
    # The relative already has an account of their own, with their own name.
    relative = citizen_get_or_create(phone=RELATIVE_STORED)
    CitizenProfile.objects.filter(user=relative).update(full_name="Lò Văn Hùng")

    draft = start_for_relative(desk_client)
    # The citizen gets an account of their own, without a phone; never the relative's.
    assert draft.citizen != relative
    assert draft.citizen.citizen_profile.phone is None
    assert draft.answers == {"dien_thoai": "0912000111"}  # the contact for the news
    listing = desk_client.get(HOME).content.decode()
    assert "0912 000 111 (con trai: Lò Văn Hùng)" in listing

    complete(desk_client, draft, commune_code, keep_phone=True)
    page = desk_client.get(check_url(draft)).content.decode()
    assert "the phone of Lò Văn Hùng (con trai)" in page
    assert "No phone of the citizen’s own was given" in page
    assert "<legend>Who receives the code</legend>" in page and 'value="con trai"' in page

    send_code(desk_client, draft, django_capture_on_commit_callbacks)
    [message] = gateway.ledger.messages()
    assert message["to"] == RELATIVE_STORED
    # The SMS says whose dossier the code confirms.
    assert "Ma xac nhan ho so cua ba Lo Thi Mai:" in message["body"]["content"]
    assert message["body"]["parts"] == 1
    [code] = sms_codes(gateway)
    page = desk_client.get(check_url(draft)).content.decode()
    assert "Sent by SMS to 0912 000 111, the phone of Lò Văn Hùng (con trai)." in page

    with django_capture_on_commit_callbacks(execute=True):
        response = confirm(desk_client, draft, code)
    assert response["Location"] == f"{BASE}{draft.pk}/da-nop/"
    dossier = Dossier.objects.get(draft__pk=draft.pk)
    draft.refresh_from_db()
    assert dossier.citizen == draft.citizen != relative
    assert not Dossier.objects.filter(citizen=relative).exists()
    relative.citizen_profile.refresh_from_db()
    assert relative.citizen_profile.full_name == "Lò Văn Hùng"  # not the citizen's name
    assert relative.citizen_profile.citizen_id == ""
    assert draft.citizen.citizen_profile.full_name == "Lò Thị Mai"

    row = AssistedConfirmation.objects.get(dossier=dossier)
    assert (row.method, row.phone, row.relation, row.relative_name) == (
        "relative_code", RELATIVE_STORED, "con trai", "Lò Văn Hùng"
    )
    assert (row.officer, row.agency) == (officer, agencies["batxat_desk"])
    assert row.confirmed_at is not None
    event = DossierEvent.objects.get(dossier=dossier, action="file")
    assert event.data["confirmation"]["relation"] == "con trai"
    assert event.data["confirmation"]["method"] == "relative_code"
    # News of the dossier go to the phone that confirmed.
    filed = Notification.objects.get(dossier=dossier, template="filed")
    assert filed.recipient_phone.endswith("912000111")

    back_office = desk_client.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert "code sent to 0912 000 111, the phone of Lò Văn Hùng (con trai)." in back_office
    assert "Confirmed with the code sent to 0912 000 111" in back_office  # the history

    # The relative signing in does not see the citizen's dossier.
    mine = officer_client(relative).get("/ho-so-cua-toi/").content.decode()
    assert dossier.code not in mine
    # A double click on "Send the dossier": still one dossier.
    assert confirm(desk_client, draft, code)["Location"] == f"{BASE}{draft.pk}/da-nop/"
    assert Dossier.objects.filter(applicant_name="Lò Thị Mai").count() == 1


def test_a_code_to_a_relative_from_the_check_page(
    demo, desk_client, commune_code, gateway, django_capture_on_commit_callbacks,
):
    """Started with the citizen's own number, confirmed through a neighbour's phone: no
    code proved that number is the citizen's, so its account does not get the dossier."""
    draft = complete(desk_client, start(desk_client, phone=PHONE), commune_code)
    typed_account = draft.citizen
    assert typed_account.citizen_profile.phone == STORED

    response = desk_client.post(check_url(draft), {
        "action": "send_code", "to": "relative", "relative_phone": RELATIVE, "relation": "",
        "relative_name": "Hoàng Văn Tú",
    })
    assert response.status_code == 400
    html = response.content.decode()
    assert 'href="#f-relation"' in html and "Write how this person is related" in html
    assert 'value="Hoàng Văn Tú"' in html and 'aria-invalid="true"' in html
    assert not PhoneOtp.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = desk_client.post(check_url(draft), {
            "action": "send_code", "to": "relative", "relative_phone": RELATIVE,
            "relation": "hàng xóm", "relative_name": "Hoàng Văn Tú",
        })
    assert response.status_code == 302
    [message] = gateway.ledger.messages()
    assert message["to"] == RELATIVE_STORED
    [code] = sms_codes(gateway)
    assert confirm(desk_client, draft, code).status_code == 302
    dossier = Dossier.objects.get(draft__pk=draft.pk)
    assert dossier.citizen != typed_account
    assert dossier.citizen.citizen_profile.phone is None
    assert not Dossier.objects.filter(citizen=typed_account).exists()
    row = dossier.assisted_confirmation
    assert (row.method, row.relation, row.relative_name) == (
        "relative_code", "hàng xóm", "Hoàng Văn Tú"
    )


@pytest.mark.parametrize("data, field, message", [
    ({"phone_owner": "relative", "phone": "", "relation": "con trai",
      "relative_name": "Lò Văn Hùng"}, "phone",
     "Enter the mobile number of the relative or acquaintance."),
    ({"phone_owner": "relative", "phone": "12345", "relation": "con trai",
      "relative_name": "Lò Văn Hùng"}, "phone", "mobile number of the relative"),
    ({"phone_owner": "relative", "phone": RELATIVE, "relation": "",
      "relative_name": "Lò Văn Hùng"}, "relation", "Write how this person is related"),
    ({"phone_owner": "relative", "phone": RELATIVE, "relation": "con trai",
      "relative_name": ""}, "relative_name", "Enter the full name of the phone’s owner."),
])
def test_starting_for_a_relatives_phone_names_what_is_missing(
    demo, desk_client, data, field, message,
):
    response = desk_client.post(HOME, {"procedure": CODE, **data})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and f'id="id_{field}_errors"' in html
    assert not Draft.objects.exists() and not CitizenProfile.objects.exists()


def test_the_code_sms_names_the_citizen_and_fits_one_part_with_long_values():
    from motcua.notifications.defaults import DEFAULT_TEMPLATES, SAMPLE_CONTEXT
    from motcua.notifications.models import MessageTemplate
    from motcua.notifications.rendering import render_email, render_sms

    template = MessageTemplate(**DEFAULT_TEMPLATES["filing_confirm"], key="filing_confirm",
                               version=1)
    context = {**SAMPLE_CONTEXT, "code": "123456", "minutes": 5, "honorific": "ông/bà"}
    sms = render_sms(template, context, unicode=False)
    assert sms.encoding == "gsm7" and sms.parts == 1 and not sms.shortened
    assert "cua ong/ba Nguyen Thi Phuong Thao: 123456" in sms.text
    assert "của ông/bà Nguyễn Thị Phương Thảo là 123456" in render_email(template, context).body


# --- on paper ------------------------------------------------------------------------------


def test_confirmation_on_paper_with_the_officers_attestation(
    demo, officer, desk_client, agencies, commune_code, gateway,
    django_capture_on_commit_callbacks,
):
    draft = start(desk_client, phone_owner="none")
    assert draft.answers == {}
    assert draft.citizen.citizen_profile.phone is None
    assert "no phone" in desk_client.get(HOME).content.decode()
    complete(desk_client, draft, commune_code)
    page = desk_client.get(check_url(draft)).content.decode()
    assert "for a citizen without a phone" in page
    assert f'href="{check_url(draft)}?in=ban-khai"' in page
    assert 'id="f-attest"' in page and "<legend>Your confirmation as the receiving officer" in page

    # Not printed yet: nothing to sign.
    response = paper(desk_client, draft)
    assert response.status_code == 400
    assert "Print the form for the citizen to sign first" in response.content.decode()

    # The form to sign: the answers, the papers, the signature lines.
    text = print_form(desk_client, draft)
    for words in ("BẢN KHAI ĐỂ CÔNG DÂN KÝ", "Lò Thị Mai", "Lò Văn An", "Thôn Làng Mới",
                  "Giấy chứng sinh", "NGƯỜI KHAI", "điểm chỉ", officer.get_full_name()):
        assert words in text, words
    row = AssistedConfirmation.objects.get(draft=draft)
    assert row.printed_digest and row.printed_digest in text

    # Without the attestation: refused, with a message naming the box.
    response = paper(desk_client, draft, attest=False)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Tick “I confirm that the citizen read the form again and signed it”" in html
    assert 'href="#f-attest"' in html and 'aria-invalid="true"' in html
    assert not Dossier.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = paper(desk_client, draft)
    assert response["Location"] == f"{BASE}{draft.pk}/da-nop/"
    dossier = Dossier.objects.get(draft__pk=draft.pk)
    assert dossier.filed_by == officer and dossier.status == 1
    assert dossier.code in desk_client.get(f"{BASE}{draft.pk}/da-nop/").content.decode()
    assert not PhoneOtp.objects.exists()  # no code
    assert all(m["body"]["content"].startswith("Ma xac nhan") is False
               for m in gateway.ledger.messages())
    row.refresh_from_db()
    assert (row.method, row.officer, row.agency) == (
        "paper_signature", officer, agencies["batxat_desk"]
    )
    assert row.officer_name == officer.get_full_name() and row.confirmed_at is not None
    event = DossierEvent.objects.get(dossier=dossier, action="file")
    assert event.data["confirmation"]["method"] == "paper_signature"
    assert event.data["confirmation"]["officer"] == officer.pk
    assert event.data["confirmation"]["printed"] == row.printed_digest
    assert "Confirmed on paper" in event.note and officer.get_full_name() in event.note

    back_office = desk_client.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert "signed on paper" in back_office
    assert f"{officer.get_full_name()} attested it at" in back_office
    assert "Confirmed on paper: the citizen signed the printed form" in back_office
    assert "The scan of the signed page is not attached yet." in back_office

    # A double click: the same dossier, nothing twice.
    assert paper(desk_client, draft)["Location"] == f"{BASE}{draft.pk}/da-nop/"
    assert Dossier.objects.count() == 1 and AssistedConfirmation.objects.count() == 1


def test_paper_answers_changed_after_printing_are_refused(demo, desk_client, commune_code):
    draft = complete(desk_client, start(desk_client, phone=PHONE), commune_code)
    print_form(desk_client, draft)
    desk_client.post(f"{BASE}{draft.pk}/noi_o/", {
        "commune": commune_code, "street": "Thôn Mới", "from": "check", "action": "continue",
    })
    response = paper(desk_client, draft)
    assert response.status_code == 400
    assert "The answers changed after the form was printed" in response.content.decode()
    assert not Dossier.objects.exists()
    assert "Thôn Mới" in print_form(desk_client, draft)  # printed again, then signed
    assert paper(desk_client, draft).status_code == 302
    dossier = Dossier.objects.get()
    # Started with a number no code proved: its account does not get the dossier.
    assert dossier.citizen != draft.citizen
    assert dossier.citizen.citizen_profile.phone is None
    assert not Dossier.objects.filter(citizen__citizen_profile__phone=STORED).exists()


def test_the_form_to_sign_waits_for_complete_answers(demo, desk_client):
    draft = start(desk_client, phone_owner="none")
    response = desk_client.get(check_url(draft), {"in": "ban-khai"})
    assert response.status_code == 400
    assert "Some answers are missing" in response.content.decode()


def test_another_agencys_officer_cannot_confirm(
    demo, officials, desk_client, commune_code,
):
    draft = complete(desk_client, start(desk_client, phone_owner="none"), commune_code)
    print_form(desk_client, draft)
    other_officer = officials["laocai.tiepnhan"]
    other = officer_client(other_officer)
    assert other.get(check_url(draft), {"in": "ban-khai"}).status_code == 404
    assert paper(other, draft).status_code == 404
    with pytest.raises(assisted.AssistError):
        assisted.assisted_paper_confirm(officer=other_officer, draft_id=draft.pk,
                                        key=draft.idempotency_key, attested=True)
    with pytest.raises(assisted.AssistError):
        assisted.assisted_declaration(officer=other_officer, draft_id=draft.pk)
    assert not Dossier.objects.exists()


def test_the_scan_of_the_signed_page_is_attached_later(
    demo, officials, desk_client, commune_code,
):
    draft = complete(desk_client, start(desk_client, phone_owner="none"), commune_code)
    print_form(desk_client, draft)
    assert paper(desk_client, draft).status_code == 302
    dossier = Dossier.objects.get()
    row = dossier.assisted_confirmation
    home = desk_client.get(HOME).content.decode()
    assert "Signed on paper, scan not attached yet" in home and dossier.code in home

    response = desk_client.post(HOME, {"action": "scan", "confirmation": row.pk})
    assert response.status_code == 400
    assert "Choose the scan or photo of the signed page." in response.content.decode()
    scan = SimpleUploadedFile("ky.jpg", jpeg_bytes(), "image/jpeg")
    response = desk_client.post(HOME, {"action": "scan", "confirmation": row.pk, "scan": scan})
    assert response["Location"] == f"{HOME}#scans"
    row.refresh_from_db()
    assert row.scan and row.scan_added_at is not None
    assert dossier.code not in desk_client.get(HOME).content.decode()
    page = desk_client.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert f"{HOME}?ban-quet={dossier.code}" in page
    response = desk_client.get(HOME, {"ban-quet": dossier.code})
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    # Kept once: a second file does not replace the first.
    again = SimpleUploadedFile("ky2.jpg", jpeg_bytes(color="gray"), "image/jpeg")
    with pytest.raises(assisted.AssistError, match="already attached"):
        assisted.assisted_scan_attach(officer=officials["batxat.tiepnhan"],
                                      confirmation_id=row.pk, upload=again)
    # Another commune's desk neither sees nor attaches it.
    other = officials["laocai.tiepnhan"]
    assert officer_client(other).get(HOME, {"ban-quet": dossier.code}).status_code == 404
