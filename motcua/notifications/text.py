"""SMS text: the diacritic-free variant, GSM-7/UCS-2 length, fitting, phone numbers.

An SMS segment carries 160 GSM-7 characters, or 70 UCS-2 ones as soon as a single
character is outside GSM-7 (every Vietnamese letter with a diacritic is). Longer texts
travel as concatenated parts of 153 / 67 characters. Brandname routes in Vietnam are
mostly booked without Unicode, so by default SMS texts are folded to GSM-7: marks
removed (đ → d), but case and punctuation kept, unlike motcua.core.text.fold which
builds search keys.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

# GSM 03.38 basic character set (one septet each) and its extension table (two).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")

SINGLE_PART = {"gsm7": 160, "ucs2": 70}
MULTI_PART = {"gsm7": 153, "ucs2": 67}  # a concatenation header takes the rest

# Typography phones and word processors put in text, mapped to plain GSM-7.
_PUNCTUATION = str.maketrans(
    {
        "đ": "d",
        "Đ": "D",
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
        "–": "-",
        "—": "-",
        "…": "...",
        "•": "-",
        "\u00a0": " ",
        "₫": "d",
        "\t": " ",
    }
)


def strip_diacritics(text: str) -> str:
    """Vietnamese without marks, keeping case and punctuation: "Hồ sơ Đã nhận." → "Ho so Da nhan."

    Characters GSM-7 cannot carry at all become "?" so the result is always GSM-7.
    """
    decomposed = unicodedata.normalize("NFD", text.translate(_PUNCTUATION))
    plain = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    plain = unicodedata.normalize("NFC", plain)
    return "".join(ch if ch in GSM7_BASIC or ch in GSM7_EXTENDED else "?" for ch in plain)


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def sms_units(text: str) -> tuple[str, int]:
    """(encoding, length in that encoding's units)."""
    if is_gsm7(text):
        return "gsm7", sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
    return "ucs2", len(text.encode("utf-16-le")) // 2


def _unit(ch: str, encoding: str) -> int:
    if encoding == "gsm7":
        return 2 if ch in GSM7_EXTENDED else 1
    return 2 if ord(ch) > 0xFFFF else 1  # a surrogate pair


def sms_parts(text: str) -> int:
    encoding, units = sms_units(text)
    if units <= SINGLE_PART[encoding]:
        return 1
    return math.ceil(units / MULTI_PART[encoding])


def sms_capacity(encoding: str, max_parts: int) -> int:
    return SINGLE_PART[encoding] if max_parts <= 1 else MULTI_PART[encoding] * max_parts


@dataclass(frozen=True)
class SmsText:
    text: str
    encoding: str
    parts: int
    shortened: bool


def sms_fit(text: str, *, unicode: bool, max_parts: int) -> SmsText:
    """The text to hand the gateway: folded unless the route takes Unicode, and at most
    `max_parts` segments long. A longer text is cut at a word boundary and ends with
    "..." — templates put the dossier code and the news first, so the cut loses the
    courtesy, not the message. The gateway does the splitting into parts itself."""
    text = " ".join(line.strip() for line in text.strip().splitlines() if line.strip())
    if not unicode:
        text = strip_diacritics(text)
    encoding, units = sms_units(text)
    capacity = sms_capacity(encoding, max_parts)
    if units <= capacity:
        return SmsText(text=text, encoding=encoding, parts=sms_parts(text), shortened=False)
    ellipsis = "..." if encoding == "gsm7" else "…"
    budget = capacity - sms_units(ellipsis)[1]
    used, end = 0, 0
    for end, ch in enumerate(text):  # noqa: B007 - `end` is read after the loop
        used += _unit(ch, encoding)
        if used > budget:
            break
    cut = text[:end]
    space = cut.rfind(" ")
    if space > budget // 2:
        cut = cut[:space]
    cut = cut.rstrip(" ,;:-") + ellipsis
    return SmsText(text=cut, encoding=encoding, parts=sms_parts(cut), shortened=True)


_NON_DIGIT = re.compile(r"\D")
# Vietnamese mobile numbers: 84 then 3, 5, 7, 8 or 9 and eight digits.
_VN_MOBILE = re.compile(r"^84[35789]\d{8}$")


def vn_mobile(phone: str) -> str | None:
    """A Vietnamese mobile number as the gateways want it (84xxxxxxxxx), or None."""
    digits = _NON_DIGIT.sub("", phone or "")
    if digits.startswith("0") and len(digits) == 10:
        digits = "84" + digits[1:]
    return digits if _VN_MOBILE.match(digits) else None
