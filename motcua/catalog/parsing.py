"""Reading published procedure texts (legal prose) into structured values.

Every parser is a pure function returning its value(s) and a list of problems:
human-readable sentences naming what it did not understand. A parser never guesses:
when the text allows more than one reading (a duration that depends on the case, two
amounts without the rule that picks one, a foreign currency) it reports instead of
picking, and the importer stores the report next to the published text.

Matching runs on a folded copy of the text (lower case, no diacritics, đ → d) that
keeps every character at its position, so what a pattern finds can be quoted back from
the published text itself. Folding makes composed/decomposed Unicode, old/new tone
placement (hoà/hòa, uỷ/ủy) and text typed without diacritics all read alike.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple, TypedDict

from django.utils.translation import gettext as _

from motcua.catalog.models import FeeChannel, FeeKind, FeeStatus, Level, OnlineLevel, PaperForm
from motcua.core.calendar import Duration, DurationKind
from motcua.core.text import fold_chars
from motcua.organizations.models import AgencyType

__all__ = [
    "AgenciesParse",
    "FeeItemData",
    "FeeParse",
    "LevelsParse",
    "OnlineLevelParse",
    "PaperParse",
    "TimeParse",
    "clean_text",
    "parse_agency_types",
    "parse_fee",
    "parse_levels",
    "parse_online_level",
    "parse_paper",
    "parse_processing_time",
]


# --- text helpers -------------------------------------------------------------------------


def clean_text(text: str) -> str:
    """NFC, one space between words, no leading or trailing space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def _lower(text: str) -> str:
    """Lower case keeping positions (for the few words folding would confuse: sở/số)."""
    return "".join(low if len(low := ch.lower()) == 1 else ch for ch in text)


def _mask_parentheses(text: str) -> str:
    """Blank out what is inside (...) so top-level patterns do not see it."""
    out, depth = [], 0
    for ch in text:
        if ch == "(":
            depth += 1
            out.append(ch)
        elif ch == ")" and depth:
            depth -= 1
            out.append(ch)
        else:
            out.append(" " if depth else ch)
    return "".join(out)


def _split_top(text: str, pattern: re.Pattern[str], start: int = 0, end: int | None = None
               ) -> list[tuple[int, int]]:
    """Spans of text[start:end] between matches of `pattern` outside parentheses."""
    end = len(text) if end is None else end
    masked = _mask_parentheses(text[start:end])
    spans, last = [], 0
    for m in pattern.finditer(masked):
        spans.append((start + last, start + m.start()))
        last = m.end()
    spans.append((start + last, end))
    return [(a, b) for a, b in spans if text[a:b].strip(" ,.;:-")]


def _quote(text: str) -> str:
    return f"“{text.strip()}”"


# --- processing time ----------------------------------------------------------------------


class TimeParse(NamedTuple):
    duration: Duration | None
    notes: list[str]  # extensions and other qualifiers, quoted from the text
    problems: list[str]


