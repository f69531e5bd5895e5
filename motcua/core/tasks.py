"""Core's periodic jobs, and `vn_crontab` for every app's (each app declares its own
periodic jobs in its tasks.py, which Huey finds: notifications, dossiers, filing).

Each job only calls a service. Times are Vietnam time (`vn_crontab`): Huey matches
crontabs against UTC. Every job is idempotent, so it does no harm when several
consumers run the scheduler (better: start extra consumers with `--no-periodic`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from motcua.core.calendar import VN_TZ
from motcua.core.once import form_keys_purge
from motcua.core.ratelimit import rate_counters_purge
from motcua.core.services import calendar_ensure_seeded


def vn_crontab(**fields: str) -> Callable[[datetime], bool]:
    """A Huey crontab read in Asia/Ho_Chi_Minh time."""
    matches = crontab(**fields)

    def validate(moment: datetime) -> bool:
        utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
        return matches(utc.astimezone(VN_TZ).replace(tzinfo=None))

    return validate


@db_periodic_task(vn_crontab(hour="9", minute="15"))
def calendar_seed_upcoming() -> None:
    """Make sure this year and the next are in the calendar (deadlines cross New Year)."""
    year = timezone.localdate().year
    calendar_ensure_seeded(years=[year, year + 1])


@db_periodic_task(vn_crontab(hour="2", minute="55"))
def rate_counters_housekeeping() -> None:
    """Delete the rate-limit counters of windows that have ended."""
    rate_counters_purge()


@db_periodic_task(vn_crontab(hour="2", minute="50"))
def form_keys_housekeeping() -> None:
    """Forget one-use form keys older than two days, and the pages kept for repeats."""
    form_keys_purge()
