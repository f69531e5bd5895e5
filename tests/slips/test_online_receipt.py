"""The acknowledgement of an online filing: form 01's shape, given to the citizen right
after filing (status 1, no appointment yet), replaced by the real form 01 on reception.
Rendered with the real WeasyPrint and read back with pypdf."""

from __future__ import annotations

import io
import secrets
import unicodedata
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.test import Client
from pypdf import PdfReader

from motcua.catalog.models import FormDefinition
from motcua.catalog.selectors import procedure_get_current
from motcua.dossiers.models import Draft
from motcua.dossiers.services import (
    Applicant,
    PaperInput,
    dossier_file_online,
    dossier_receive,
    dossier_refuse_reception,
)
from motcua.dossiers.slips import ONLINE_RECEIPT_TITLE, SlipContext, slip_pdf

BIRTH = "1.001193"
ADDRESS = "Số 12 đường Hoàng Liên, phường Lào Cai"
A5 = (419.53, 595.28)


def text_of(pdf: bytes) -> str:
    raw = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(unicodedata.normalize("NFC", raw).split())


# --- the paper itself ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def acknowledgement(full_context: SlipContext) -> bytes:
    context = replace(
        full_context,
        acknowledgement=True,
        filed_at=datetime(2026, 2, 25, 9, 10, tzinfo=UTC),  # 16:10 in Vietnam
        issued_at=datetime(2026, 2, 25, 9, 10, tzinfo=UTC),
        received_at=None,
        due_at=None,
        officer_name="",
        place="",
    )
    return slip_pdf(form="01", context=context)


def test_the_acknowledgement_is_one_a5_page_titled_as_such(acknowledgement: bytes):
    reader = PdfReader(io.BytesIO(acknowledgement))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(A5, abs=0.5)
    assert reader.metadata.title.startswith(ONLINE_RECEIPT_TITLE)


def test_the_acknowledgement_carries_what_was_sent_and_says_the_date_comes_later(
    acknowledgement: bytes, full_context: SlipContext
):
    text = text_of(acknowledgement)
    for expected in [
        "GIẤY TIẾP NHẬN HỒ SƠ",
        "(Hồ sơ nộp trực tuyến, chờ Bộ phận Một cửa kiểm tra và tiếp nhận)",
        f"Mã hồ sơ: {full_context.code}",
        "Hệ thống đã nhận hồ sơ trực tuyến của: Nguyễn Thị Hường",
        "Nội dung yêu cầu giải quyết: Đăng ký khai sinh",
        "1. Thành phần hồ sơ đã gửi gồm:",
        "Giấy chứng nhận kết hôn của cha mẹ Bản sao chứng thực 01",
        "3. Thời gian giải quyết hồ sơ theo quy định: 03 ngày làm việc",
        "4. Thời gian nộp hồ sơ trực tuyến: 16 giờ 10 phút, ngày 25/02/2026",
        "5. Thời gian trả kết quả giải quyết hồ sơ: sẽ được hẹn khi cán bộ tiếp nhận hồ sơ",
        "6. Đăng ký nhận kết quả tại: Trung tâm Phục vụ hành chính công xã Bát Xát",
        "Ngày 25 tháng 02 năm 2026",
        full_context.tracking_url,
    ]:
        assert expected in text, expected
    # Nothing of the reception yet: no appointment, no register line, no signatures.
    for absent in ("HẸN TRẢ KẾT QUẢ", "Sổ theo dõi", "NGƯỜI TIẾP NHẬN", "Lò Văn Thắng"):
        assert absent not in text, absent


# --- right after filing, for the dossier's citizen only ----------------------------------


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


def client_for(user=None) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def filed(demo, agencies):
    """A dossier just filed online by a citizen from their draft (status 1)."""
    citizen = get_user_model().objects.create_user(username="0912345678")
    version = procedure_get_current(code=BIRTH)
    paper = version.papers.first()
    dossier = dossier_file_online(
        procedure_version=version,
        applicant=Applicant(name="Lò Thị Mai", phone="0912345678", address="Thôn Trung Chải"),
        receiving_agency=agencies["batxat_desk"],
        papers=[PaperInput(name=paper.name, required_paper=paper,
                           file=ContentFile(b"%PDF-1.4\n%%EOF\n", name="to-khai.pdf"))],
        citizen=citizen,
        result_delivery="post",
        result_address=ADDRESS,
    )
    Draft.objects.create(
        citizen=citizen,
        procedure_version=version,
        form_definition=FormDefinition.objects.filter(procedure=version.procedure).latest(
            "number"
        ),
        resume_token=secrets.token_urlsafe(32),
        idempotency_key=secrets.token_urlsafe(32),
        dossier=dossier,
    )
    return citizen, dossier


def test_the_confirmation_page_links_the_acknowledgement_pdf(filed):
    citizen, dossier = filed
    client = client_for(citizen)
    done = client.get(f"/nop-ho-so/{BIRTH}/{dossier.draft.pk}/da-nop/").content.decode()
    link = f"/ho-so-cua-toi/{dossier.code}/phieu/01.pdf"
    assert f'href="{link}"' in done and "Download the acknowledgement of your dossier" in done
    assert "By public post" in done and ADDRESS in done

    response = client.get(link)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = text_of(response.content)
    assert "GIẤY TIẾP NHẬN HỒ SƠ" in text and "HẸN TRẢ KẾT QUẢ" not in text
    assert f"Mã hồ sơ: {dossier.code}" in text and "Lò Thị Mai" in text
    assert dossier.procedure_version.name[:30] in text
    assert dossier.papers.get().name[:30] in text
    assert "sẽ được hẹn khi cán bộ tiếp nhận hồ sơ" in text
    assert f"Đăng ký nhận kết quả tại: {ADDRESS} (qua dịch vụ bưu chính công ích)" in text
    assert f"/tra-cuu/?ma={dossier.code}" in text  # beside the tracking QR

    # "My dossiers" offers it too, under its own name.
    page = client.get(f"/ho-so-cua-toi/{dossier.code}/").content.decode()
    assert "Acknowledgement of your online filing (PDF)" in page and f'href="{link}"' in page


def test_only_the_dossiers_citizen_gets_it(filed):
    _citizen, dossier = filed
    link = f"/ho-so-cua-toi/{dossier.code}/phieu/01.pdf"
    stranger = get_user_model().objects.create_user(username="0987654321")
    assert client_for(stranger).get(link).status_code == 404
    signed_out = client_for().get(link)
    assert signed_out.status_code == 302 and signed_out["Location"].startswith("/dang-nhap/")


def test_on_reception_the_real_form_01_replaces_it(filed, officials):
    citizen, dossier = filed
    dossier_receive(
        dossier=dossier, officer=officials["batxat.tiepnhan"], expected_version=1
    )
    response = client_for(citizen).get(f"/ho-so-cua-toi/{dossier.code}/phieu/01.pdf")
    text = text_of(response.content)
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert "sẽ được hẹn khi cán bộ" not in text
    assert f"{ADDRESS} (qua dịch vụ bưu chính công ích)" in text


def test_a_dossier_refused_at_reception_has_no_acknowledgement(filed, officials):
    citizen, dossier = filed
    dossier_refuse_reception(
        dossier=dossier, officer=officials["batxat.tiepnhan"], reasons=["Ảnh bị mờ"],
        expected_version=1,
    )
    client = client_for(citizen)
    assert client.get(f"/ho-so-cua-toi/{dossier.code}/phieu/01.pdf").status_code == 404
    assert client.get(f"/ho-so-cua-toi/{dossier.code}/phieu/03.pdf").status_code == 200