# Number words the law writes after the digits, "02 (hai) ngày": checked, never trusted alone.
_NUMBER_WORDS = {
    "mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "sau": 6, "bay": 7,
    "tam": 8, "chin": 9, "muoi": 10, "muoi lam": 15, "hai muoi": 20, "ba muoi": 30,
}
_TIME_UNITS = {
    "ngay lam viec": DurationKind.WORKING_DAYS,
    "gio lam viec": DurationKind.WORKING_HOURS,
    "ngay": DurationKind.CALENDAR_DAYS,
}
_AMOUNT_RE = re.compile(
    r"(?<![\d.,])(?P<n>\d{1,4})(?![.,]?\d)(?:\s*\((?P<word>[a-z ]{2,20})\))?\s*"
    r"(?P<unit>ngay lam viec|gio lam viec|ngay|gio|thang|tuan|nam)\b"
)
# "sau 15 giờ", "trước 08 giờ": a time of day, not a duration.
_CLOCK_BEFORE_RE = re.compile(r"(?:sau|truoc|luc|den|tu|vao)\s*$")
_SAME_DAY_RE = re.compile(r"\bngay trong ngay\b")
_SAME_DAY_SHORT_RE = re.compile(r"^(?:ngay )?trong ngay(?: lam viec)?$")
# "kéo dài thêm không quá 02 (hai) ngày làm việc [hoặc có thể dài hơn theo thỏa thuận ...]"
_EXTENSION_RE = re.compile(
    r"(?:co the\s+)?keo dai(?:\s+(?:them|thoi han|thoi gian|giai quyet))*,?"
    r"(?:\s+(?:nhung|toi da))?\s+khong qua\s+\d{1,4}(?:\s*\([a-z ]{2,20}\))?\s*"
    r"(?:ngay lam viec|gio lam viec|ngay)"
    r"(?:\s+hoac\s+(?:co the\s+)?(?:keo\s+)?dai hon theo thoa thuan(?:\s+bang van ban)?)?"
)
_BY_AGREEMENT_RE = re.compile(
    r"(?:co the\s+)?(?:keo\s+)?dai hon theo thoa thuan(?:\s+bang van ban)?"
)
_CONDITION_AFTER_RE = re.compile(r"^\s*,?\s*(?:neu|truong hop|doi voi)\b")
_CLAUSE_BREAK_RE = re.compile(r"[;.](?:\s|$)")


def parse_processing_time(text: str | None) -> TimeParse:
    """Read a legal processing time ("Không quá 02 (hai) ngày làm việc, kể từ ...").

    Understands: N ngày làm việc / N giờ làm việc / N ngày (with "không quá", "trong",
    a number word in brackets), "ngay trong ngày" (same day; the after-15:00 rule is
    part of that kind), extensions ("kéo dài thêm không quá ...", "kéo dài hơn theo thỏa
    thuận") kept as notes. Reports: several times for different cases, a time stated
    only for a condition, months/weeks/years, bare hours, a number word that disagrees
    with the digits, and text with no duration at all.
    """
    if text is None or not text.strip():
        return TimeParse(None, [], [])
    original = clean_text(text)
    folded = fold_chars(original)
    problems: list[str] = []

    # Extensions first: the amounts inside them are not the processing time.
    taken: list[tuple[int, int]] = []
    for pattern in (_EXTENSION_RE, _BY_AGREEMENT_RE):
        for m in pattern.finditer(folded):
            if not any(a <= m.start() < b for a, b in taken):
                taken.append((m.start(), m.end()))
    taken.sort()
    notes = [original[a:b] for a, b in taken]

    mentions: list[tuple[Duration, re.Match[str]]] = []
    for m in _AMOUNT_RE.finditer(folded):
        if any(a <= m.start() < b for a, b in taken):
            continue
        unit = m.group("unit")
        mention = original[m.start():m.end()]
        if unit == "gio":
            if not _CLOCK_BEFORE_RE.search(folded[max(0, m.start() - 12):m.start()]):
                problems.append(_(
                    "Processing time: %(part)s is not stated in working hours; not imported."
                ) % {"part": _quote(mention)})
            continue
        if unit not in _TIME_UNITS:
            problems.append(_(
                "Processing time: %(part)s uses a unit the deadline calendar does not count "
                "(only working days, working hours, days or the same day)."
            ) % {"part": _quote(mention)})
            continue
        amount = int(m.group("n"))
        word = (m.group("word") or "").strip()
        if word in _NUMBER_WORDS and _NUMBER_WORDS[word] != amount:
            problems.append(_(
                "Processing time: in %(part)s the number in words does not match the digits."
            ) % {"part": _quote(mention)})
            continue
        if amount == 0:
            problems.append(_("Processing time: %(part)s is zero.") % {"part": _quote(mention)})
            continue
        mentions.append((Duration(_TIME_UNITS[unit], amount), m))

    same_day = bool(_SAME_DAY_RE.search(folded)) or bool(
        _SAME_DAY_SHORT_RE.match(folded.strip(" .;"))
    )
    distinct = list(dict.fromkeys(d for d, _m in mentions))
    if same_day and distinct:
        problems.append(_(
            "Processing time: the text gives both the same day and %(other)s for different "
            "cases; none was chosen."
        ) % {"other": ", ".join(_quote(original[m.start():m.end()]) for _d, m in mentions)})
        return TimeParse(None, notes, problems)
    if same_day:
        return TimeParse(Duration(DurationKind.SAME_DAY), notes, problems)
    if len(distinct) > 1:
        problems.append(_(
            "Processing time: the text gives different times for different cases "
            "(%(parts)s); none was chosen."
        ) % {"parts": ", ".join(_quote(original[m.start():m.end()]) for _d, m in mentions)})
        return TimeParse(None, notes, problems)
    if not distinct:
        if not problems:
            problems.append(_("Processing time: no duration found in %(text)s.")
                            % {"text": _quote(original)})
        return TimeParse(None, notes, problems)

    duration, m = mentions[0]
    # A single time that only applies "nếu ..." / "trường hợp ... thì": the other case is
    # missing, so the time is not the procedure's time.
    clause_start = 0
    for b in _CLAUSE_BREAK_RE.finditer(folded[:m.start()]):
        clause_start = b.end()
    before = folded[clause_start:m.start()]
    if _CONDITION_AFTER_RE.match(folded[m.end():]) or re.search(r"\b(?:neu|truong hop)\b",
                                                                   before):
        problems.append(_(
            "Processing time: %(part)s applies only in a stated case; the time for the "
            "other cases is not given."
        ) % {"part": _quote(original[m.start():m.end()])})
        return TimeParse(None, notes, problems)
    return TimeParse(duration, notes, problems)


