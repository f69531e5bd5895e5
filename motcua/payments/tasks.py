"""Huey jobs of the payments app."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from motcua.core.calendar import VN_TZ
from motcua.core.tasks import vn_crontab
from motcua.payments.reconcile import attempts_pending_query, reconcile_day
from motcua.payments.services import refunds_collect


@db_periodic_task(crontab(minute="*/15"))
def payments_pending() -> None:
    """Ask the gateways about attempts pending for 15 minutes or more; put money for
    dossiers that ended on the refund list."""
    attempts_pending_query()
    refunds_collect()


@db_periodic_task(vn_crontab(hour="1", minute="30"))
def payments_reconcile() -> None:
    """Yesterday's payments against each gateway's record (the finance officer's report)."""
    yesterday = timezone.localtime(timezone.now(), VN_TZ).date() - timedelta(days=1)
    reconcile_day(day=yesterday)
