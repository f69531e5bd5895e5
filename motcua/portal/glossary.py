"""Words citizens stumble on in the catalog's and the forms' texts, each with one plain
sentence (issue 12: "terms explained where they appear").

The terms are Vietnamese, as the catalog and the forms are (a paper's name stays
Vietnamese on the English page too); the explanation is a gettext message, English msgid
and Vietnamese translation, so an English reader learns what the Vietnamese word means.
`words` are matched case-insensitively, whole words only, longest first, on the NFC
text; the first is the headword shown in the list "Words explained". Old and new tone
placement (uỷ/ủy) are spelt out as separate words where a term has them.

`explain_terms` (motcua.portal.templatetags.portal_help) marks the terms in a text; the
block `{% glossary %}` lists, at its end, the terms marked inside it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Term:
    slug: str  # the anchor: ASCII, stable (links and tests use it)
    words: tuple[str, ...]  # the Vietnamese spellings; the first is the headword
    explanation: str | Promise


TERMS: tuple[Term, ...] = (
    Term("dinh-danh", ("định danh",), _(
        "Identification: showing who you are, with your personal identification number "
        "or your VNeID account."
    )),
    Term("so-dinh-danh", ("số định danh cá nhân", "mã số định danh cá nhân", "số định danh"), _(
        "The 12-digit number on your identity card (căn cước); each person has one, for "
        "life."
    )),
    Term(
        "csdlqg",
        (
            "Cơ sở dữ liệu quốc gia về dân cư",
            "CSDL quốc gia về dân cư",
            "CSDLQG về dân cư",
            "CSDLQG",
        ),
        _(
            "The state's record of every resident: the office reads your name, date of "
            "birth and address there, so you need not bring papers to prove them."
        ),
    ),
    Term("ban-chinh", ("bản chính",), _(
        "The original paper an authority issued to you, not a photocopy."
    )),
    Term("ban-sao-chung-thuc", (
        "bản sao chứng thực", "bản sao có chứng thực", "bản sao được chứng thực",
    ), _(
        "A copy that the commune office or a notary has stamped as true to the original; "
        "it can be used instead of the original."
    )),
    Term("ban-sao", ("bản sao",), _(
        "A photocopy or a printout of a paper; the officer may compare it with the "
        "original."
    )),
    Term("chung-thuc", ("chứng thực",), _(
        "An authority confirming that a copy matches the original, or that a signature is "
        "really yours."
    )),
    Term("trich-luc", ("trích lục", "bản trích lục"), _(
        "A copy of what is written in a civil-status register (for example of a birth), "
        "issued by the office that keeps the register."
    )),
    Term("vneid", ("VNeID", "tài khoản định danh điện tử"), _(
        "The state's phone app and electronic identity account: you sign in with it and "
        "show your papers without carrying them."
    )),
    Term("ho-tich", ("hộ tịch",), _(
        "The events of a person's life that the state records: birth, marriage, death; "
        "the commune keeps the registers."
    )),
    Term("thuong-tru", ("thường trú", "nơi thường trú"), _(
        "Permanent residence: the place where you live for good, registered with the "
        "police."
    )),
    Term("tam-tru", ("tạm trú", "nơi tạm trú"), _(
        "Temporary residence: a place where you live for 30 days or more away from your "
        "permanent residence, registered with the police."
    )),
    Term("le-phi", ("lệ phí",), _(
        "A sum set by law that you pay the state for the service; some people do not "
        "have to pay it."
    )),
    Term("phieu-hen", (
        "phiếu hẹn", "giấy hẹn", "giấy tiếp nhận hồ sơ và hẹn trả kết quả",
    ), _(
        "The slip the desk gives you when it receives your dossier: it shows the dossier "
        "code and the day your result is due."
    )),
    Term("bo-sung-ho-so", ("bổ sung hồ sơ", "bổ sung, hoàn thiện hồ sơ"), _(
        "Sending the papers that are missing or wrong when the office asks for them; the "
        "time for your result starts again once they arrive."
    )),
    Term("toan-trinh", (
        "toàn trình", "trực tuyến toàn trình", "dịch vụ công trực tuyến toàn trình",
    ), _(
        "Fully online: you file, pay and get the result on the internet, without going to "
        "the office."
    )),
    # "một phần" alone is everyday Vietnamese ("part of"): only the service level.
    Term("mot-phan", (
        "trực tuyến một phần", "một phần trực tuyến", "dịch vụ công trực tuyến một phần",
    ), _(
        "Partly online: you file on the internet, but you still go to the office for part "
        "of it (for example to show the originals or to collect the result)."
    )),
    Term("ngay-lam-viec", ("ngày làm việc",), _(
        "Monday to Friday, except public holidays; Saturdays and Sundays are not counted."
    )),
    Term("mot-cua", (
        "Bộ phận Một cửa", "Bộ phận tiếp nhận và trả kết quả",
    ), _(
        "The desk that receives dossiers and returns results for every office, so you "
        "deal with one place only."
    )),
    Term("uy-quyen", (
        "ủy quyền", "uỷ quyền", "giấy ủy quyền", "giấy uỷ quyền", "văn bản ủy quyền",
        "văn bản uỷ quyền",
    ), _(
        "Letting another person act for you (file or collect), with a paper that says so."
    )),
    Term("to-khai", ("tờ khai",), _(
        "The form with your details; when you file online, your answers make it."
    )),
    Term("ma-ho-so", ("mã hồ sơ",), _(
        "The code the office gives your dossier; use it to track the dossier."
    )),
)

TERMS_BY_SLUG: dict[str, Term] = {term.slug: term for term in TERMS}


@cache
def _pattern() -> tuple[re.Pattern[str], dict[str, Term]]:
    by_word: dict[str, Term] = {}
    for term in TERMS:
        for word in term.words:
            key = unicodedata.normalize("NFC", word).casefold()
            if key in by_word:
                raise ValueError(f"Glossary word {word!r} belongs to two terms.")
            by_word[key] = term
    # Longest first, so "bản sao chứng thực" wins over "bản sao" at the same place; no
    # letter or digit on either side, so "bản sao" is not found inside a longer word.
    alternatives = "|".join(re.escape(w) for w in sorted(by_word, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE), by_word


def terms_found(text: str) -> Iterator[tuple[int, int, Term]]:
    """(start, end, term) of the first occurrence of each known term in `text` (NFC),
    in order; occurrences never overlap."""
    pattern, by_word = _pattern()
    seen: set[str] = set()
    for match in pattern.finditer(text):
        term = by_word[match.group(0).casefold()]
        if term.slug not in seen:
            seen.add(term.slug)
            yield match.start(), match.end(), term