# --- fees -------------------------------------------------------------------------------


class FeeItemData(TypedDict):
    kind: str
    amount_vnd: int | None
    from_quantity: int | None
    max_vnd: int | None
    channel: str
    condition: str


class FeeParse(NamedTuple):
    status: str  # FeeStatus value
    items: list[FeeItemData]
    problems: list[str]


_FREE_RE = re.compile(
    r"^(?:khong(?: (?:co|thu|mat))?|mien)"
    r"(?: (?:phi|le phi|phi, le phi|phi va le phi))?[\s.;]*$"
)
_EXEMPT_PART_RE = re.compile(r"^(?:duoc )?(?:mien phi|mien le phi|mien|khong thu(?: phi)?)$")
_MONEY_RE = re.compile(
    r"(?<![\w.,])(?P<num>\d{1,3}(?:\.\d{3})+|\d+(?:,\d+)?)(?![.,]?\d)"
    r"(?:\s*(?P<mult>trieu|nghin|ngan)\b)?"
    r"(?:\s*(?P<cur>dong|vnd|usd|eur|euro|d)\b)?"
)
_UNIT_RE = re.compile(r"^\s*/\s*(?P<unit>[^\s,;.()/]+(?:\s+[^\s,;.()/]+)?)?")
_FEE_UNITS = [  # longest first: "văn bản" before "bản"
    ("ban sao", FeeKind.PER_COPY), ("van ban", FeeKind.PER_DOCUMENT),
    ("giao dich", FeeKind.PER_TRANSACTION), ("truong hop", FeeKind.PER_CASE),
    ("ho so", FeeKind.FIXED), ("trang", FeeKind.PER_PAGE), ("ban", FeeKind.PER_COPY),
    ("th", FeeKind.PER_CASE),
]
_TIER_RE = re.compile(r"\btu (?P<unit>trang|ban|to) thu (?P<n>\d{1,4}) tro (?:len|di)\b")
_TIER_KIND = {"trang": FeeKind.PER_PAGE, "to": FeeKind.PER_PAGE, "ban": FeeKind.PER_COPY}
_CAP_BEFORE_RE = re.compile(r"\b(?:toi da|khong qua)\b[^\d]*$")
_FOREIGN_CURRENCIES = {"usd", "eur", "euro"}
_OR_RE = re.compile(r"\s+hoac\s+")
_SEGMENT_RE = re.compile(r";")
_CLAUSE_RE = re.compile(r"[,.](?=\s|$)")


