"""Asking the gateways: attempts left pending, and the daily reconciliation.

A citizen who closed the browser, a callback lost on the way, a worker killed mid-way:
the money is at the gateway and the gateway's status query or statement says so. Both
jobs feed `notice_apply`, the one path to a payment, so running them twice (or while a
late callback arrives) records nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import F, Q
from django.utils import timezone

from motcua.core.calendar import VN_TZ
from motcua.payments import conf
from motcua.payments.methods.base import GatewayError, Notice
from motcua.payments.methods.base import Outcome as Said
from motcua.payments.methods.registry import registry
from motcua.payments.models import Attempt, AttemptState, Payment, Reconciliation, Source
from motcua.payments.services import Applied, NoticeRejected, attempt_info, notice_apply


@dataclass(frozen=True)
class PendingReport:
    asked: int
    paid: int
    failed: int
    expired: int
    errors: int


def attempt_ask(attempt: Attempt, *, now: datetime) -> Applied | None:
    """Ask the gateway once what became of `attempt` and apply its answer. None when its
    method is not configured (nothing asked); result "error" when the gateway did not
    answer usefully (it is asked again later)."""
    method = registry.get(attempt.method)
    if method is None or not method.online or not method.configured():
        return None
    Attempt.objects.filter(pk=attempt.pk).update(queried_at=now, queries=F("queries") + 1)
    try:
        notice = method.query(attempt_info(attempt))
        return notice_apply(method=method, notice=notice, source=Source.QUERY)
    except (GatewayError, NoticeRejected):
        return Applied("error", attempt)


def attempts_pending_query(
    *, now: datetime | None = None, older_than: float | None = None, limit: int = 500
) -> PendingReport:
    """Ask the gateway about attempts still started/pending after PAY_PENDING_QUERY_AFTER
    seconds (and not asked in that long); give up those older than PAY_PENDING_EXPIRE
    (a success that arrives later is still recorded)."""
    now = now or timezone.now()
    wait = timedelta(
        seconds=conf.get("PAY_PENDING_QUERY_AFTER") if older_than is None else older_than
    )
    expire = timedelta(seconds=conf.get("PAY_PENDING_EXPIRE"))
    due = (
        Attempt.objects.filter(
            state__in=[AttemptState.STARTED, AttemptState.PENDING], created_at__lte=now - wait
        )
        .filter(Q(queried_at__isnull=True) | Q(queried_at__lte=now - wait))
        .select_related(
            "bill__dossier__procedure_version__procedure", "bill__dossier__receiving_agency"
        )
        .order_by("created_at")[:limit]
    )
    asked = paid = failed = expired = errors = 0
    for attempt in due:
        applied = attempt_ask(attempt, now=now)
        if applied is None:
            continue
        asked += 1
        if applied.result == "error":
            errors += 1
        elif applied.result in ("recorded", "already", "refund"):
            paid += 1
        elif applied.result == "failed":
            failed += 1
        elif attempt.created_at <= now - expire:
            expired += Attempt.objects.filter(
                pk=attempt.pk, state__in=[AttemptState.STARTED, AttemptState.PENDING]
            ).update(state=AttemptState.EXPIRED, updated_at=now)
    return PendingReport(asked, paid, failed, expired, errors)


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=VN_TZ)
    return start, start + timedelta(days=1)


def reconcile_day(*, day: date, methods: list[str] | None = None) -> list[Reconciliation]:
    """Compare each online method's payments of `day` (local) with the gateway's own
    record; record what only the gateway knows (a payment whose callback never came);
    write the differences for the finance officer. Running it again replaces the
    day's report."""
    start, end = _day_bounds(day)
    reports = []
    for method in registry.online():
        if methods is not None and method.key not in methods:
            continue
        payments = list(
            Payment.objects.filter(
                method=method.key, paid_at__gte=start, paid_at__lt=end
            ).select_related("attempt")
        )
        by_txn = {p.gateway_txn: p for p in payments if p.gateway_txn}
        by_ref = {p.attempt.reference: p for p in payments if p.attempt}
        report = Reconciliation(
            method=method.key, day=day, ran_at=timezone.now(), ours=len(payments)
        )
        try:
            theirs: list[Notice] = [n for n in method.statement(day) if n.outcome == Said.PAID]
        except GatewayError as exc:
            report.error = str(exc)[:500] or exc.__class__.__name__
            theirs = []
        report.theirs = len(theirs)
        differences = []
        matched: set[int] = set()
        for notice in theirs:
            mine = by_txn.get(notice.gateway_txn) or by_ref.get(notice.reference)
            if mine is not None:
                matched.add(mine.pk)
            if mine is None:
                try:
                    applied = notice_apply(method=method, notice=notice, source=Source.STATEMENT)
                except NoticeRejected as exc:
                    differences.append(
                        {
                            "kind": "rejected",
                            "reference": notice.reference,
                            "gateway_txn": notice.gateway_txn,
                            "amount_vnd": notice.amount_vnd,
                            "detail": exc.message,
                        }
                    )
                    continue
                if applied.result == "recorded":
                    report.recovered += 1
                    differences.append(
                        {
                            "kind": "recovered",
                            "reference": notice.reference,
                            "gateway_txn": notice.gateway_txn,
                            "amount_vnd": notice.amount_vnd,
                        }
                    )
                elif applied.result == "refund":
                    differences.append(
                        {
                            "kind": "refund",
                            "reference": notice.reference,
                            "gateway_txn": notice.gateway_txn,
                            "amount_vnd": notice.amount_vnd,
                        }
                    )
            elif mine.amount_vnd != notice.amount_vnd:
                differences.append(
                    {
                        "kind": "amount",
                        "reference": notice.reference,
                        "gateway_txn": notice.gateway_txn,
                        "ours": mine.amount_vnd,
                        "theirs": notice.amount_vnd,
                    }
                )
        if not report.error:
            for payment in payments:
                if payment.pk not in matched:
                    differences.append(
                        {
                            "kind": "missing_at_gateway",
                            "reference": payment.attempt.reference if payment.attempt else "",
                            "gateway_txn": payment.gateway_txn,
                            "amount_vnd": payment.amount_vnd,
                            "receipt": payment.receipt,
                        }
                    )
        report.differences = differences
        Reconciliation.objects.filter(method=method.key, day=day).delete()
        report.save()
        reports.append(report)
    return reports
