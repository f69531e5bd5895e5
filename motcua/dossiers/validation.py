"""Checks of what an applicant types: citizen ID (CCCD), phone, e-mail, tax code.

Each check returns a gettext message (naming the field) or None, so a form and a
service can share them; `applicant_errors` gathers them for a whole applicant as a
dict of field → message, the shape `django.core.exceptions.ValidationError` takes.
"""

from __future__ import annotations

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.core.calendar import VN_TZ

# Province codes of birth registration used in the 12-digit citizen ID: the 63
# provinces before the 2025 merger, as listed for Decree 137/2015/NĐ-CP (Circular
# 07/2016/TT-BCA). The merger did not renumber IDs already issued, so these remain
# the only valid first three digits.
CCCD_PROVINCE_CODES: dict[str, str] = {
    "001": "Hà Nội",
    "002": "Hà Giang",
    "004": "Cao Bằng",
    "006": "Bắc Kạn",
    "008": "Tuyên Quang",
    "010": "Lào Cai",
    "011": "Điện Biên",
    "012": "Lai Châu",
    "014": "Sơn La",
    "015": "Yên Bái",
    "017": "Hòa Bình",
    "019": "Thái Nguyên",
    "020": "Lạng Sơn",
    "022": "Quảng Ninh",
    "024": "Bắc Giang",
    "025": "Phú Thọ",
    "026": "Vĩnh Phúc",
    "027": "Bắc Ninh",
    "030": "Hải Dương",
    "031": "Hải Phòng",
    "033": "Hưng Yên",
    "034": "Thái Bình",
    "035": "Hà Nam",
    "036": "Nam Định",
    "037": "Ninh Bình",
    "038": "Thanh Hóa",
    "040": "Nghệ An",
    "042": "Hà Tĩnh",
    "044": "Quảng Bình",
    "045": "Quảng Trị",
    "046": "Thừa Thiên Huế",
    "048": "Đà Nẵng",
    "049": "Quảng Nam",
    "051": "Quảng Ngãi",
    "052": "Bình Định",
    "054": "Phú Yên",
    "056": "Khánh Hòa",
    "058": "Ninh Thuận",
    "060": "Bình Thuận",
    "062": "Kon Tum",
    "064": "Gia Lai",
    "066": "Đắk Lắk",
    "067": "Đắk Nông",
    "068": "Lâm Đồng",
    "070": "Bình Phước",
    "072": "Tây Ninh",
    "074": "Bình Dương",
    "075": "Đồng Nai",
    "077": "Bà Rịa - Vũng Tàu",
    "079": "Hồ Chí Minh",
    "080": "Long An",
    "082": "Tiền Giang",
    "083": "Bến Tre",
    "084": "Trà Vinh",
    "086": "Vĩnh Long",
    "087": "Đồng Tháp",
    "089": "An Giang",
    "091": "Kiên Giang",
    "092": "Cần Thơ",
    "093": "Hậu Giang",
    "094": "Sóc Trăng",
    "095": "Bạc Liêu",
    "096": "Cà Mau",
}
assert len(CCCD_PROVINCE_CODES) == 63

_DIGITS_12 = re.compile(r"^\d{12}$")
# Mobile numbers since the 2018 renumbering: 03x, 05x, 07x, 08x, 09x and 10 digits.
_MOBILE = re.compile(r"^0[35789]\d{8}$")
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
# Enterprise tax code: 10 digits, a branch adds "-" and 3 digits (Circular 105/2020).
_TAX_CODE = re.compile(r"^\d{10}(-\d{3})?$")


def cccd_birth_year(number: str) -> int:
    """Birth year encoded in a well-formed citizen ID (4th digit: century and sex)."""
    century = 1900 + 100 * (int(number[3]) // 2)  # 0/1 → 1900s, 2/3 → 2000s, 4/5 → 2100s …
    return century + int(number[4:6])


def cccd_error(number: str, *, birth_date: date | None = None) -> str | None:
    """What is wrong with a 12-digit citizen ID number (CCCD), or None."""
    if not _DIGITS_12.match(number):
        return _("Citizen ID number: must be exactly 12 digits.")
    if number[:3] not in CCCD_PROVINCE_CODES:
        return _(
            "Citizen ID number: the first three digits (%(code)s) are not a province code "
            "of birth registration."
        ) % {"code": number[:3]}
    year = cccd_birth_year(number)
    if year > timezone.localdate(timezone=VN_TZ).year:
        return _(
            "Citizen ID number: digits 4 to 6 give the birth year %(year)d, which is in the future."
        ) % {"year": year}
    if birth_date is not None and birth_date.year != year:
        return _(
            "Citizen ID number: digits 4 to 6 give the birth year %(year)d, but the date of "
            "birth is in %(birth_year)d."
        ) % {"year": year, "birth_year": birth_date.year}
    return None


def normalize_phone(value: str) -> str:
    """'+84 912 345 678' → '0912345678' (spaces, dots, dashes and brackets dropped)."""
    phone = _PHONE_SEPARATORS.sub("", value.strip())
    if phone.startswith("+84"):
        phone = "0" + phone[3:]
    elif phone.startswith("84") and len(phone) == 11:
        phone = "0" + phone[2:]
    return phone


def phone_error(value: str) -> str | None:
    if not _MOBILE.match(normalize_phone(value)):
        return _(
            "Phone: enter a Vietnamese mobile number of 10 digits starting with 0 "
            "(e.g. 0912345678) or +84."
        )
    return None


def email_error(value: str) -> str | None:
    try:
        validate_email(value)
    except ValidationError:
        return _("E-mail: enter a valid e-mail address.")
    return None


def tax_code_error(value: str) -> str | None:
    if not _TAX_CODE.match(value):
        return _("Tax code: must be 10 digits, or 10 digits, a dash and 3 digits for a branch.")
    return None


def birth_date_error(value: date) -> str | None:
    if value > timezone.localdate(timezone=VN_TZ):
        return _("Date of birth: cannot be in the future.")
    return None
