"""Every periodic job of motcua, declared in this one place.

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


@db_periodic_task(crontab(minute="*"))
def notifications_sweep() -> None:
    """Re-enqueue outbox rows a crash or a lost job left behind."""
    from motcua.notifications.services import outbox_sweep

    outbox_sweep()


@db_periodic_task(crontab(minute="*/5"))
def dossiers_overdue_mark() -> None:
    """Flag running dossiers past their due moment as late."""
    from motcua.notifications.services import dossiers_mark_overdue

    dossiers_mark_overdue()


@db_periodic_task(crontab(minute="*/15"))
def deadline_reminders() -> None:
    """Remind assigned officers 1 working day before the due moment (once each)."""
    from motcua.notifications.services import deadline_reminders_send

    deadline_reminders_send()


@db_periodic_task(vn_crontab(hour="7", minute="0"))
def leader_digests() -> None:
    """The leaders' morning e-mail: late dossiers, apologies due today, failed messages."""
    from motcua.notifications.services import leader_digests_send

    leader_digests_send()


@db_periodic_task(vn_crontab(hour="2", minute="30"))
def drafts_housekeeping() -> None:
    """Delete long-abandoned online forms and the photos of submitted ones."""
    from motcua.dossiers.drafts import drafts_purge

    drafts_purge()
