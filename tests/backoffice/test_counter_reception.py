"""Counter reception and assisted filing: the officer types the dossier in and receives it."""

import io
import re
import unicodedata

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from motcua.catalog.selectors import procedure_get_current
from motcua.dossiers.models import Channel, Dossier, NationalStatus
from motcua.filing.uploads import sniff_upload
from motcua.organizations.models import AdministrativeUnit

BIRTH = "1.001193"


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 200, 190)).save(buffer, format="JPEG")
    return SimpleUploadedFile("to-khai.jpg", buffer.getvalue(), content_type="image/jpeg")


def form_data(**changes):
    version = procedure_get_current(code=BIRTH)
    papers = list(version.papers.all())
    unit = AdministrativeUnit.objects.get(name="Xã Bát Xát", valid_to__isnull=True)
    data = {
        "name": "Sùng Thị Dua",
        "id_number": "010195004321",
        "birth_date": "1995-03-02",
        "phone": "0987 654 321",
        "email": "",
        "address": "Thôn Tòng Sành",
        "unit": unit.pk,
    }
    for paper in papers:
        data[f"paper-{paper.pk}-received"] = "on"
        data[f"paper-{paper.pk}-form"] = "original"
        data[f"paper-{paper.pk}-count"] = "1"
    data.update(changes)
    return data, papers


def test_the_procedure_picker_searches_the_catalog(login):
    client = login("batxat.tiepnhan")
    response = client.get("/mot-cua/tiep-nhan/", {"q": "dang ky khai sinh"})
    assert response.status_code == 200
    assert response.context["hits"][0].code == BIRTH
    assert f'href="/mot-cua/tiep-nhan/{BIRTH}/"' in text(response)
    assert client.get("/mot-cua/tiep-nhan/", {"q": "khai\x00sinh"}).status_code == 400


def test_the_form_lists_the_papers_and_todays_communes(login):
    response = login("batxat.tiepnhan").get(f"/mot-cua/tiep-nhan/{BIRTH}/")
    assert response.status_code == 200
    body = text(response)
    version = procedure_get_current(code=BIRTH)
    for paper in version.papers.all():
        assert paper.name[:40] in body
    communes = response.context["form"].fields["unit"].queryset
    assert communes.count() == 99
    assert not communes.filter(valid_to__isnull=False).exists()
    assert 'accept="image/*,application/pdf"' in body


