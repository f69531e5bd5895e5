"""{{ amount|vnd }}: integer VND as people read it ("8.000 đồng", "8,000 VND")."""

from __future__ import annotations

from django import template

from motcua.core.money import format_vnd

register = template.Library()


@register.filter
def vnd(amount: int | None) -> str:
    return "" if amount is None else format_vnd(int(amount))
