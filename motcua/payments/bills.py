"""From a procedure's fee schedule (catalog FeeItems) to the lines of a bill.

Pure: reads the schedule, computes; the services write. The schedule comes from the
published text (motcua.catalog.parsing.parse_fee), so it can be ambiguous ("10.000 hoặc
15.000 đồng"): then no amount is invented, the bill waits for the desk, which knows.

Which items apply:
- the channel's own items ("nộp trực tuyến: …") and the items for any channel;
- items with no condition, or all sharing one label ("Lệ phí cấp Giấy chứng nhận: …"),
  are the standard charge; an item with another condition is a reduced rate for the
  group it names ("sinh viên …: 100.000 đồng"), an exemption item a waiver for its
  group ("hộ nghèo …: miễn phí"). The citizen may claim a rate; the officer confirms it.
- per copy / page / document: the quantity comes from the online form (its `fee_units`,
  motcua.catalog.formdefs) or from the officer; tiers ("từ trang thứ 3 trở lên") and caps
  ("tối đa … /bản") apply per copy, as the schedules state them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from motcua.catalog.models import FeeChannel, FeeItem, FeeKind
from motcua.core.money import format_vnd

QUANTITY_KINDS = (FeeKind.PER_COPY, FeeKind.PER_PAGE, FeeKind.PER_DOCUMENT)


@dataclass(frozen=True)
class Document:
    pages: int = 1
    copies: int = 1


@dataclass(frozen=True)
class Units:
    """How much of a per-unit fee a dossier uses."""

    documents: tuple[Document, ...] = ()  # per page / per document fees
    copies: int = 0  # per copy fees (0: not known)

    def known_for(self, kind: str) -> bool:
        if kind == FeeKind.PER_COPY:
            return self.copies > 0 or bool(self.documents)
        if kind in (FeeKind.PER_PAGE, FeeKind.PER_DOCUMENT):
            return bool(self.documents)
        return True


@dataclass(frozen=True)
class Line:
    description: str
    unit_vnd: int
    quantity: int
    amount_vnd: int


@dataclass(frozen=True)
class Rate:
    """A reduced rate or a waiver a group may claim."""

    key: str  # stable within the schedule: "r<position>" / "x<position>"
    group: str  # who it is for, as the schedule says
    amount_vnd: int  # 0 for a waiver
    lines: tuple[Line, ...] = ()


@dataclass(frozen=True)
class Charge:
    """What a dossier owes by the schedule; `lines` is None when it cannot be told."""

    lines: tuple[Line, ...] | None
    rates: tuple[Rate, ...] = ()
    why_unknown: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def total_vnd(self) -> int:
        return sum(line.amount_vnd for line in self.lines or ())


def _unit_name(kind: str) -> str:
    return {
        FeeKind.PER_PAGE: _("page"),
        FeeKind.PER_COPY: _("copy"),
        FeeKind.PER_DOCUMENT: _("document"),
        FeeKind.PER_TRANSACTION: _("transaction"),
        FeeKind.PER_CASE: _("case"),
    }.get(kind, _("dossier"))


def _describe(label: str, kind: str, unit_vnd: int, quantity: int) -> str:
    base = label or _("Fee")
    per = _("%(amount)s per %(unit)s") % {"amount": format_vnd(unit_vnd), "unit": _unit_name(kind)}
    if quantity == 1 and kind not in QUANTITY_KINDS:
        return f"{base} ({per})"
    return f"{base} ({per} × {quantity})"


def _page_lines(label: str, tiers: Sequence[FeeItem], units: Units) -> list[Line]:
    """Per-page tiers, capped per copy: one line per document."""
    ordered = sorted(tiers, key=lambda t: t.from_quantity or 1)
    cap = next((t.max_vnd for t in ordered if t.max_vnd), None)
    lines = []
    for number, doc in enumerate(units.documents, start=1):
        per_copy = 0
        for index, tier in enumerate(ordered):
            first = tier.from_quantity or 1
            last = (ordered[index + 1].from_quantity or 1) - 1 if index + 1 < len(ordered) else None
            pages = max(0, (min(doc.pages, last) if last else doc.pages) - first + 1)
            per_copy += pages * (tier.amount_vnd or 0)
        if cap:
            per_copy = min(per_copy, cap)
        description = _("%(label)s: document %(number)d, %(pages)d pages × %(copies)d copies") % {
            "label": label or _("Fee"),
            "number": number,
            "pages": doc.pages,
            "copies": doc.copies,
        }
        lines.append(Line(description, per_copy, doc.copies, per_copy * doc.copies))
    return lines


def _lines(items: Sequence[FeeItem], units: Units) -> tuple[list[Line] | None, str]:
    label = items[0].condition if items else ""
    pages = [i for i in items if i.kind == FeeKind.PER_PAGE]
    others = [i for i in items if i.kind != FeeKind.PER_PAGE]
    kinds = [i.kind for i in others]
    if len(set(kinds)) != len(kinds):
        return None, _("The schedule lists several amounts without saying which applies.")
    lines: list[Line] = []
    if pages:
        if not units.documents:
            return None, _("The fee depends on the number of pages.")
        lines += _page_lines(label, pages, units)
    for item in others:
        if item.amount_vnd is None:
            return None, _("The schedule gives no amount.")
        if not units.known_for(item.kind):
            return None, _("The fee depends on the number of copies or documents.")
        if item.kind == FeeKind.PER_COPY:
            quantity = units.copies or sum(d.copies for d in units.documents)
        elif item.kind == FeeKind.PER_DOCUMENT:
            quantity = len(units.documents)
        else:
            quantity = 1
        amount = item.amount_vnd * quantity
        if item.max_vnd:
            amount = min(amount, item.max_vnd)
        lines.append(
            Line(
                _describe(label, item.kind, item.amount_vnd, quantity),
                item.amount_vnd,
                quantity,
                amount,
            )
        )
    return lines, ""


def charge(items: Iterable[FeeItem], *, channel: str, units: Units | None = None) -> Charge:
    """What the schedule `items` charge a dossier filed through `channel`."""
    units = units or Units()
    usable = [i for i in items if i.channel in (FeeChannel.ANY, channel)]
    waivers = [i for i in usable if i.kind == FeeKind.EXEMPTION]
    charged = [i for i in usable if i.kind != FeeKind.EXEMPTION]
    if not charged:
        return Charge(lines=())
    conditions = list(dict.fromkeys(i.condition for i in charged))
    if len(conditions) == 1:
        standard, reduced = charged, []
    else:
        standard = [i for i in charged if not i.condition]
        reduced = [i for i in charged if i.condition]
        if not standard:
            return Charge(None, why_unknown=_("The schedule's amounts each depend on a condition."))
    lines, why = _lines(standard, units)
    if lines is None:
        return Charge(None, why_unknown=why)
    rates: list[Rate] = []
    for item in reduced:
        rate_lines, _why = _lines([item], units)
        if rate_lines:
            rates.append(
                Rate(
                    f"r{item.position}",
                    item.condition,
                    sum(r.amount_vnd for r in rate_lines),
                    tuple(rate_lines),
                )
            )
    for item in waivers:
        group = item.condition if item.condition and "hoặc" not in item.condition else ""
        rates.append(Rate(f"x{item.position}", group or _("groups exempted by law"), 0))
    return Charge(lines=tuple(lines), rates=tuple(rates))


def units_from_answers(fee_units: dict[str, Any] | None, answers: dict[str, Any]) -> Units:
    """Quantities from the online form's answers, as its `fee_units` block maps them:
    {"copies": "<field>"} or {"documents": "<repeat>", "pages": "<field>",
    "copies": "<field>"}."""
    if not fee_units:
        return Units()

    def number(value: Any) -> int:
        try:
            return max(0, int(value))
        except (TypeError, ValueError):
            return 0

    repeat = fee_units.get("documents")
    if repeat:
        documents = []
        for row in answers.get(repeat) or []:
            if isinstance(row, dict):
                pages = number(row.get(fee_units.get("pages", ""), 1)) or 1
                copies = number(row.get(fee_units.get("copies", ""), 1)) or 1
                documents.append(Document(pages=pages, copies=copies))
        return Units(documents=tuple(documents))
    return Units(copies=number(answers.get(fee_units.get("copies", ""))))