def _fee_unit(folded_after: str) -> tuple[str | None, bool]:
    """The fee kind named after "/" (None if no "/"), and whether a "/" was there."""
    m = _UNIT_RE.match(folded_after)
    if not m:
        return None, False
    unit = (m.group("unit") or "").strip()
    for name, kind in _FEE_UNITS:
        if unit == name or unit.startswith(name + " "):
            return kind, True
    return None, True


def _fee_segments(original: str) -> list[tuple[str | None, int, int]]:
    """Split a fee text into (label, start, end) pieces.

    A label is the text before a top-level colon ("Nộp trực tiếp:", "Tại cơ quan đại
    diện:"), starting after the previous ";", ")" or sentence end; it holds no digits.
    A piece without its own label carries on under the previous one.
    """
    masked = _mask_parentheses(original)
    pieces: list[tuple[str | None, int, int]] = []
    label: str | None = None
    for start, end in _split_top(original, _SEGMENT_RE):
        cursor = start
        for colon in (i for i in range(start, end) if masked[i] == ":"):
            label_start = cursor
            for boundary in re.finditer(r"\)|\.\s", masked[cursor:colon]):
                label_start = cursor + boundary.end()
            candidate = original[label_start:colon].strip(" -")
            if not candidate or re.search(r"\d", candidate) or len(candidate) > 150:
                continue
            if original[cursor:label_start].strip(" ,.;-"):
                pieces.append((label, cursor, label_start))
            label, cursor = candidate, colon + 1
        if original[cursor:end].strip(" ,.;-"):
            pieces.append((label, cursor, end))
    return pieces


def _vnd(num: str, mult: str | None) -> int | None:
    if mult:
        value = float(num.replace(".", "").replace(",", "."))
        value *= 1_000_000 if mult == "trieu" else 1_000
        return int(value) if value == int(value) else None
    if "," in num:
        return None  # a decimal amount of đồng does not exist
    return int(num.replace(".", ""))


