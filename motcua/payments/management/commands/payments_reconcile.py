from __future__ import annotations

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from motcua.payments.reconcile import attempts_pending_query, reconcile_day
from motcua.payments.services import refunds_collect


class Command(BaseCommand):
    help = (
        "Ask the gateways about pending payment attempts, put money for ended dossiers on "
        "the refund list, and reconcile a day (default: yesterday) — what the worker's "
        "15-minute and nightly jobs do, run by hand (after an outage, for instance)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--pending-older-than",
            type=float,
            default=None,
            help="seconds (default PAY_PENDING_QUERY_AFTER)",
        )
        parser.add_argument("--day", default="", help="YYYY-MM-DD (default: yesterday)")

    def handle(self, *args, **options) -> None:
        try:
            day = (
                date.fromisoformat(options["day"])
                if options["day"]
                else (timezone.localdate() - timedelta(days=1))
            )
        except ValueError as exc:
            raise CommandError(f"--day: {exc}") from exc
        pending = attempts_pending_query(older_than=options["pending_older_than"])
        refunds = refunds_collect()
        self.stdout.write(
            f"pending: asked {pending.asked}, paid {pending.paid}, failed {pending.failed}, "
            f"expired {pending.expired}, errors {pending.errors}; refunds added {refunds}"
        )
        for report in reconcile_day(day=day):
            self.stdout.write(
                f"{report.day} {report.method}: ours {report.ours}, gateway {report.theirs}, "
                f"recovered {report.recovered}, differences {len(report.differences)}"
                + (f", error {report.error}" if report.error else "")
            )
