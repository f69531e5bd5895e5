from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.organizations.services import (
    HISTORY_FILE,
    UnitFileError,
    units_import_current,
    units_import_history,
)


class Command(BaseCommand):
    help = (
        "Import today's provinces and communes/wards from vietnam-provinces, then the "
        "pre-2025 units and their successors from a history file. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--province",
            action="append",
            dest="provinces",
            metavar="CODE",
            help="Official province code (repeatable); default MOTCUA_PROVINCE_CODE.",
        )
        parser.add_argument("--all", action="store_true", help="Import all 34 provinces.")
        parser.add_argument(
            "--history",
            type=Path,
            default=HISTORY_FILE,
            help="JSON file of pre-2025 units with successors (default: bundled Lào Cai file).",
        )
        parser.add_argument("--no-history", action="store_true")

    def handle(self, *args, **options) -> None:
        provinces = (
            None if options["all"] else (options["provinces"] or [settings.MOTCUA_PROVINCE_CODE])
        )
        try:
            current = units_import_current(province_codes=provinces)
            self.stdout.write(
                f"Current units: {current.created} created, {current.updated} updated, "
                f"{current.unchanged} unchanged ({current.by_level})"
            )
            if not options["no_history"]:
                history = units_import_history(path=options["history"])
                self.stdout.write(
                    f"Former units: {history.created} created, {history.updated} updated, "
                    f"{history.unchanged} unchanged, {history.successions} new successor links"
                )
        except UnitFileError as exc:
            raise CommandError("Nothing imported:\n" + "\n".join(exc.errors)) from exc
