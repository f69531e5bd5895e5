"""Vietnamese text folding: the one normal form used for every text match.

People type procedure names with or without diacritics, composed (NFC) or
decomposed (NFD, common from macOS and some Vietnamese keyboards), with the old
or the new tone placement (hoà/hòa, thuỷ/thủy) and with either spelling of the
final i/y (kí/ký, lí/lý, mĩ/mỹ, quí/quý). `fold` maps all of these to one string
so that an index built with it and a query folded with it meet.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

__all__ = [
    "CONTROL_CHARACTERS",
    "clean_text",
    "control_character_path",
    "fold",
    "fold_chars",
    "nfc",
    "tokens",
]

# đ has no Unicode decomposition, so stripping marks leaves it alone; ð (eth) is
# what some keyboards and OCR produce for it.
_LETTER_MAP = str.maketrans({"đ": "d", "ð": "d"})

# A dot survives only between two digits, so national codes (1.001193) stay one
# token while "Tp.Lào Cai" still splits into words.
_STRAY_DOT = re.compile(r"(?<!\d)\.|\.(?!\d)")
# Anything that is not a letter, a digit or a dot separates words. `_` is in \w.
_NON_WORD = re.compile(r"[^\w.]|_")

# Syllable-final y after a consonant cluster or "qu", or a lone y, is the same
# vowel as i (kỹ/kĩ, lý/lí, quý/quí, y tế/i tế). After a vowel it is part of a
# diphthong (tay ≠ tai, thuy) and must stay.
_FINAL_Y = re.compile(r"(?<![a-z0-9])(qu|[bcdfghjklmnpqrstvxwz]*)y(?![a-z0-9])")


# The marks Vietnamese uses (and most Latin ones): removed by a regex, the fast path.
_COMMON_MARKS = re.compile("[\u0300-\u036f]")


def _strip_marks(text: str) -> str:
    # NFKD also folds compatibility forms (full-width digits, ligatures) that
    # phones sometimes produce. Format characters (zero-width joiners, soft
    # hyphens) are dropped rather than turned into spaces: they sit inside words.
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(
        ch for ch in decomposed if unicodedata.category(ch) not in ("Mn", "Mc", "Me", "Cf")
    )


def _fold_letters(text: str) -> str:
    """Lower case, no marks, đ → d; ASCII text and Vietnamese take the fast paths."""
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    stripped = _COMMON_MARKS.sub("", unicodedata.normalize("NFKD", lowered)).translate(_LETTER_MAP)
    if stripped.isascii():
        return stripped.lower()  # NFKD can yield capitals (ℌ → H); ASCII lower is final
    # Other scripts: lower-casing can expose decomposable letters and decomposition
    # can expose capitals, so go round until nothing changes.
    previous = None
    folded = stripped
    while folded != previous:
        previous = folded
        folded = _strip_marks(folded.lower()).translate(_LETTER_MAP)
    return folded


def fold(text: str) -> str:
    """Return the search form of `text`: lower case, ASCII-like, one space between words."""
    folded = _NON_WORD.sub(" ", _fold_letters(text))
    folded = _STRAY_DOT.sub(" ", folded)
    folded = " ".join(folded.split())
    return _FINAL_Y.sub(r"\1i", folded)


def tokens(text: str) -> list[str]:
    """Folded words of `text`, in order."""
    folded = fold(text)
    return folded.split(" ") if folded else []


def clean_text(text: object) -> str:
    """What a person typed, in the one stored form: Unicode NFC (a name typed with
    combining marks and the same name typed composed become equal), outer spaces
    removed. Not a str: ""."""
    if not isinstance(text, str):
        return ""
    return unicodedata.normalize("NFC", text).strip()


def nfc(value: Any) -> Any:
    """`value` with every string in it (in lists and dicts too) in Unicode NFC, as typed
    otherwise: for answers kept exactly as the person typed them."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [nfc(item) for item in value]
    if isinstance(value, dict):
        return {key: nfc(item) for key, item in value.items()}
    return value


def _fold_char(ch: str) -> str:
    low = ch.lower()
    if len(low) != 1:  # e.g. "İ" lowers to two characters: keep positions instead
        low = ch
    if low in "đð":
        return "d"
    base = unicodedata.normalize("NFD", low)
    if len(base) > 1 and all(unicodedata.combining(c) for c in base[1:]):
        return base[0]
    return low


def fold_chars(text: str) -> str:
    """`fold` letter by letter, keeping every position (of NFC text): a match found in
    the folded text slices the original at the same places (reading legal prose)."""
    return "".join(_fold_char(ch) for ch in text)


# C0 and C1 control characters (Unicode category Cc) but tab, line feed and carriage
# return, which typed text legitimately holds. Refused wherever text comes in (form
# fields, API bodies, imported files): PostgreSQL refuses NUL in text outright, and the
# others are invisible, break exports and mislead (ASVS 5.0 V2.2.1).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def control_character_path(value: Any, path: str = "") -> str | None:
    """Where the first control character is in `value` (strings in lists and dicts,
    keys included): "items[2].name", "(body)" for a bare string; None if nowhere."""
    if isinstance(value, str):
        return (path or "(body)") if CONTROL_CHARACTERS.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            if CONTROL_CHARACTERS.search(str(key)):
                return inner
            found = control_character_path(item, inner)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = control_character_path(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None