def parse_fee(text: str | None) -> FeeParse:
    """Read a published fee text into fee-schedule items (integer VND).

    Understands: "Không"/"Miễn phí" (free); "50.000 đồng/ giao dịch" and the units trang,
    bản, bản sao, văn bản, giao dịch, trường hợp (th), hồ sơ (no unit: per dossier);
    "từ trang thứ 3 trở lên thu 1.000 đồng/ trang" (tier); "tối đa thu không quá 200.000
    đồng/bản" (cap); labels "Nộp trực tiếp:" / "nộp trực tuyến:" (channel) and other
    labels (kept as the items' condition); "... hoặc miễn phí" (exemption item).
    Reports: alternatives between two amounts, foreign currencies, unknown units, amounts
    without a currency, and texts with no amount (crawl leftovers, comments).
    """
    if text is None or not text.strip():
        return FeeParse(str(FeeStatus.UNKNOWN), [], [])
    original = clean_text(text)
    folded = fold_chars(original)
    if _FREE_RE.match(folded):
        return FeeParse(str(FeeStatus.FREE), [], [])

    items: list[FeeItemData] = []
    problems: list[str] = []
    group_of: list[str | None] = []  # label of each item, for caps

    for label, start, end in _fee_segments(original):
        folded_label = fold_chars(label) if label else ""
        channel = FeeChannel.ANY
        place = label or ""
        if "truc tuyen" in folded_label:
            channel, place = FeeChannel.ONLINE, ""
        elif "truc tiep" in folded_label:
            channel, place = FeeChannel.IN_PERSON, ""
        piece_text = (f"{label}: " if label else "") + original[start:end].strip(" ,.;")
        foreign_reported = False

        for c_start, c_end in _split_top(original, _CLAUSE_RE, start, end):
            clause = original[c_start:c_end].strip()
            masked = _mask_parentheses(folded[c_start:c_end])
            qualifiers = "; ".join(
                q.strip() for q in re.findall(r"\(([^()]*)\)", original[c_start:c_end])
            )
            parts = _split_top(masked, _OR_RE)
            found: list[tuple[int, re.Match[str]]] = []  # (part number, money match)
            exempt_parts: list[int] = []
            for number, (p_start, p_end) in enumerate(parts):
                part = masked[p_start:p_end]
                moneys = [
                    m for m in _MONEY_RE.finditer(part)
                    if m.group("cur") or m.group("mult") or "." in m.group("num")
                    or (len(parts) > 1 and number < len(parts) - 1)
                ]
                if moneys:
                    found.extend((number, m) for m in moneys)
                    continue
                bare = re.sub(r"\(\s*\)", " ", part).strip(" ,.;:-")
                if _EXEMPT_PART_RE.match(bare):
                    exempt_parts.append(number)
            if not found and not exempt_parts:
                continue  # an explanation ("Trang là căn cứ để thu phí ...")
            per_part = [number for number, m in found if not _CAP_BEFORE_RE.search(
                masked[:parts[number][0] + m.start()])]
            if len(per_part) != len(set(per_part)):
                # "50.000 đồng và 20.000 đồng": a sum, a choice or a list? Not said.
                problems.append(_("Fee: %(part)s has several amounts in one phrase; "
                                  "not imported.") % {"part": _quote(clause)})
                continue

            charged: list[FeeItemData] = []
            currency_of_group = next((m.group("cur") for _n, m in found if m.group("cur")), None)
            for number, m in found:
                p_start = parts[number][0]
                cur = m.group("cur") or currency_of_group
                offset = p_start + m.start()
                mention = original[c_start + offset:c_start + p_start + m.end()]
                if cur in _FOREIGN_CURRENCIES:
                    if not foreign_reported:
                        problems.append(_(
                            "Fee: %(part)s is not in Vietnamese đồng and was not imported "
                            "(amounts are kept in whole đồng)."
                        ) % {"part": _quote(piece_text)})
                        foreign_reported = True
                    continue
                if cur is None:
                    problems.append(_("Fee: the amount %(part)s has no currency; not imported.")
                                    % {"part": _quote(mention)})
                    continue
                amount = _vnd(m.group("num"), m.group("mult"))
                if amount is None:
                    problems.append(_("Fee: the amount %(part)s is not a whole number of đồng.")
                                    % {"part": _quote(mention)})
                    continue
                # The unit follows this amount, or (for "10.000 hoặc 15.000 đồng/ trang")
                # the last amount of the alternatives.
                after = masked[p_start + m.end():]
                kind, slash = _fee_unit(after)
                if not slash and not m.group("cur"):
                    last = found[-1]
                    kind, slash = _fee_unit(masked[parts[last[0]][0] + last[1].end():])
                if slash and kind is None:
                    problems.append(_("Fee: the unit in %(part)s is not known; not imported.")
                                    % {"part": _quote(clause)})
                    continue
                kind = kind or FeeKind.FIXED
                before = masked[:p_start + m.start()]
                if _CAP_BEFORE_RE.search(before):
                    capped = [
                        item for item, group in zip(items, group_of, strict=True)
                        if group == label and item["kind"] != FeeKind.EXEMPTION
                    ]
                    if not capped:
                        problems.append(_("Fee: the maximum %(part)s has nothing to apply to.")
                                        % {"part": _quote(mention)})
                    for item in capped:
                        item["max_vnd"] = amount
                    continue
                tier = _TIER_RE.search(before)
                from_quantity = None
                if tier:
                    if _TIER_KIND[tier.group("unit")] != kind:
                        problems.append(_(
                            "Fee: in %(part)s the tier and the amount count different units."
                        ) % {"part": _quote(clause)})
                        continue
                    from_quantity = int(tier.group("n"))
                charged.append({
                    "kind": str(kind), "amount_vnd": amount, "from_quantity": from_quantity,
                    "max_vnd": None, "channel": str(channel), "condition": place[:500],
                })

            # Two amounts in one phrase were refused above, so several here are
            # alternatives ("10.000 hoặc 15.000 đồng"): the text does not say which applies.
            if len(charged) > 1:
                problems.append(_(
                    "Fee: %(part)s gives several amounts without saying which one applies; "
                    "each was imported with that text as its condition."
                ) % {"part": _quote(piece_text)})
                for item in charged:
                    item["condition"] = clause[:500]
            for item in charged:
                items.append(item)
                group_of.append(label)
            for _number in exempt_parts:
                condition = clause[:500] if len(charged) > 1 else (qualifiers or place)
                items.append({
                    "kind": str(FeeKind.EXEMPTION), "amount_vnd": None, "from_quantity": None,
                    "max_vnd": None, "channel": str(channel), "condition": condition[:500],
                })
                group_of.append(label)

    has_amount = any(item["kind"] != FeeKind.EXEMPTION for item in items)
    if has_amount:
        return FeeParse(str(FeeStatus.CHARGED), items, problems)
    if items and not problems and all(not i["condition"] and i["channel"] == FeeChannel.ANY
                                      for i in items):
        return FeeParse(str(FeeStatus.FREE), [], problems)
    if items:
        problems.append(_("Fee: %(text)s states exemptions but no amount.")
                        % {"text": _quote(original)})
        return FeeParse(str(FeeStatus.UNKNOWN), items, problems)
    if not problems:
        problems.append(_("Fee: no amount found in %(text)s.") % {"text": _quote(original)})
    return FeeParse(str(FeeStatus.UNKNOWN), [], problems)