def test_counter_reception_creates_a_received_dossier(login, agencies):
    client = login("batxat.tiepnhan")
    data, papers = form_data()
    data[f"paper-{papers[0].pk}-file"] = photo()
    data["paper-other-received"] = "on"
    data["paper-other-name"] = "Giấy xác nhận cư trú"
    data["paper-other-form"] = "copy"
    data["paper-other-count"] = "2"
    response = client.post(f"/mot-cua/tiep-nhan/{BIRTH}/", data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    dossier = Dossier.objects.get(applicant_id_number="010195004321")
    assert response["Location"] == f"/mot-cua/ho-so/{dossier.code}/"
    assert dossier.status == NationalStatus.RECEIVED
    assert dossier.channel == Channel.IN_PERSON
    assert dossier.receiving_agency == agencies["batxat_desk"]
    assert dossier.competent_agency == agencies["batxat_committee"]
    assert dossier.applicant_phone == "0987654321"
    assert dossier.filed_by.username == "batxat.tiepnhan"
    assert dossier.scanned_at_counter
    stored = list(dossier.papers.order_by("id"))
    assert len(stored) == len(papers) + 1
    assert stored[0].file and stored[0].scanned_at_counter
    assert (stored[-1].name, stored[-1].form, stored[-1].count) == (
        "Giấy xác nhận cư trú",
        "copy",
        2,
    )
    page = client.get(response["Location"])
    assert dossier.code in text(page)
    assert f"/mot-cua/ho-so/{dossier.code}/phieu/01.pdf" in text(page)
    scan_url = f"/mot-cua/ho-so/{dossier.code}/giay-to/{stored[0].pk}/"
    assert scan_url in text(page)
    scan = client.get(scan_url)
    assert scan.status_code == 200 and scan["Content-Type"] == "image/jpeg"
    assert b"".join(scan.streaming_content).startswith(b"\xff\xd8\xff")
    assert login("laocai.tiepnhan").get(scan_url).status_code == 404


def test_a_bad_citizen_id_is_refused_beside_the_field(login):
    client = login("batxat.tiepnhan")
    for bad in ["12345", "999195004321"]:
        data, _papers = form_data(id_number=bad)
        response = client.post(f"/mot-cua/tiep-nhan/{BIRTH}/", data)
        assert response.status_code == 400
        errors = response.context["form"].errors
        assert list(errors) == ["id_number"]
        assert 'id="id_id_number_errors"' in text(response)
    assert not Dossier.objects.exists()


def test_an_id_that_contradicts_the_birth_date_is_refused(login):
    data, _papers = form_data(birth_date="1990-01-01")  # the ID says 1995
    response = login("batxat.tiepnhan").post(f"/mot-cua/tiep-nhan/{BIRTH}/", data)
    assert response.status_code == 400
    assert "1995" in response.context["form"].errors["id_number"][0]


def test_a_fake_image_is_refused_with_a_message(login):
    client = login("batxat.tiepnhan")
    data, papers = form_data()
    fake = SimpleUploadedFile("anh-chup.jpg", b"just some text, not a photo", "image/jpeg")
    data[f"paper-{papers[0].pk}-file"] = fake
    response = client.post(f"/mot-cua/tiep-nhan/{BIRTH}/", data)
    assert response.status_code == 400
    message = response.context["form"].errors[f"paper-{papers[0].pk}-file"][0]
    assert "anh-chup.jpg" in message
    assert "anh-chup.jpg" in text(response)
    assert not Dossier.objects.exists()


def test_a_too_big_file_is_refused(login, settings):
    client = login("batxat.tiepnhan")
    data, papers = form_data()
    big = SimpleUploadedFile(
        "scan.pdf", b"%PDF-1.7\n" + b"0" * (10 * 1024 * 1024), "application/pdf"
    )
    data[f"paper-{papers[0].pk}-file"] = big
    response = client.post(f"/mot-cua/tiep-nhan/{BIRTH}/", data)
    assert response.status_code == 400
    assert "10 MB" in response.context["form"].errors[f"paper-{papers[0].pk}-file"][0]


def test_nothing_received_is_refused(login):
    client = login("batxat.tiepnhan")
    data, papers = form_data()
    for paper in papers:
        del data[f"paper-{paper.pk}-received"]
    response = client.post(f"/mot-cua/tiep-nhan/{BIRTH}/", data)
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()


def test_only_receiving_officers_receive(login):
    client = login("batxat.chuyenvien")
    data, _papers = form_data()
    response = client.post(f"/mot-cua/tiep-nhan/{BIRTH}/", data)
    assert response.status_code == 302
    assert not Dossier.objects.exists()
    assert client.get("/mot-cua/tiep-nhan/9.999999/").status_code == 404


def test_uploads_are_recognised_by_their_first_bytes():
    assert sniff_upload(b"%PDF-1.4\n") == "pdf"
    assert sniff_upload(b"\xff\xd8\xff\xe0\x00\x10JFIF") == "jpeg"
    assert sniff_upload(b"\x89PNG\r\n\x1a\n\x00\x00") == "png"
    assert sniff_upload(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "webp"
    assert sniff_upload(b"\x00\x00\x00\x18ftypheic\x00\x00") == "heic"
    assert sniff_upload(b"<html><script>") is None
    assert sniff_upload(b"MZ\x90\x00") is None


def test_an_incomplete_or_refused_walk_in_gets_form_02_or_03_and_nothing_is_received(login):
    """Decree 61/2018 art. 18(2)(b)–(c): the person leaves with the printed form; no
    dossier, no code, no clock."""
    from pypdf import PdfReader

    client = login("batxat.tiepnhan")
    url = f"/mot-cua/tiep-nhan/{BIRTH}/khong-tiep-nhan/"
    page = text(client.get(f"/mot-cua/tiep-nhan/{BIRTH}/"))
    assert url in page
    guide = client.post(
        url,
        {
            "walkin-slip": "02",
            "walkin-applicant_name": "Sùng Thị Dua",
            "walkin-applicant_phone": "0987654321",
            "walkin-lines": "Giấy chứng sinh: bản chính, không phải bản chụp\n"
            "Tờ khai: thiếu chữ ký",
        },
    )
    assert guide.status_code == 200 and guide["Content-Type"] == "application/pdf"
    printed = unicodedata.normalize("NFC", " ".join(
        " ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(guide.content)).pages
    ))
    assert "PHIẾU YÊU CẦU BỔ SUNG" in printed and "Tờ khai Thiếu chữ ký" in printed
    assert "Sùng Thị Dua" in printed and "Ông/Bà liên hệ Nguyễn Thị Hoa" in printed
    refusal = client.post(
        url,
        {
            "walkin-slip": "03",
            "walkin-applicant_name": "Sùng Thị Dua",
            "walkin-lines": "Không thuộc thẩm quyền của xã",
        },
    )
    printed = unicodedata.normalize(
        "NFC", " ".join(PdfReader(io.BytesIO(refusal.content)).pages[0].extract_text().split())
    )
    assert "TỪ CHỐI" in printed and "Không thuộc thẩm quyền của xã" in printed
    empty = client.post(url, {"walkin-slip": "02", "walkin-applicant_name": "Dua"})
    assert empty.status_code == 400 and empty.context["walk_in"].errors["lines"]
    assert not Dossier.objects.exists()
