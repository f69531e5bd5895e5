"""manage.py load_search_phrases [FILE.json]"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from motcua.catalog.services import PHRASES_FILE, CatalogFileError, search_phrases_load_file


class Command(BaseCommand):
    help = (
        "Add the everyday names of procedures the search understands (default: the shipped "
        "motcua/catalog/data/search_phrases.json). Safe to rerun: phrases already stored "
        "are left as the administrator keeps them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, nargs="?", default=PHRASES_FILE)

    def handle(self, *args, **options) -> None:
        path: Path = options["file"]
        try:
            report = search_phrases_load_file(path=path)
        except CatalogFileError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(
            _("%(file)s: %(created)d new phrases, %(unchanged)d already there")
            % {"file": path.name, "created": report.created, "unchanged": report.unchanged}
        ))
        if report.skipped:
            self.stdout.write(_("Skipped, the procedure is not in the catalog:"))
            for phrase, code in report.skipped:
                self.stdout.write(f"  {phrase} → {code}")
        if report.unmatched:
            self.stdout.write(_("Stored, but no procedure's name holds the official words yet:"))
            for phrase, words in report.unmatched:
                self.stdout.write(f"  {phrase} → {words}")