# --- levels and agencies ----------------------------------------------------------------


class LevelsParse(NamedTuple):
    levels: list[str]
    problems: list[str]


_LEVEL_PATTERNS = [
    (Level.CENTRAL, re.compile(r"\bcap (?:trung uong|bo)\b|\btrung uong\b")),
    (Level.PROVINCE, re.compile(r"\bcap tinh\b")),
    (Level.COMMUNE, re.compile(r"\bcap xa\b")),
]


def parse_levels(text: str | None) -> LevelsParse:
    """"Cấp xã", "Cấp tỉnh; Cấp xã", "Áp dụng chung (cấp tỉnh, cấp xã)", "Cấp trung ương"."""
    if text is None or not text.strip():
        return LevelsParse([], [])
    original = clean_text(text)
    folded = fold_chars(original)
    levels = [str(level) for level, pattern in _LEVEL_PATTERNS if pattern.search(folded)]
    problems = []
    if re.search(r"\bcap huyen\b", folded):
        problems.append(_(
            "Level: %(text)s names the district level, abolished on 1 July 2025; "
            "not imported."
        ) % {"text": _quote(original)})
    elif not levels:
        problems.append(_("Level: %(text)s is not understood.") % {"text": _quote(original)})
    return LevelsParse(levels, problems)


class AgenciesParse(NamedTuple):
    types: list[str]
    problems: list[str]


