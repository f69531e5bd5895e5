"""Periodic jobs of the reporting app."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from motcua.core.tasks import vn_crontab
from motcua.reporting.services import reporting_rebuild, rollups_refresh


@db_periodic_task(crontab(minute="*"))
def reporting_rollups_refresh() -> None:
    """Every minute: the dashboards are at most a few minutes behind the dossiers."""
    rollups_refresh()


@db_periodic_task(vn_crontab(hour="2", minute="40"))
def reporting_nightly_rebuild() -> None:
    """Nightly, from scratch: catches what the refresh cannot see (a unit's successor
    or a procedure's online level changed, a dossier deleted)."""
    reporting_rebuild()
