"""Periodic jobs of the core app."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from motcua.core.services import calendar_ensure_seeded


@db_periodic_task(crontab(hour="2", minute="15"))
def calendar_seed_upcoming() -> None:
    """Make sure this year and the next are in the calendar (deadlines cross New Year)."""
    year = timezone.localdate().year
    calendar_ensure_seeded(years=[year, year + 1])