# (type, pattern, on folded text?) — "sở" must be told from "số", "bộ" from "bổ": those
# two match on the lower-cased text with its diacritics.
_AGENCY_PATTERNS: list[tuple[str, re.Pattern[str], bool]] = [
    (AgencyType.CENTRAL, re.compile(r"\btrung uong\b"), True),
    (AgencyType.CENTRAL, re.compile(r"\bbộ\b(?!\s+phận)"), False),
    (AgencyType.CENTRAL, re.compile(r"(?<!chi )\bcục\b"), False),
    (AgencyType.PROVINCE_PEOPLES_COMMITTEE,
     re.compile(r"\b(?:ubnd|uy ban nhan dan)(?: cap)? tinh\b"), True),
    (AgencyType.DEPARTMENT, re.compile(r"\bsở\b|\bchi cục\b"), False),
    (AgencyType.PROVINCE_SERVICE_CENTRE,
     re.compile(r"\b(?:trung tam phuc vu hanh chinh cong|ttpvhcc)(?: cap)? tinh\b"), True),
    (AgencyType.PROVINCE_POLICE, re.compile(r"\bcong an(?: cap)? tinh\b"), True),
    (AgencyType.COMMUNE_PEOPLES_COMMITTEE,
     re.compile(r"\b(?:ubnd|uy ban nhan dan)(?: cap)? (?:xa|phuong|dac khu)\b"), True),
    (AgencyType.COMMUNE_SERVICE_CENTRE,
     re.compile(r"\b(?:trung tam phuc vu hanh chinh cong|ttpvhcc)(?: cap)? (?:xa|phuong)\b"),
     True),
    (AgencyType.COMMUNE_POLICE, re.compile(r"\bcong an(?: cap)? (?:xa|phuong|dac khu)\b"), True),
    (AgencyType.NOTARY, re.compile(r"\bcong chung\b"), True),
]


def _agency_types_in(original: str) -> list[str]:
    folded, lower = fold_chars(original), _lower(original)
    found = []
    for agency_type, pattern, on_folded in _AGENCY_PATTERNS:
        if pattern.search(folded if on_folded else lower) and agency_type not in found:
            found.append(str(agency_type))
    order = list(AgencyType.values)
    return sorted(found, key=order.index)


def parse_agency_types(text: str | None) -> AgenciesParse:
    """Types of the competent agencies named in the published "Cơ quan thực hiện".

    The text outside brackets decides; the brackets are read only when it names no
    known type ("Phòng Cảnh sát ... (Công an cấp tỉnh)"), so a note such as "(tiếp nhận
    tại TTPVHCC)" does not make the receiving desk a competent agency.
    """
    if text is None or not text.strip():
        return AgenciesParse([], [])
    original = clean_text(text)
    outside = _mask_parentheses(original)
    types = _agency_types_in(outside)
    if not types:
        inside = " ; ".join(re.findall(r"\(([^()]*)\)", original))
        types = _agency_types_in(inside) if inside else []
    if not types:
        return AgenciesParse([], [_("Agency: %(text)s names no known type of agency.")
                                  % {"text": _quote(original)}])
    return AgenciesParse(types, [])


# --- online level -----------------------------------------------------------------------


class OnlineLevelParse(NamedTuple):
    level: str  # OnlineLevel value
    problems: list[str]


_ONLINE_LEVELS = [
    ("toan trinh", OnlineLevel.FULL),
    ("mot phan", OnlineLevel.PARTIAL),
    ("truc tiep", OnlineLevel.OFFLINE),
]


def parse_online_level(value: str | None, *, full_process_online: bool | None = None
                       ) -> OnlineLevelParse:
    """Toàn trình → full, Một phần → partial, Trực tiếp → offline, nothing → unknown.

    `full_process_online` (the catalog's yes/no column) fills in a missing level only
    when it says yes; when it contradicts the level, both are reported and the level
    is left unknown.
    """
    level = OnlineLevel.UNKNOWN
    problems: list[str] = []
    if value is not None and value.strip():
        original = clean_text(value)
        folded = fold_chars(original)
        matches = [lvl for prefix, lvl in _ONLINE_LEVELS if folded.startswith(prefix)]
        if matches:
            level = matches[0]
        else:
            problems.append(_("Online level: %(text)s is not understood.")
                            % {"text": _quote(original)})
    if full_process_online is True and level == OnlineLevel.UNKNOWN and not problems:
        level = OnlineLevel.FULL
    elif full_process_online is not None and level != OnlineLevel.UNKNOWN and (
        (level == OnlineLevel.FULL) != full_process_online
    ):
        problems.append(_(
            "Online level: %(text)s contradicts the full-process-online flag; left unknown."
        ) % {"text": _quote(value or "")})
        level = OnlineLevel.UNKNOWN
    return OnlineLevelParse(str(level), problems)


