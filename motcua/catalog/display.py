"""Plain-language descriptions of catalog values for citizen pages."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from motcua.catalog.models import FeeChannel, FeeItem, FeeKind, FeeStatus, ProcedureVersion
from motcua.core.calendar import DurationKind
from motcua.core.money import format_vnd


def duration_text(kind: str, amount: int | None) -> str:
    if kind == DurationKind.SAME_DAY:
        return _("The same day (if you file after 15:00, the next working day)")
    if amount is None:
        return ""
    if kind == DurationKind.WORKING_DAYS:
        return ngettext("%(n)d working day", "%(n)d working days", amount) % {"n": amount}
    if kind == DurationKind.WORKING_HOURS:
        return ngettext("%(n)d working hour", "%(n)d working hours", amount) % {"n": amount}
    if kind == DurationKind.CALENDAR_DAYS:
        return ngettext("%(n)d day", "%(n)d days", amount) % {"n": amount}
    return ""


_PER_UNIT = {
    FeeKind.PER_PAGE: gettext_lazy("per page"),
    FeeKind.PER_COPY: gettext_lazy("per copy"),
    FeeKind.PER_DOCUMENT: gettext_lazy("per document"),
    FeeKind.PER_TRANSACTION: gettext_lazy("per transaction"),
    FeeKind.PER_CASE: gettext_lazy("per case"),
}
_CHANNEL = {
    FeeChannel.IN_PERSON: gettext_lazy("Filed in person"),
    FeeChannel.ONLINE: gettext_lazy("Filed online"),
}


def fee_line(item: FeeItem) -> str:
    if item.kind == FeeKind.EXEMPTION:
        text = _("Free for some people") if item.condition else _("Free of charge")
    else:
        parts = [format_vnd(item.amount_vnd)] if item.amount_vnd is not None else []
        if item.kind in _PER_UNIT:
            parts.append(str(_PER_UNIT[item.kind]))
        text = " ".join(parts)
        if item.from_quantity:
            if item.kind == FeeKind.PER_PAGE:
                text = _("from page %(n)d on: %(fee)s") % {"n": item.from_quantity, "fee": text}
            else:
                text = _("from number %(n)d on: %(fee)s") % {"n": item.from_quantity, "fee": text}
        if item.max_vnd is not None:
            text += ", " + _("at most %s") % format_vnd(item.max_vnd)
    if item.channel in _CHANNEL:
        text = f"{_CHANNEL[item.channel]}: {text}"
    if item.condition:
        text += f" ({item.condition})"
    return text


def fee_summary(version: ProcedureVersion) -> list[str]:
    if version.fee_status == FeeStatus.FREE:
        return [_("Free of charge")]
    return [fee_line(item) for item in version.fees.all()]
