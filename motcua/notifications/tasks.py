"""Huey jobs of the notifications app (the periodic ones are declared in motcua.core.tasks).

Jobs return None so Huey stores no result for each of the many deliveries.
"""

from __future__ import annotations

import threading

from huey.contrib.djhuey import db_task, on_startup

from motcua.notifications import conf
from motcua.notifications.services import notification_deliver, outbox_sweep


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
