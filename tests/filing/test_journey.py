"""Đăng ký khai sinh filed online end to end with the Django client."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from motcua.dossiers.models import Dossier, DossierPaper, Draft
from motcua.filing.drafts import draft_resume_link

from .birth import BASE, DELIVERY, answers, child, person
from .conftest import ID_NUMBER, english_client, jpeg_bytes


def start(client: Client) -> Draft:
    response = client.post(BASE)
    assert response.status_code == 302
    draft = Draft.objects.latest("pk")
    assert response["Location"] == f"{BASE}{draft.pk}/nguoi_khai/"
    return draft


def fill(client: Client, draft: Draft, commune_code: str) -> None:
    steps = answers(commune_code)
    for number, (page_id, data) in enumerate(steps, start=1):
        url = f"{BASE}{draft.pk}/{page_id}/"
        page = client.get(url)
        assert page.status_code == 200
        assert f"Step {number} of 9" in page.content.decode()
        response = client.post(url, {**data, "action": "continue"})
        assert response.status_code == 302, (page_id, response.content.decode()[:3000])
    return None


def deliver(client: Client, draft: Draft) -> None:
    page_id, data = DELIVERY
    response = client.post(f"{BASE}{draft.pk}/{page_id}/", {**data, "action": "continue"})
    assert response["Location"] == f"{BASE}{draft.pk}/kiem-tra/"


def upload(client: Client, draft: Draft, content: bytes, name: str = "giay.jpg"):
    """Upload to the birth certificate page, shown once the baby was born at a health
    station (saved as it would be while typing)."""
    client.post(f"{BASE}{draft.pk}/tre/", {**child(), "action": "autosave"})
    return client.post(
        f"{BASE}{draft.pk}/giay_chung_sinh/",
        {"action": "upload", "file": SimpleUploadedFile(name, content, "image/jpeg")},
    )


def test_start_page_is_public_and_lists_what_you_need(demo):
    page = english_client().get(BASE).content.decode()
    assert "Birth registration" in page and "Giấy chứng sinh" in page
    assert "Start now" in page


def test_start_asks_to_sign_in(demo):
    response = english_client().post(BASE)
    assert response.status_code == 302 and response["Location"].startswith("/dang-nhap/?next=")


def test_question_pages_need_sign_in(demo, client_in):
    draft = start(client_in)
    response = english_client().get(f"{BASE}{draft.pk}/nguoi_khai/")
    assert response.status_code == 302 and response["Location"].startswith("/dang-nhap/")


def test_walk_birth_registration_end_to_end(demo, client_in, commune_code):
    draft = start(client_in)
    # A wrong answer: the message beside the field and in the summary, the input kept.
    url = f"{BASE}{draft.pk}/cccd_nguoi_khai/"
    response = client_in.post(url, {"value": "12345", "action": "continue"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'href="#f-value"' in html and "must be exactly 12 digits" in html
    assert 'id="f-value-error"' in html and 'value="12345"' in html
    assert 'aria-invalid="true"' in html
    assert Draft.objects.get(pk=draft.pk).answers["cccd_nguoi_khai"] == "12345"  # kept

    fill(client_in, draft, commune_code)
    # Born at a health station: the birth certificate, step 8 of 9 whatever the answers.
    page = client_in.get(f"{BASE}{draft.pk}/giay_chung_sinh/").content.decode()
    assert "Step 8 of 9" in page and 'enctype="multipart/form-data"' in page
    # Continue without a file: told to add one.
    response = client_in.post(f"{BASE}{draft.pk}/giay_chung_sinh/", {"action": "continue"})
    assert response.status_code == 400 and "Add a photo or a PDF" in response.content.decode()
    assert upload(client_in, draft, jpeg_bytes()).status_code == 302
    assert upload(client_in, draft, jpeg_bytes(color="gray"), "trang2.jpg").status_code == 302
    response = client_in.post(f"{BASE}{draft.pk}/giay_chung_sinh/", {"action": "continue"})
    assert response["Location"] == f"{BASE}{draft.pk}/nhan_ket_qua/"
    deliver(client_in, draft)

    check = client_in.get(f"{BASE}{draft.pk}/kiem-tra/").content.decode()
    assert "Lò Văn An" in check and "1 February 2026" in check
    assert "Trạm y tế".lower() in check.lower()
    assert f'href="{BASE}{draft.pk}/tre/?from=check"' in check
    # Change an answer from the check page: back to the check page after it.
    response = client_in.post(
        f"{BASE}{draft.pk}/tre/", {**child(ho_ten="Lò Văn Bình"), "from": "check",
                                    "action": "continue"},
    )
    assert response["Location"] == f"{BASE}{draft.pk}/kiem-tra/"
    check = client_in.get(f"{BASE}{draft.pk}/kiem-tra/").content.decode()
    assert "Lò Văn Bình" in check and "Lò Văn An" not in check

    draft.refresh_from_db()
    response = client_in.post(
        f"{BASE}{draft.pk}/kiem-tra/", {"draft": draft.pk, "key": draft.idempotency_key}
    )
    assert response["Location"] == f"{BASE}{draft.pk}/da-nop/"
    dossier = Dossier.objects.get(draft__pk=draft.pk)
    assert dossier.status == 1 and dossier.applicant_name == "Lò Thị Mai"
    assert dossier.applicant_id_number == ID_NUMBER and dossier.applicant_phone == "0912345678"
    assert dossier.form_data["answers"]["tre"]["ho_ten"] == "Lò Văn Bình"
    assert dossier.form_data["answers"]["tre"]["ngay_sinh"] == "2026-02-01"
    assert dossier.result_delivery == "desk"
    papers = list(DossierPaper.objects.filter(dossier=dossier))
    assert len(papers) == 1 and papers[0].required_paper.name.startswith("Giấy chứng sinh")
    with papers[0].file.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"  # two photos of one paper → one PDF

    done = client_in.get(f"{BASE}{draft.pk}/da-nop/").content.decode()
    assert dossier.code in done and "<svg" in done
    assert f"/tra-cuu/?ma={dossier.code}" in done
    assert "What happens next" in done
    # Pages of a submitted draft lead to the confirmation.
    assert client_in.get(f"{BASE}{draft.pk}/tre/")["Location"].endswith("/da-nop/")


def submitted_draft(client, commune_code) -> Draft:
    draft = start(client)
    fill(client, draft, commune_code)
    assert upload(client, draft, jpeg_bytes()).status_code == 302
    client.post(f"{BASE}{draft.pk}/giay_chung_sinh/", {"action": "continue"})
    deliver(client, draft)
    draft.refresh_from_db()
    return draft


def test_double_submit_makes_one_dossier(demo, client_in, commune_code):
    draft = submitted_draft(client_in, commune_code)
    url = f"{BASE}{draft.pk}/kiem-tra/"
    data = {"draft": draft.pk, "key": draft.idempotency_key}
    first = client_in.post(url, data)
    second = client_in.post(url, data)  # double click / retried request
    assert first["Location"] == second["Location"] == f"{BASE}{draft.pk}/da-nop/"
    assert Dossier.objects.filter(draft__pk=draft.pk).count() == 1
    assert Dossier.objects.filter(applicant_id_number=ID_NUMBER).count() == 1


def test_wrong_key_sends_nothing(demo, client_in, commune_code):
    draft = submitted_draft(client_in, commune_code)
    response = client_in.post(f"{BASE}{draft.pk}/kiem-tra/", {"key": "old"})
    assert response.status_code == 400 and "out of date" in response.content.decode()
    assert not Dossier.objects.filter(applicant_id_number=ID_NUMBER).exists()


def test_draft_survives_a_new_session(demo, citizen, client_in, commune_code):
    draft = start(client_in)
    client_in.post(f"{BASE}{draft.pk}/nguoi_khai/", {**person("Lò Thị Mai"), "action": "continue"})
    client_in.post(f"{BASE}{draft.pk}/cccd_nguoi_khai/", {"value": ID_NUMBER, "action": "save"})

    again = english_client()  # a new browser session after the server restarted
    again.force_login(citizen)
    listing = again.get("/ho-so-cua-toi/nhap/").content.decode()
    assert "Đăng ký khai sinh" in listing
    resume = again.get(draft_resume_link(draft))
    assert resume["Location"] == f"{BASE}{draft.pk}/cccd_nguoi_khai/"
    page = again.get(resume["Location"]).content.decode()
    assert f'value="{ID_NUMBER}"' in page
    first = again.get(f"{BASE}{draft.pk}/nguoi_khai/").content.decode()
    assert 'value="Lò Thị Mai"' in first


def test_someone_else_cannot_open_the_draft(demo, client_in, django_user_model):
    draft = start(client_in)
    other = english_client()
    other.force_login(django_user_model.objects.create_user(username="other"))
    assert other.get(f"{BASE}{draft.pk}/nguoi_khai/").status_code == 404
    assert other.get(draft_resume_link(draft)).status_code == 404


def test_autosave_keeps_typing_without_checking(demo, client_in):
    draft = start(client_in)
    response = client_in.post(f"{BASE}{draft.pk}/tre/", {"ho_ten": "Lò V", "action": "autosave"})
    assert response.status_code == 204
    assert Draft.objects.get(pk=draft.pk).answers["tre"]["ho_ten"] == "Lò V"


def test_repeating_group_add_and_remove(demo, client_in, commune_code):
    client_in.post("/nop-ho-so/2.000815/")
    draft = Draft.objects.latest("pk")
    url = f"/nop-ho-so/2.000815/{draft.pk}/giay_to/"
    client_in.post(url, {"items": "1", "0-ten": "Bằng tốt nghiệp", "0-so_trang": "1",
                         "0-so_ban": "2", "action": "add"})
    page = client_in.get(url).content.decode()
    assert 'name="1-ten"' in page and 'value="Bằng tốt nghiệp"' in page
    response = client_in.post(url, {"items": "2", "0-ten": "Bằng", "0-so_trang": "1",
                                    "0-so_ban": "x", "1-ten": "", "action": "continue"})
    assert response.status_code == 400 and "whole number" in response.content.decode()
    client_in.post(url, {"items": "2", "0-ten": "Bằng", "0-so_trang": "1", "0-so_ban": "2",
                         "1-ten": "Sổ", "1-so_trang": "4", "1-so_ban": "1", "action": "remove-0"})
    assert Draft.objects.get(pk=draft.pk).answers["giay_to"] == [
        {"ten": "Sổ", "so_trang": "4", "so_ban": "1"}
    ]


def test_text_renamed_jpg_is_refused(demo, client_in):
    draft = start(client_in)
    response = upload(client_in, draft, b"just some text, not a photo")
    assert response.status_code == 400
    assert "is not a PDF or a photo" in response.content.decode()
    assert Draft.objects.get(pk=draft.pk).uploads == {}


def test_too_big_file_is_refused(demo, client_in, settings):
    settings.MOTCUA_UPLOAD_MAX_FILE_MB = 1
    draft = start(client_in)
    response = upload(client_in, draft, jpeg_bytes((300, 300)) + b"\0" * 1024 * 1024)
    assert response.status_code == 400 and "too big" in response.content.decode()


def test_large_photo_is_scaled_down(demo, client_in):
    from django.core.files.storage import default_storage

    draft = start(client_in)
    out = io.BytesIO()
    Image.new("RGB", (3000, 2500), "white").save(out, "PNG")
    assert upload(client_in, draft, out.getvalue(), "big.png").status_code == 302
    stored = Draft.objects.get(pk=draft.pk).uploads["giay_chung_sinh"][0]
    assert stored["kind"] == "jpeg"
    with default_storage.open(stored["path"], "rb") as handle:
        assert max(Image.open(handle).size) == 2000


@pytest.mark.parametrize("code", ["1.000894", "2.000815", "1.004222", "9.900011"])
def test_other_forms_start(demo, client_in, code):
    assert client_in.get(f"/nop-ho-so/{code}/").status_code == 200
    response = client_in.post(f"/nop-ho-so/{code}/")
    assert client_in.get(response["Location"]).status_code == 200


def test_error_summary_names_each_field_of_a_person(demo, client_in):
    draft = start(client_in)
    response = client_in.post(f"{BASE}{draft.pk}/nguoi_khai/", {"action": "continue"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'href="#f-full_name">Full name: Answer this question.' in html
    assert 'href="#f-birth_date">Date of birth: Answer this question.' in html


def test_sending_with_answers_missing_is_refused_plainly(demo, client_in):
    """An old tab posts the check page while answers are missing: 400 with the reason,
    no dossier (this was a 500)."""
    draft = start(client_in)
    response = client_in.post(f"{BASE}{draft.pk}/kiem-tra/", {"key": draft.idempotency_key})
    assert response.status_code == 400
    assert "Some answers" in response.content.decode()
    assert not Dossier.objects.filter(draft__pk=draft.pk).exists()


def test_iphone_heic_photo_becomes_a_jpeg(demo, client_in):
    from pillow_heif import register_heif_opener

    register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", (3000, 4000), "white").save(out, "HEIF")
    draft = start(client_in)
    client_in.post(f"{BASE}{draft.pk}/tre/", {**child(), "action": "autosave"})
    response = client_in.post(
        f"{BASE}{draft.pk}/giay_chung_sinh/",
        {"action": "upload",
         "file": SimpleUploadedFile("IMG_0001.HEIC", out.getvalue(), "image/heic")},
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    stored = draft.uploads["giay_chung_sinh"][0]
    assert stored["kind"] == "jpeg" and stored["path"].endswith(".jpeg")
    from django.core.files.storage import default_storage

    with default_storage.open(stored["path"], "rb") as handle, Image.open(handle) as image:
        assert image.format == "JPEG" and max(image.size) == 2000


def test_broken_heic_is_refused_by_name(demo, client_in):
    draft = start(client_in)
    fake = b"\x00\x00\x00\x1cftypheic" + b"\x00" * 200
    client_in.post(f"{BASE}{draft.pk}/tre/", {**child(), "action": "autosave"})
    response = client_in.post(
        f"{BASE}{draft.pk}/giay_chung_sinh/",
        {"action": "upload", "file": SimpleUploadedFile("IMG_0002.HEIC", fake, "image/heic")},
    )
    assert response.status_code == 400 and "IMG_0002.HEIC" in response.content.decode()


def test_start_pressed_before_sign_in_goes_on_after_it(demo, citizen):
    """The citizen pressed "Start" signed out: after signing in they land on the first
    question, once (a later visit to the start page shows it again)."""
    client = english_client()
    assert client.post(BASE)["Location"].startswith("/dang-nhap/?next=")
    client.force_login(citizen)  # login() keeps the session's data, as sign-in does
    response = client.get(BASE)
    draft = Draft.objects.get(citizen=citizen)
    assert response["Location"] == f"{BASE}{draft.pk}/nguoi_khai/"
    assert client.get(BASE).status_code == 200
    assert Draft.objects.filter(citizen=citizen).count() == 1


def test_the_desk_sees_what_was_declared_and_finds_the_name_typed_plainly(demo, client_in):
    """A khai sinh filed online from Bát Xát, the declarant's name typed with combining
    marks (NFD, as some phone keyboards send it): the Bát Xát desk sees every answer
    on the dossier page and on the receipt (form 01), and finds the dossier by typing
    the name without diacritics."""
    import unicodedata

    from django.contrib.auth import get_user_model
    from django.test import Client as OfficeClient
    from pypdf import PdfReader

    from motcua.organizations.models import AdministrativeUnit
    from tests.officials import official_login

    batxat = AdministrativeUnit.objects.get(name="Xã Bát Xát", valid_to__isnull=True).code
    decomposed = unicodedata.normalize("NFD", "Lò Thị Mai")
    assert decomposed != "Lò Thị Mai"
    draft = start(client_in)
    for page_id, data in answers(batxat):
        if page_id == "nguoi_khai":
            data = {**data, "full_name": decomposed}
        client_in.post(f"{BASE}{draft.pk}/{page_id}/", {**data, "action": "continue"})
    assert upload(client_in, draft, jpeg_bytes()).status_code == 302
    deliver(client_in, draft)
    draft.refresh_from_db()
    client_in.post(f"{BASE}{draft.pk}/kiem-tra/", {"draft": draft.pk, "key": draft.idempotency_key})
    dossier = Dossier.objects.get(draft__pk=draft.pk)
    assert dossier.applicant_name == "Lò Thị Mai"  # stored composed (NFC)
    assert dossier.receiving_agency.unit.code == batxat

    office = official_login(
        OfficeClient(), get_user_model().objects.get(username="batxat.tiepnhan")
    )
    page = office.get(f"/mot-cua/ho-so/{dossier.code}/")
    assert page.status_code == 200
    declared = dict(page.context["answers"])
    body = page.content.decode()
    for text in ("Lò Văn An", "Giáy", "1 tháng 2 năm 2026", "Thôn Làng Mới", ID_NUMBER):
        assert text in body, text
    assert len(declared) >= 8
    found = office.get("/mot-cua/tim-kiem/", {"q": "lo thi mai"})
    assert dossier in found.context["result"].dossiers
    office.post(
        f"/mot-cua/ho-so/{dossier.code}/xu-ly/",
        {"action": "receive", "expected_version": dossier.lock_version},
    )
    slip = office.get(f"/mot-cua/ho-so/{dossier.code}/phieu/01.pdf")
    assert slip.status_code == 200
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(slip.content)).pages)
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    assert "Lò Văn An" in text and "Giáy" in text
    # The commune once: the street is stored alone, the commune is the unit.
    assert "Địa chỉ: Thôn Làng Mới, Xã Bát Xát" in text
    assert "Xã Bát Xát, Xã Bát Xát" not in text
