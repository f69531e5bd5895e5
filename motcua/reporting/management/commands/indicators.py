from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.reporting import periods
from motcua.reporting.selectors import ScopeError, indicators, scope_for_code
from motcua.reporting.services import rollups_refresh


class Command(BaseCommand):
    help = (
        "Print the Decision 766 indicators of a unit (today's or pre-2025 code, or the "
        "province code) or an agency over a range of days, e.g. --unit 15 --from "
        "2024-01-01 --to 2024-03-31 --format json. Brings the rollups up to date first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--unit", required=True, metavar="CODE")
        parser.add_argument("--from", dest="first", required=True, metavar="YYYY-MM-DD")
        parser.add_argument("--to", dest="last", required=True, metavar="YYYY-MM-DD")
        parser.add_argument("--format", choices=("json", "text"), default="text")
        parser.add_argument(
            "--no-refresh",
            action="store_true",
            help="Read the rollups as they are, without bringing them up to date.",
        )

    def handle(self, *args, **options) -> None:
        try:
            period = periods.between(
                periods.parse_date(options["first"], "--from"),
                periods.parse_date(options["last"], "--to"),
            )
            scope = scope_for_code(options["unit"])
        except (periods.PeriodError, ScopeError) as exc:
            raise CommandError(str(exc)) from None
        if not options["no_refresh"]:
            rollups_refresh()
        report = indicators(scope=scope, period=period)
        if options["format"] == "json":
            payload = {
                "unit": options["unit"],
                "from": period.first.isoformat(),
                "to": period.last.isoformat(),
                "name": scope.label,
                "counted_on": scope.note,
                "indicators": {key: value.as_json() for key, value in report.values.items()},
                "total": {
                    "score": report.total.score,
                    "measured_max": report.total.measured_max,
                    "max": report.total.max,
                },
            }
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
            return
        self.stdout.write(f"{scope.label} ({scope.code}) — {period.label}")
        if scope.note:
            self.stdout.write(scope.note)
        for value in report.values.values():
            ratio = "N/A" if value.ratio is None else f"{value.ratio:.2f}%"
            score = "—" if value.score is None else f"{value.score:g}"
            self.stdout.write(
                f"{value.key:24} {value.numerator:>9} / {value.denominator:<9} {ratio:>8} "
                f"{score:>6} / {value.indicator.max:g}"
            )
        total = report.total
        self.stdout.write(f"total {total.score:g} / {total.measured_max:g} ({total.max:g})")
