"""From published fee schedules to bill lines (pure: unsaved catalog items)."""

from __future__ import annotations

from motcua.catalog.models import FeeItem
from motcua.catalog.parsing import parse_fee
from motcua.payments.bills import Document, Units, charge, units_from_answers


def schedule(text: str) -> list[FeeItem]:
    return [FeeItem(position=n, **item) for n, item in enumerate(parse_fee(text).items)]


def test_a_fixed_fee_per_channel():
    items = schedule("Nộp trực tiếp: 50.000 đồng/ hồ sơ; nộp trực tuyến: 25.000 đồng/ hồ sơ")
    assert charge(items, channel="online").total_vnd == 25_000
    assert charge(items, channel="in_person").total_vnd == 50_000


def test_per_page_tiers_and_the_cap_per_copy():
    items = schedule(
        "2.000 đồng/trang; từ trang thứ 3 trở lên thu 1.000 đồng/trang, tối đa thu không quá "
        "200.000 đồng/bản"
    )
    units = Units(
        documents=(
            Document(pages=5, copies=2),
            Document(pages=1, copies=1),
            Document(pages=400, copies=1),
        )
    )
    lines = charge(items, channel="online", units=units).lines
    # 2 pages × 2.000 + 3 pages × 1.000 = 7.000 a copy, two copies; 2.000; capped 200.000.
    assert [(line.unit_vnd, line.quantity, line.amount_vnd) for line in lines] == [
        (7_000, 2, 14_000),
        (2_000, 1, 2_000),
        (200_000, 1, 200_000),
    ]
    # Without the page counts nothing is invented: the desk decides.
    unknown = charge(items, channel="online")
    assert unknown.lines is None and unknown.why_unknown


def test_per_copy_needs_the_number_of_copies():
    items = schedule("8.000 đồng/ bản sao")
    assert charge(items, channel="online").lines is None
    assert charge(items, channel="online", units=Units(copies=3)).total_vnd == 24_000


def test_alternative_amounts_are_not_guessed():
    assert charge(schedule("160.000 đồng hoặc 200.000 đồng"), channel="online").lines is None


def test_reduced_rates_and_waivers_are_offered_as_claims():
    items = schedule(
        "200.000 đồng/ trường hợp; sinh viên, người có công với cách mạng, thân nhân liệt sĩ: "
        "100.000 đồng/ trường hợp; trẻ em, người cao tuổi, người khuyết tật, người thuộc hộ "
        "nghèo: miễn phí"
    )
    result = charge(items, channel="online")
    assert result.total_vnd == 200_000
    assert [(r.amount_vnd, r.group.split(",")[0]) for r in result.rates] == [
        (100_000, "sinh viên"),
        (0, "trẻ em"),
    ]


def test_a_label_is_a_description_not_a_condition():
    items = schedule(
        "Lệ phí cấp Giấy chứng nhận: 100.000 đồng/ hồ sơ; hộ nghèo, người có "
        "công với cách mạng: miễn phí"
    )
    result = charge(items, channel="online")
    assert result.total_vnd == 100_000
    assert result.lines[0].description.startswith("Lệ phí cấp Giấy chứng nhận")
    assert len(result.rates) == 1 and result.rates[0].amount_vnd == 0


def test_quantities_come_from_the_form_answers():
    fee_units = {"documents": "giay_to", "pages": "so_trang", "copies": "so_ban"}
    answers = {
        "giay_to": [
            {"ten": "Bằng", "so_trang": 2, "so_ban": 3},
            {"ten": "Sổ", "so_trang": "x", "so_ban": None},
        ]
    }
    assert units_from_answers(fee_units, answers) == Units(
        documents=(Document(2, 3), Document(1, 1))
    )
    assert units_from_answers({"copies": "so_ban"}, {"so_ban": "4"}) == Units(copies=4)
    assert units_from_answers(None, answers) == Units()
