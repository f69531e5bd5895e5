"""manage.py import_catalog FILE.json [--valid-from YYYY-MM-DD]"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from motcua.catalog.services import CatalogFileError, catalog_import
from motcua.core.datafiles import DataFileError, read_json


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(
            _("--valid-from must be a date like 2026-01-31, not %(value)r") % {"value": value}
        ) from exc


class Command(BaseCommand):
    help = "Import a procedure catalog file (JSON list, the catalog_sample.json schema)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="JSON file with a list of procedures")
        parser.add_argument(
            "--valid-from", type=str, default=None,
            help="date the new versions take effect (YYYY-MM-DD, default today)",
        )

    def handle(self, *args, **options) -> None:
        path: Path = options["file"]
        valid_from = _iso_date(options["valid_from"]) if options["valid_from"] else None
        try:
            entries = read_json(path)
        except DataFileError as exc:
            raise CommandError(str(exc)) from None
        try:
            report = catalog_import(entries=entries, source_name=path.name, valid_from=valid_from)
        except CatalogFileError as exc:
            raise CommandError(f"{path}: {exc}") from exc

        self.stdout.write(self.style.SUCCESS(
            _("%(file)s: %(created)d new, %(updated)d updated (new version), "
              "%(unchanged)d unchanged")
            % {"file": path.name, "created": report.created, "updated": report.updated,
               "unchanged": report.unchanged}
        ))
        if report.problems:
            self.stdout.write(_("Not understood (kept as published text, see import problems):"))
            for code, problems in report.problems.items():
                for problem in problems:
                    self.stdout.write(f"  {code}: {problem}")
