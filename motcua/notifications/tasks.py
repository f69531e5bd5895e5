"""Huey jobs of the notifications app: deliveries, the outbox sweeper, reminders, digests.

Jobs return None so Huey stores no result for each of the many deliveries.
"""

from __future__ import annotations

import threading

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, on_startup

from motcua.core.tasks import vn_crontab
from motcua.notifications import conf
from motcua.notifications.services import (
    deadline_reminders_send,
    leader_digests_send,
    notification_deliver,
    notifications_purge,
    outbox_sweep,
)


@db_task()
def deliver_notification(notification_id: int) -> None:
    notification_deliver(notification_id=notification_id)


@db_task()
def sweep_outbox() -> None:
    outbox_sweep()


_started = threading.Event()


@on_startup()
def sweep_after_start() -> None:
    """A worker (re)starting may follow a crash: sweep now, for jobs lost from the
    queue, and again once rows it left `sending` count as stuck. Once per process
    (the hook runs in every worker thread)."""
    if _started.is_set():
        return
    _started.set()
    sweep_outbox()
    sweep_outbox.schedule(delay=conf.get("NOTIFY_SENDING_TIMEOUT") + 1)
    sweep_outbox.schedule(delay=conf.get("NOTIFY_SWEEP_GRACE") + 1)


@db_periodic_task(crontab(minute="*"))
def notifications_sweep() -> None:
    """Re-enqueue outbox rows a crash or a lost job left behind."""
    outbox_sweep()


@db_periodic_task(crontab(minute="*/15"))
def deadline_reminders() -> None:
    """Remind assigned officers 1 working day before the due moment (once each)."""
    deadline_reminders_send()


@db_periodic_task(vn_crontab(hour="7", minute="0"))
def leader_digests() -> None:
    """The leaders' morning e-mail: late dossiers, apologies due today, failed messages."""
    leader_digests_send()


@db_periodic_task(vn_crontab(hour="2", minute="40"))
def notifications_retention() -> None:
    """Delete old sign-in code messages from the outbox (settings, "Retention")."""
    notifications_purge()
