from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from motcua.core.services import calendar_seed


def _years(text: str) -> list[int]:
    """'2026' or '2025-2027'."""
    try:
        first, _sep, last = text.partition("-")
        low, high = int(first), int(last or first)
    except ValueError:
        raise CommandError(f"Invalid year {text!r}: use 2026 or 2025-2027.") from None
    if not 1900 <= low <= high <= 2200:
        raise CommandError(f"Invalid year range {text!r}.")
    return list(range(low, high + 1))


class Command(BaseCommand):
    help = (
        "Load Vietnam's public holidays, days off and compensatory working days from the "
        "holidays package into the calendar. Safe to run again; rows an administrator "
        "created or edited are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--year",
            action="append",
            dest="years",
            metavar="YEAR[-YEAR]",
            help="Year or range of years (repeatable); default this year and the next.",
        )

    def handle(self, *args, **options) -> None:
        if options["years"]:
            years = sorted({y for text in options["years"] for y in _years(text)})
        else:
            this_year = timezone.localdate().year
            years = [this_year, this_year + 1]
        result = calendar_seed(years=years)
        self.stdout.write(
            f"Calendar {years[0]}–{years[-1]}: {result.created} created, {result.updated} "
            f"updated, {result.deleted} deleted, {result.kept} kept (administrator)."
        )
