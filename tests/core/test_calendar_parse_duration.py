from __future__ import annotations

import unicodedata

import pytest

from motcua.core.calendar import Duration, DurationKind, parse_duration

WD = DurationKind.WORKING_DAYS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3 ngày làm việc", Duration(WD, 3)),
        ("03 ngày làm việc", Duration(WD, 3)),
        ("  03   NGÀY LÀM VIỆC ", Duration(WD, 3)),
        ("3 ngay lam viec", Duration(WD, 3)),
        ("Không quá 02 ngày làm việc", Duration(WD, 2)),
        ("10 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ", Duration(WD, 10)),
        ("4 giờ làm việc", Duration(DurationKind.WORKING_HOURS, 4)),
        ("4 gio lam viec", Duration(DurationKind.WORKING_HOURS, 4)),
        ("5 ngày", Duration(DurationKind.CALENDAR_DAYS, 5)),
        ("trong ngày", Duration(DurationKind.SAME_DAY)),
        ("Ngay trong ngày", Duration(DurationKind.SAME_DAY)),
        ("ngay trong ngay", Duration(DurationKind.SAME_DAY)),
        ("3 working days", Duration(WD, 3)),
    ],
)
def test_parse(text, expected):
    assert parse_duration(text) == expected
    assert parse_duration(unicodedata.normalize("NFD", text)) == expected
    assert parse_duration(unicodedata.normalize("NFC", text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "ba ngày làm việc",
        "0 ngày làm việc",
        "4 giờ",
        "3 tuần",
        "-1 ngày",
        "1,5 ngày",
        "10000 ngày",
    ],
)
def test_refused(text):
    with pytest.raises(ValueError, match="processing time"):
        parse_duration(text)
