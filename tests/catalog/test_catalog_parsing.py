"""The legal-prose parsers, on every distinct string of the sample and on malformed text."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from motcua.catalog.parsing import (
    parse_agency_types,
    parse_fee,
    parse_levels,
    parse_online_level,
    parse_paper,
    parse_processing_time,
)
from motcua.core.calendar import Duration, DurationKind

SAMPLE = json.loads(
    (Path(__file__).resolve().parents[2] / "motcua/catalog/data/catalog_sample.json")
    .read_text(encoding="utf-8")
)
BY_CODE = {entry["code"]: entry for entry in SAMPLE}
WD, CD, WH = DurationKind.WORKING_DAYS, DurationKind.CALENDAR_DAYS, DurationKind.WORKING_HOURS
SAME_DAY = Duration(DurationKind.SAME_DAY)


def distinct(key: str) -> set[str]:
    return {entry[key] for entry in SAMPLE if entry[key] is not None}


# --- processing time ------------------------------------------------------------------

# code → (duration, notes, words every problem must contain)
TIMES = {
    "2.000908": (SAME_DAY, [], None),
    "2.000815": (SAME_DAY, ["kéo dài thêm không quá 02 (hai) ngày làm việc hoặc có thể dài "
                            "hơn theo thỏa thuận bằng văn bản"], None),
    "2.000884": (SAME_DAY, [], None),
    "2.000992": (SAME_DAY, ["có thể kéo dài hơn theo thỏa thuận bằng văn bản"], None),
    "2.001035": (Duration(WD, 2), ["có thể kéo dài hơn theo thỏa thuận bằng văn bản"], None),
    "2.000913": (SAME_DAY, [], None),
    "1.003677": (Duration(CD, 1), ["có thể kéo dài nhưng không quá 02 ngày làm việc"], None),
    "2.001159": (None, [], "no duration found"),
    "1.000466": (None, [], "different times for different cases"),
}


def test_every_sample_processing_time_is_in_the_table() -> None:
    assert {BY_CODE[code]["processing_time"] for code in TIMES} == distinct("processing_time")


@pytest.mark.parametrize("code", sorted(TIMES))
def test_sample_processing_time(code: str) -> None:
    duration, notes, problem = TIMES[code]
    result = parse_processing_time(BY_CODE[code]["processing_time"])
    assert result.duration == duration
    assert result.notes == notes
    if problem is None:
        assert result.problems == []
    else:
        assert len(result.problems) == 1 and problem in result.problems[0]


def test_conditional_time_names_both_times() -> None:
    problems = parse_processing_time(BY_CODE["1.000466"]["processing_time"]).problems
    assert "“07 ngày làm việc”" in problems[0] and "“03 ngày làm việc”" in problems[0]


@pytest.mark.parametrize(("text", "expected"), [
    ("trong ngày", SAME_DAY),
    ("Ngay trong ngày", SAME_DAY),
    ("3 ngày làm việc", Duration(WD, 3)),
    ("4 giờ làm việc", Duration(WH, 4)),
    ("15 ngày", Duration(CD, 15)),
    ("Trong thời hạn 05 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ", Duration(WD, 5)),
    ("khong qua 5 ngay lam viec", Duration(WD, 5)),  # typed without diacritics
    (unicodedata.normalize("NFD", "Không quá 02 (hai) ngày làm việc"), Duration(WD, 2)),
    ("KHÔNG QUÁ 10 NGÀY LÀM VIỆC", Duration(WD, 10)),
    ("Không quá 20 (hai mươi) ngày làm việc", Duration(WD, 20)),
])
def test_processing_time_forms(text: str, expected: Duration) -> None:
    result = parse_processing_time(text)
    assert (result.duration, result.problems) == (expected, [])


@pytest.mark.parametrize(("text", "problem"), [
    ("03 tháng kể từ ngày nhận đủ hồ sơ", "unit the deadline calendar does not count"),
    ("05 giờ kể từ khi nhận hồ sơ", "not stated in working hours"),
    ("Không quá 02 (ba) ngày làm việc", "does not match the digits"),
    ("0 ngày làm việc", "zero"),
    ("Giải quyết nhanh chóng", "no duration found"),
    ("Ngay trong ngày; trường hợp cần xác minh thì không quá 05 ngày làm việc",
     "both the same day and"),
    ("05 ngày làm việc nếu hồ sơ đủ điều kiện", "applies only in a stated case"),
    ("Trường hợp cần xác minh thì 10 ngày làm việc", "applies only in a stated case"),
])
def test_processing_time_reported_not_guessed(text: str, problem: str) -> None:
    result = parse_processing_time(text)
    assert result.duration is None
    assert any(problem in p for p in result.problems), result.problems


@pytest.mark.parametrize("text", [None, "", "   "])
def test_processing_time_absent(text: str | None) -> None:
    assert parse_processing_time(text) == (None, [], [])


# --- fees -----------------------------------------------------------------------------

PLACE = "Tại Ủy ban nhân dân cấp xã, Tổ chức hành nghề công chứng"
ALT_IN = "10.000 hoặc 15.000 đồng hoặc miễn phí"
ALT_ON = "5.000 hoặc 7.000 đồng hoặc miễn phí"
PASSPORT = "160.000 đồng hoặc 200.000 đồng (trực tiếp, trực tuyến, bổ sung qua bưu chính)"


def item(kind, amount=None, *, tier=None, cap=None, channel="any", condition=""):
    return {"kind": kind, "amount_vnd": amount, "from_quantity": tier, "max_vnd": cap,
            "channel": channel, "condition": condition}


# code → (status, items, words of each expected problem)
FEES = {
    "2.000908": ("free", [], []),
    "2.000815": ("charged", [
        item("per_page", 2000, cap=200000, condition=PLACE),
        item("per_page", 1000, tier=3, cap=200000, condition=PLACE),
    ], ["“Tại cơ quan đại diện: 10 USD/bản” is not in Vietnamese đồng"]),
    "2.000884": ("charged", [item("per_case", 10000)],
                 ["“Tại cơ quan đại diện: 10 USD/bản” is not in Vietnamese đồng"]),
    "2.000992": ("charged", [item("per_case", 10000)], []),
    "2.001008": ("charged", [item("per_case", 10000)], []),
    "2.001035": ("charged", [item("per_transaction", 50000)], []),
    "2.001016": ("charged", [item("per_document", 50000)], []),
    "2.000913": ("charged", [item("per_transaction", 30000)], []),
    "2.000927": ("charged", [item("per_transaction", 25000)], []),
    "2.000942": ("charged", [
        item("per_page", 2000, cap=200000), item("per_page", 1000, tier=3, cap=200000),
    ], []),
    "1.004222": ("charged", [
        item("fixed", 20000, channel="in_person"), item("exemption", channel="in_person"),
        item("fixed", 10000, channel="online"),
        item("exemption", channel="online", condition="tùy đối tượng"),
    ], []),
    "1.004194": ("charged", [
        item("fixed", 10000, channel="in_person", condition=ALT_IN),
        item("fixed", 15000, channel="in_person", condition=ALT_IN),
        item("exemption", channel="in_person", condition=ALT_IN),
        item("fixed", 5000, channel="online", condition=ALT_ON),
        item("fixed", 7000, channel="online", condition=ALT_ON),
        item("exemption", channel="online", condition=ALT_ON),
    ], ["“Nộp trực tiếp: 10.000 hoặc 15.000 đồng hoặc miễn phí” gives several amounts",
        "“nộp trực tuyến: 5.000 hoặc 7.000 đồng hoặc miễn phí” gives several amounts"]),
    "2.000200": ("unknown", [], ["no amount found"]),
    "2.001194": ("unknown", [], ["no amount found"]),
    "1.001456": ("charged", [
        item("fixed", 160000, condition=PASSPORT), item("fixed", 200000, condition=PASSPORT),
    ], ["without saying which one applies"]),
}


def test_every_sample_fee_is_in_the_table() -> None:
    assert {BY_CODE[code]["fee"] for code in FEES} == distinct("fee")


@pytest.mark.parametrize("code", sorted(FEES))
def test_sample_fee(code: str) -> None:
    status, items, problems = FEES[code]
    result = parse_fee(BY_CODE[code]["fee"])
    assert result.status == status
    assert result.items == items
    assert len(result.problems) == len(problems), result.problems
    for words, problem in zip(problems, result.problems, strict=True):
        assert words in problem


@pytest.mark.parametrize(("text", "status", "items"), [
    ("Miễn phí", "free", []),
    ("mien phi", "free", []),
    ("Không thu phí.", "free", []),
    ("50.000đ/trang", "charged", [item("per_page", 50000)]),
    ("2 triệu đồng", "charged", [item("fixed", 2_000_000)]),
    ("1,5 triệu đồng/ hồ sơ", "charged", [item("fixed", 1_500_000)]),
    ("8.000 đồng/ bản sao", "charged", [item("per_copy", 8000)]),
    ("Nộp trực tiếp: 100.000 đồng/ hồ sơ; nộp trực tuyến: 50.000 đồng/ hồ sơ", "charged",
     [item("fixed", 100000, channel="in_person"), item("fixed", 50000, channel="online")]),
    ("200.000 đồng/ trường hợp; sinh viên, người có công: 100.000 đồng/ trường hợp; "
     "trẻ em: miễn phí", "charged",
     [item("per_case", 200000), item("per_case", 100000, condition="sinh viên, người có công"),
      item("exemption", condition="trẻ em")]),
    (unicodedata.normalize("NFD", "50.000 đồng/ giao dịch"), "charged",
     [item("per_transaction", 50000)]),
])
def test_fee_forms(text: str, status: str, items: list[dict]) -> None:
    result = parse_fee(text)
    assert (result.status, result.items, result.problems) == (status, items, [])


@pytest.mark.parametrize(("text", "status", "problem"), [
    ("10.000", "unknown", "has no currency"),
    ("50.000 đồng/ lượt", "unknown", "unit in “50.000 đồng/ lượt” is not known"),
    ("50.000 đồng và 20.000 đồng", "unknown", "several amounts in one phrase"),
    ("Nộp trực tuyến: miễn phí", "unknown", "states exemptions but no amount"),
    ("tối đa không quá 100.000 đồng", "unknown", "has nothing to apply to"),
    ("10 USD/bản", "unknown", "not in Vietnamese đồng"),
    ("Theo quy định của Bộ Tài chính", "unknown", "no amount found"),
    ("1,5 đồng", "unknown", "not a whole number"),
])
def test_fee_reported_not_guessed(text: str, status: str, problem: str) -> None:
    result = parse_fee(text)
    assert result.status == status
    assert any(problem in p for p in result.problems), result.problems


@pytest.mark.parametrize("text", [None, "", " "])
def test_fee_absent(text: str | None) -> None:
    assert parse_fee(text) == ("unknown", [], [])


# --- levels, agencies, online level ---------------------------------------------------

LEVELS = {
    "Áp dụng chung (cấp tỉnh, cấp xã) — mục A của danh mục": ["province", "commune"],
    "Cấp xã": ["commune"],
    "Cấp tỉnh; Cấp xã": ["province", "commune"],
    "Cấp tỉnh": ["province"],
    "Cấp trung ương": ["central"],
}


def test_every_sample_level_is_in_the_table() -> None:
    assert set(LEVELS) == distinct("level")


@pytest.mark.parametrize("text", sorted(LEVELS))
def test_sample_levels(text: str) -> None:
    assert parse_levels(text) == (LEVELS[text], [])


@pytest.mark.parametrize(("text", "problem"), [
    ("Cấp huyện", "district level"), ("Tùy trường hợp", "not understood"),
])
def test_levels_reported(text: str, problem: str) -> None:
    levels, problems = parse_levels(text)
    assert levels == [] and problem in problems[0]


AGENCIES = {
    "Cơ quan, tổ chức, các cơ quan có sổ gốc": [],
    "UBND cấp xã, Văn phòng công chứng": ["ubnd_xa", "cong_chung"],
    "Ủy ban nhân dân cấp xã, tổ chức hành nghề công chứng": ["ubnd_xa", "cong_chung"],
    "Ủy ban nhân dân cấp xã": ["ubnd_xa"],
    "Công an cấp xã": ["cong_an_xa"],
    "Công an cấp xã (cơ quan đăng ký cư trú)": ["cong_an_xa"],
    "Phòng Cảnh sát quản lý hành chính về trật tự xã hội (Công an cấp tỉnh)": ["cong_an_tinh"],
    "Cục Cảnh sát quản lý hành chính về trật tự, xã hội (Bộ Công an)": ["trung_uong"],
    # The bracket names where dossiers are received, not who decides.
    "Sở Nội vụ tỉnh Nghệ An (tiếp nhận tại TTPVHCC tỉnh/xã)": ["so_nganh"],
}


def test_every_sample_agency_is_in_the_table() -> None:
    assert set(AGENCIES) == distinct("agency")


@pytest.mark.parametrize("text", sorted(AGENCIES))
def test_sample_agency_types(text: str) -> None:
    types, problems = parse_agency_types(text)
    assert types == AGENCIES[text]
    assert bool(problems) == (not types)


@pytest.mark.parametrize(("text", "types"), [
    ("Chủ tịch UBND tỉnh", ["ubnd_tinh"]),
    ("Uỷ ban nhân dân xã", ["ubnd_xa"]),  # old tone placement
    ("uy ban nhan dan cap xa", ["ubnd_xa"]),
    ("Chi nhánh Văn phòng đăng ký đất đai (Sở Nông nghiệp và Môi trường)", ["so_nganh"]),
    ("Bộ phận Một cửa cấp xã; cấp số định danh", []),  # "bộ phận", "số" are not bộ, sở
])
def test_agency_types_forms(text: str, types: list[str]) -> None:
    assert parse_agency_types(text).types == types


ONLINE = {
    "Toàn trình": "full",
    "Một phần": "partial",
    "Trực tiếp": "offline",
    "Toàn trình (theo cột 'Cách thức, địa điểm thực hiện')": "full",
}


def test_every_sample_online_level_is_in_the_table() -> None:
    assert set(ONLINE) == distinct("online_level")


@pytest.mark.parametrize("code", sorted(BY_CODE))
def test_sample_online_level(code: str) -> None:
    entry = BY_CODE[code]
    expected = ONLINE.get(entry["online_level"], "unknown")
    result = parse_online_level(entry["online_level"],
                                full_process_online=entry["full_process_online"])
    assert result == (expected, [])


def test_online_level_edges() -> None:
    assert parse_online_level(None) == ("unknown", [])
    assert parse_online_level(None, full_process_online=True) == ("full", [])
    assert parse_online_level(None, full_process_online=False) == ("unknown", [])
    assert parse_online_level(unicodedata.normalize("NFD", "một phần")) == ("partial", [])
    level, problems = parse_online_level("Toàn trình", full_process_online=False)
    assert level == "unknown" and "contradicts" in problems[0]
    level, problems = parse_online_level("Mức độ 4")
    assert level == "unknown" and "not understood" in problems[0]


# --- papers ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", sorted({d for e in SAMPLE for d in e["documents"] or []}))
def test_sample_papers_stay_as_published(text: str) -> None:
    # None of the sample's papers states original or copy: nothing to take out.
    assert parse_paper(text) == (text, "unspecified", None, [])


@pytest.mark.parametrize(("text", "name", "form", "count"), [
    ("Tờ khai đăng ký khai sinh (bản chính)", "Tờ khai đăng ký khai sinh", "original", None),
    ("Giấy khai sinh: 02 bản sao", "Giấy khai sinh", "copy", 2),
    ("Giấy chứng sinh (01 bản chính)", "Giấy chứng sinh", "original", 1),
    ("Giấy chứng sinh - Bản chính: 1 - Bản sao: 0", "Giấy chứng sinh", "original", 1),
    ("Hợp đồng thuê nhà - Bản chính: 0 - Bản sao: 2", "Hợp đồng thuê nhà", "copy", 2),
    ("Chứng cứ quan hệ cha, mẹ, con (bản sao có chứng thực)", "Chứng cứ quan hệ cha, mẹ, con",
     "certified_copy", None),
    ("Giấy tờ nhân thân (bản chính hoặc bản sao)", "Giấy tờ nhân thân", "original_or_copy",
     None),
    ("Bản sao Giấy chứng tử", "Bản sao Giấy chứng tử", "copy", None),
])
def test_paper_forms(text: str, name: str, form: str, count: int | None) -> None:
    assert parse_paper(text) == (name, form, count, [])


@pytest.mark.parametrize(("text", "problem"), [
    ("Giấy tờ nhà - Bản chính: 1 - Bản sao: 1", "originals and copies"),
    ("Bản chính sổ đỏ và bản sao sổ hộ khẩu", "several forms"),
])
def test_paper_reported(text: str, problem: str) -> None:
    result = parse_paper(text)
    assert result.form == "unspecified" and problem in result.problems[0]
