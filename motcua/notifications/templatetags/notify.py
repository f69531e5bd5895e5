"""Filters for message templates: Vietnamese dates and money from the JSON context."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django import template
from django.utils.dateparse import parse_datetime

from motcua.core.calendar import VN_TZ

register = template.Library()


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        return parse_datetime(value)
    return None


@register.filter
def vn_datetime(value: Any) -> str:
    """An ISO moment (as the outbox context stores it) → "16:10 ngày 24/02/2026"."""
    moment = _moment(value)
    if moment is None:
        return ""
    local = moment.astimezone(VN_TZ) if moment.tzinfo else moment
    return f"{local:%H:%M} ngày {local:%d/%m/%Y}"


@register.filter
def vn_date(value: Any) -> str:
    moment = _moment(value)
    if moment is None:
        return ""
    local = moment.astimezone(VN_TZ) if moment.tzinfo else moment
    return f"{local:%d/%m/%Y}"


@register.filter
def vnd(value: Any) -> str:
    """20000 → "20.000 đồng" (messages are Vietnamese whatever the worker's language)."""
    try:
        amount = int(value)
    except (TypeError, ValueError):
        return ""
    return f"{amount:,} đồng".replace(",", ".")


@register.filter
def bullets(value: Any) -> str:
    """A list → one "- item" line each."""
    if isinstance(value, str):
        return value
    return "\n".join(f"- {item}" for item in value or [])


@register.filter
def joined(value: Any, sep: str = "; ") -> str:
    if isinstance(value, str):
        return value
    return sep.join(str(item) for item in value or [])


# "Giấy tờ: lý do" or "Giấy tờ - lý do" on a line of a supplement request (as form 02
# splits it); not the colon of a time such as "08:00".
_PAPER_WHY = re.compile(r"\s*:(?!\d)\s*|\s+[-–—]\s+")


@register.filter
def papers_short(value: Any, limit: int = 2) -> str:
    """The lines of a supplement request → the papers an SMS names: the first `limit`
    by name only (the reason after ":" or " - " dropped, a long name cut), then
    "và N giấy khác". The e-mail and form 02 carry the whole list."""
    try:
        limit = max(1, int(limit))
    except (TypeError, ValueError):
        limit = 2
    items = [value] if isinstance(value, str) else list(value or [])
    names = []
    for item in items:
        name = _PAPER_WHY.split(str(item).strip(), maxsplit=1)[0].strip()
        if name:
            names.append(name if len(name) <= 40 else name[:39].rstrip(" ,;") + "…")
    if not names:
        return ""
    shown = "; ".join(names[:limit])
    if len(names) > limit:
        shown += f" và {len(names) - limit} giấy khác"
    return shown
