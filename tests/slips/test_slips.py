"""The Circular 01 slips (forms 01–06) render as real, readable PDFs."""

from __future__ import annotations

import io
import shutil
import subprocess
import unicodedata
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import segno
from pypdf import PdfReader

from motcua.dossiers.slips import (
    BLANK,
    FORMS,
    SlipAgency,
    SlipApplicant,
    SlipContext,
    SlipRegisterRow,
    format_moment,
    slip_pdf,
)

A5 = (419.53, 595.28)  # points, portrait
A4_LANDSCAPE = (841.89, 595.28)

TITLES = {
    "01": "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
    "02": "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
    "03": "Phiếu từ chối tiếp nhận giải quyết hồ sơ",
    "04": "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
    "05": "Phiếu kiểm soát quá trình giải quyết hồ sơ",
    "06": "Sổ theo dõi hồ sơ",
}


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def read(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def text_of(pdf: bytes) -> str:
    # NFC so that a decomposed extraction could not pass or fail by accident; the
    # spaces are collapsed because table cells and wrapped lines split phrases.
    raw = "\n".join(page.extract_text() for page in read(pdf).pages)
    return " ".join(unicodedata.normalize("NFC", raw).split())


def page_size(page) -> tuple[float, float]:
    box = page.mediabox
    return (round(float(box.width), 2), round(float(box.height), 2))


@pytest.fixture(scope="module")
def pdfs(full_context: SlipContext) -> dict[str, bytes]:
    return {form: slip_pdf(form=form, context=full_context) for form in FORMS}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_each_form_is_a_one_page_pdf_of_its_paper_size(form: str, pdfs: dict[str, bytes]):
    pdf = pdfs[form]
    assert pdf.startswith(b"%PDF-")
    reader = read(pdf)
    # The full context must fit the official one-sheet layout.
    assert len(reader.pages) == 1
    expected = A4_LANDSCAPE if form == "06" else A5
    assert page_size(reader.pages[0]) == pytest.approx(expected, abs=0.5)


@pytest.mark.parametrize("form", sorted(FORMS))
def test_vietnamese_text_is_extractable_with_its_diacritics(form: str, pdfs: dict[str, bytes]):
    text = text_of(pdfs[form])
    assert TITLES[form].upper() in text  # titles are printed in capitals
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG XÃ BÁT XÁT" in text
    assert "ỦY BAN NHÂN DÂN XÃ BÁT XÁT" in text


@pytest.mark.parametrize("form", sorted(FORMS))
def test_only_the_shipped_font_is_used_and_it_is_embedded(form: str, pdfs: dict[str, bytes]):
    fonts: dict[str, bool] = {}
    for page in read(pdfs[form]).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            fonts[str(font["/BaseFont"])] = "/FontFile2" in descriptor
    assert fonts, "no font in the PDF"
    # A subset tag, then the @font-face family: a system fallback would show another name.
    assert all("Slip-Serif" in name for name in fonts), fonts
    assert all(fonts.values()), f"font not embedded: {fonts}"


@pytest.mark.parametrize("form", sorted(FORMS))
def test_no_template_syntax_or_markup_leaks_onto_the_page(form: str, pdfs: dict[str, bytes]):
    text = text_of(pdfs[form])
    for leak in ("{%", "%}", "{{", "}}", "{#", "#}", "<b>", "</"):
        assert leak not in text, leak


def test_receipt_carries_every_field_of_form_01(pdfs, full_context: SlipContext):
    text = text_of(pdfs["01"])
    for expected in [
        f"Mã hồ sơ: {full_context.code}",
        "Bộ phận tiếp nhận và trả kết quả: Trung tâm Phục vụ hành chính công xã Bát Xát",
        "Tiếp nhận hồ sơ của: Nguyễn Thị Hường",
        "Địa chỉ: Thôn Phìn Ngan, xã Bát Xát, tỉnh Lào Cai",
        "Số điện thoại: 0912 345 678",
        "huong.nguyen@example.vn",
        "Nội dung yêu cầu giải quyết: Đăng ký khai sinh kết hợp đăng ký thường trú",
        "Giấy chứng nhận kết hôn của cha mẹ Bản sao chứng thực 01",
        "Tờ khai thay đổi thông tin cư trú (CT01) Bản chính 02",
        "Thời gian giải quyết hồ sơ theo quy định: 03 ngày làm việc",
        # 09:10 UTC is 16:10 in Vietnam.
        "Thời gian nhận hồ sơ: 16 giờ 10 phút, ngày 25/02/2026",
        "Thời gian trả kết quả giải quyết hồ sơ: 16 giờ 10 phút, ngày 02/03/2026",
        "Đăng ký nhận kết quả tại: Trung tâm Phục vụ hành chính công xã Bát Xát",
        "Quyển số: 02/2026, Số thứ tự: 0147",
        "NGƯỜI NỘP HỒ SƠ",
        "NGƯỜI TIẾP NHẬN HỒ SƠ",
        "Lò Văn Thắng",
        "Bát Xát, ngày 25 tháng 02 năm 2026",
    ]:
        assert expected in text, expected


def test_supplement_request_lists_every_missing_paper_why_and_whom_to_ask(pdfs):
    text = text_of(pdfs["02"])
    assert "Giấy chứng sinh Bản đã nộp bị tẩy xóa ở phần ngày sinh" in text
    assert "Thiếu chữ ký của chủ hộ." in text
    assert "ông Lò Văn Thắng, Bộ phận Một cửa, điện thoại 0214 3883 188" in text
    assert "NGƯỜI HƯỚNG DẪN" in text


def test_refusal_gives_the_reasons(pdfs):
    text = text_of(pdfs["03"])
    assert "từ chối tiếp nhận, giải quyết hồ sơ này với lý do cụ thể như sau:" in text
    assert "Thủ tục không thuộc thẩm quyền giải quyết của Ủy ban nhân dân xã." in text
    assert "Người yêu cầu không xuất trình được giấy tờ tùy thân còn giá trị sử dụng." in text


def test_apology_gives_the_reason_and_the_new_moment(pdfs):
    text = text_of(pdfs["04"])
    assert "Kính gửi: Nguyễn Thị Hường" in text
    assert "Ngày 25 tháng 02 năm 2026, Trung tâm Phục vụ hành chính công xã Bát Xát" in text
    assert "lý do: Cần xác minh thông tin cư trú với Công an tỉnh Lào Cai." in text
    assert "09 giờ 00 phút, ngày 05/03/2026" in text  # 02:00 UTC
    assert "THỦ TRƯỞNG CƠ QUAN" in text


def test_control_slip_shows_each_hand_over_and_its_verdict(pdfs):
    text = text_of(pdfs["05"])
    assert "Kèm theo Giấy tiếp nhận hồ sơ và hẹn trả kết quả" in text
    assert "Nhận: Công chức Tư pháp - Hộ tịch" in text
    # Each step is handed over by the desk of the step before it.
    assert "Giao: Công chức Tư pháp - Hộ tịch Nhận: Công an xã Bát Xát" in text
    assert "Giao: Công an xã Bát Xát Nhận: Lãnh đạo UBND xã" in text
    assert [v for v in ("Trước hạn", "Đúng hạn", "Quá hạn") if v in text] == [
        "Trước hạn",
        "Đúng hạn",
        "Quá hạn",
    ]
    assert "16:30 25/02/2026" in text


def test_register_has_one_line_per_dossier(pdfs, full_context: SlipContext):
    text = text_of(pdfs["06"])
    assert "Tháng 02 năm 2026" in text
    for row in full_context.register_rows:
        assert row.code in text
        assert row.applicant in text
    assert "Công ty TNHH Đức Hưng" in text
    assert "Yêu cầu bổ sung" in text
    assert "Trang 1/1" in text


def test_long_register_repeats_its_header_on_every_a4_landscape_page(agency: SlipAgency):
    rows = [
        SlipRegisterRow(
            code=f"000.00.04.G18-260301-{n:04d}",
            procedure="Cấp bản sao trích lục hộ tịch",
            applicant=f"Người nộp số {n}",
            agency="UBND xã Bát Xát",
            received_at=utc(2026, 3, 1, 2, 0),
            due_at=utc(2026, 3, 2, 9, 0),
        )
        for n in range(1, 61)
    ]
    pdf = slip_pdf(
        form="06", context=SlipContext(agency=agency, register_rows=rows, period_label="Quý I")
    )
    reader = read(pdf)
    assert len(reader.pages) > 1
    for number, page in enumerate(reader.pages, start=1):
        assert page_size(page) == pytest.approx(A4_LANDSCAPE, abs=0.5)
        page_text = " ".join(page.extract_text().split())
        assert "Mã hồ sơ" in page_text  # the header row repeats
        assert f"Trang {number}/{len(reader.pages)}" in page_text
    assert "000.00.04.G18-260301-0060" in text_of(pdf)


def qr_modules_from_pdf(pdf: bytes) -> list[list[bool]]:
    (image,) = read(pdf).pages[0].images
    gray = image.image.convert("L")
    width, height = gray.size
    return [[gray.getpixel((x, y)) < 128 for x in range(width)] for y in range(height)]


@pytest.mark.parametrize("form", ["01", "02", "03", "04", "05"])
def test_qr_code_holds_the_tracking_url(form: str, pdfs, full_context: SlipContext):
    expected = segno.make(full_context.tracking_url, error="m", micro=False)
    # The matrix with its 4-module quiet zone, one pixel a module, as embedded.
    want = [[bool(bit) for bit in row] for row in expected.matrix_iter(scale=1, border=4)]
    assert qr_modules_from_pdf(pdfs[form]) == want


@pytest.mark.skipif(
    not (shutil.which("pdftoppm") and shutil.which("zbarimg")),
    reason="needs poppler-utils and zbar-tools to scan the printed page",
)
def test_qr_code_scans_from_the_printed_page(pdfs, full_context: SlipContext, tmp_path):
    # A real scanner's view: rasterise the page at office-printer resolution, decode.
    (tmp_path / "slip.pdf").write_bytes(pdfs["01"])
    subprocess.run(
        ["pdftoppm", "-png", "-r", "300", "-singlefile", "slip.pdf", "slip"],
        cwd=tmp_path,
        check=True,
    )
    scanned = subprocess.run(
        ["zbarimg", "--raw", "-q", "slip.png"], cwd=tmp_path, capture_output=True, text=True
    )
    assert scanned.stdout.strip() == full_context.tracking_url


def test_no_qr_without_a_tracking_url(full_context: SlipContext):
    pdf = slip_pdf(form="01", context=replace(full_context, tracking_url=""))
    assert list(read(pdf).pages[0].images) == []


@pytest.mark.parametrize("form", sorted(FORMS))
def test_a_context_with_only_the_agency_prints_a_blank_form(form: str, agency: SlipAgency):
    pdf = slip_pdf(form=form, context=SlipContext(agency=agency))
    text = text_of(pdf)
    assert TITLES[form].upper() in text
    if form != "06":
        assert BLANK in text  # dotted lines to fill in by hand
    if form == "01":
        assert "Ngày …… tháng …… năm ……" in text  # no place, no receipt moment yet


def test_user_text_is_printed_literally_never_interpreted(agency: SlipAgency):
    name = '<b>Hà</b> & <img src="file:///etc/passwd">'
    pdf = slip_pdf(form="01", context=SlipContext(agency=agency, applicant=SlipApplicant(name)))
    assert name in text_of(pdf)
    assert list(read(pdf).pages[0].images) == []


@pytest.mark.parametrize("form", ["", "1", "07", "6", "form01", None])
def test_an_unknown_form_is_refused(form, agency: SlipAgency):
    with pytest.raises(ValueError, match="unknown slip form"):
        slip_pdf(form=form, context=SlipContext(agency=agency))


def test_moments_are_shown_in_vietnam_time():
    assert format_moment(utc(2026, 2, 25, 9, 10)) == "16 giờ 10 phút, ngày 25/02/2026"
    # Past midnight in Vietnam while still the day before in UTC.
    assert format_moment(utc(2026, 12, 31, 17, 5)) == "00 giờ 05 phút, ngày 01/01/2027"
    # A naive time is taken as already local.
    assert format_moment(datetime(2026, 2, 25, 7, 30)) == "07 giờ 30 phút, ngày 25/02/2026"
    assert format_moment(None) == BLANK