# --- required papers --------------------------------------------------------------------


class PaperParse(NamedTuple):
    name: str
    form: str  # PaperForm value
    count: int | None
    problems: list[str]


_FORM_PHRASES = [  # longest first
    (r"ban chinh hoac ban sao|ban sao hoac ban chinh", PaperForm.ORIGINAL_OR_COPY),
    (r"ban sao co chung thuc|ban sao chung thuc", PaperForm.CERTIFIED_COPY),
    (r"ban chinh", PaperForm.ORIGINAL),
    (r"ban sao|ban photo|ban chup", PaperForm.COPY),
]
_FORM_RE = "|".join(f"(?:{p})" for p, _f in _FORM_PHRASES)
# "(bản chính)", "(01 bản sao)", ": 02 bản chính" at the end of the name.
_TRAILING_FORM_RE = re.compile(
    rf"(?:\s*\(\s*(?:(?P<n1>\d{{1,3}})\s*)?(?P<f1>{_FORM_RE})\s*\)"
    rf"|[\s,:;-]+(?P<n2>\d{{1,3}})\s*(?P<f2>{_FORM_RE}))\s*[.;]?$"
)
# The national portal's "Bản chính: 1 - Bản sao: 0".
_PORTAL_COUNTS_RE = re.compile(
    r"[\s,:;(-]*ban chinh\s*:\s*(?P<orig>\d{1,3})\s*[-,;]?\s*ban sao\s*:\s*(?P<copy>\d{1,3})"
    r"\s*\)?\s*[.;]?$"
)


def _form_of(phrase: str) -> str:
    for pattern, form in _FORM_PHRASES:
        if re.fullmatch(pattern, phrase):
            return str(form)
    return str(PaperForm.UNSPECIFIED)


def parse_paper(text: str) -> PaperParse:
    """Split a required paper into its name, original/copy and number of copies.

    Only a form or count stated at the end ("(bản chính)", ": 01 bản sao", "Bản chính:
    1 - Bản sao: 0") is taken out of the name; a form written inside the name is read
    only when it is the only one. Anything else stays in the name, form unspecified.
    """
    original = clean_text(text)
    folded = fold_chars(original)
    problems: list[str] = []

    portal = _PORTAL_COUNTS_RE.search(folded)
    if portal:
        name = original[:portal.start()].strip(" -:;,")
        orig, copy = int(portal.group("orig")), int(portal.group("copy"))
        if orig and not copy:
            return PaperParse(name or original, str(PaperForm.ORIGINAL), orig, problems)
        if copy and not orig:
            return PaperParse(name or original, str(PaperForm.COPY), copy, problems)
        problems.append(_(
            "Paper: %(text)s asks for originals and copies; the form was left unspecified."
        ) % {"text": _quote(original)})
        return PaperParse(name or original, str(PaperForm.UNSPECIFIED), None, problems)

    trailing = _TRAILING_FORM_RE.search(folded)
    if trailing and trailing.start() > 0:
        name = original[:trailing.start()].strip(" -:;,")
        count_text = trailing.group("n1") or trailing.group("n2")
        form = _form_of(trailing.group("f1") or trailing.group("f2"))
        count = int(count_text) if count_text else None
        if count == 0:
            problems.append(_("Paper: %(text)s asks for zero copies.")
                            % {"text": _quote(original)})
            count = None
        return PaperParse(name, form, count, problems)

    forms = {_form_of(m.group(0)) for m in re.finditer(_FORM_RE, folded)}
    if len(forms) == 1:
        return PaperParse(original, forms.pop(), None, problems)
    if len(forms) > 1:
        problems.append(_(
            "Paper: %(text)s mentions several forms (original, copy); left unspecified."
        ) % {"text": _quote(original)})
    return PaperParse(original, str(PaperForm.UNSPECIFIED), None, problems)
