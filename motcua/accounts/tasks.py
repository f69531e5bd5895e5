"""Periodic jobs of the accounts app (Huey finds this module)."""

from __future__ import annotations

from huey.contrib.djhuey import db_periodic_task

from motcua.accounts.services import phone_otps_purge, population_lookups_purge
from motcua.core.tasks import vn_crontab


@db_periodic_task(vn_crontab(hour="2", minute="45"))
def accounts_retention() -> None:
    """Delete old sign-in code records and population lookup records (settings,
    "Retention")."""
    phone_otps_purge()
    population_lookups_purge()
