"""Periodic jobs of the dossiers app."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from motcua.dossiers.timing import dossiers_mark_overdue


@db_periodic_task(crontab(minute="*/5"))
def dossiers_overdue_mark() -> None:
    """Flag running dossiers past their legal due moment as late (the one timing rule)."""
    dossiers_mark_overdue()
