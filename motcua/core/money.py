"""Money is integer VND everywhere; this only formats it for people."""

from __future__ import annotations

from django.utils.translation import get_language


def format_vnd(amount: int) -> str:
    """20000 → "20.000 đồng" in Vietnamese, "20,000 VND" in English."""
    if get_language() == "en":
        return f"{amount:,} VND"
    return f"{amount:,} đồng".replace(",", ".")
