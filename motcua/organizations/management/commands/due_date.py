from __future__ import annotations

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.core.calendar import (
    VN_TZ,
    DurationKind,
    add_working_time,
    parse_duration,
    working_time_between,
)
from motcua.core.selectors import working_calendar
from motcua.core.services import calendar_ensure_seeded
from motcua.organizations.models import Agency


class Command(BaseCommand):
    help = (
        "Print the due moment of a legal processing time received at a given moment, "
        "e.g. --start 2026-02-13T16:10 --duration '3 ngày làm việc'. The last line is "
        "the due moment in ISO 8601 (Asia/Ho_Chi_Minh)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--start",
            required=True,
            help="Moment of receipt, ISO 8601 (YYYY-MM-DDTHH:MM); local time unless an "
            "offset is given.",
        )
        parser.add_argument(
            "--duration",
            required=True,
            help="Processing time as the law writes it: '3 ngày làm việc', '4 giờ làm việc', "
            "'5 ngày', 'trong ngày'.",
        )
        parser.add_argument("--agency", metavar="CODE", help="Agency identifier code.")

    def handle(self, *args, **options) -> None:
        try:
            start = datetime.fromisoformat(options["start"].strip())
        except ValueError:
            raise CommandError(
                f"Invalid --start {options['start']!r}: use YYYY-MM-DDTHH:MM, "
                "e.g. 2026-02-13T16:10."
            ) from None
        try:
            duration = parse_duration(options["duration"])
        except ValueError as exc:
            raise CommandError(f"Invalid --duration: {exc}") from None
        agency = None
        if options["agency"]:
            agency = Agency.objects.filter(code=options["agency"]).first()
            if agency is None:
                raise CommandError(f"No agency with code {options['agency']!r}.")

        # On a fresh database the calendar is empty: seed the years the deadline spans
        # from the holidays package, widening until the due moment's year is covered.
        first_year = (start if start.tzinfo is None else start.astimezone(VN_TZ)).year
        if not 1900 <= first_year <= 2200:
            raise CommandError(f"Invalid --start {options['start']!r}: year out of range.")
        last_year = first_year
        try:
            calendar_ensure_seeded(years=[first_year])
            while True:
                calendar = working_calendar(agency=agency)
                due = add_working_time(start, duration, calendar)
                if due.year <= last_year:
                    break
                last_year = due.year
                calendar_ensure_seeded(years=range(first_year, last_year + 1))
        except (ValueError, OverflowError) as exc:  # broken agency hours, absurd durations
            raise CommandError(str(exc)) from None

        received = start.astimezone(VN_TZ) if start.tzinfo else start.replace(tzinfo=VN_TZ)
        amount = "" if duration.kind == DurationKind.SAME_DAY else f"{duration.amount} "
        minutes = int(working_time_between(start, due, calendar).total_seconds() // 60)
        self.stdout.write(
            f"Received {received.isoformat(timespec='seconds')}; {amount}{duration.kind.label}; "
            f"working time counted {minutes // 60}h{minutes % 60:02d}."
        )
        self.stdout.write(due.isoformat(timespec="seconds"))
