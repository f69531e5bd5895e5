"""manage.py import_dossiers FILE.csv [--dry-run]"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from motcua.dossiers.importing import DossierImportError, dossiers_import_csv


class Command(BaseCommand):
    help = (
        "Import historical dossiers from a CSV export (columns: docs/import_dossiers.md). "
        "Every row is checked first; one bad row imports nothing. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="CSV file, UTF-8, comma-separated")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and count, write nothing"
        )

    def handle(self, *args, **options) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(_("Cannot read %(path)s: no such file") % {"path": path})
        try:
            report = dossiers_import_csv(path=path, dry_run=options["dry_run"])
        except OSError as exc:
            raise CommandError(
                _("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc}
            ) from exc
        except DossierImportError as exc:
            header = ngettext(
                "%(file)s has %(n)d error; nothing was imported:",
                "%(file)s has %(n)d errors; nothing was imported:",
                len(exc.errors),
            ) % {"file": path.name, "n": len(exc.errors)}
            raise CommandError("\n".join([header, *(f"  {e}" for e in exc.errors)])) from exc
        except IntegrityError as exc:
            # Another import wrote the same codes meanwhile; this one rolled back whole.
            raise CommandError(
                _(
                    "%(file)s: dossiers changed while importing (%(error)s); nothing was "
                    "imported, run the command again."
                )
                % {"file": path.name, "error": exc}
            ) from exc

        if report.dry_run:
            message = _(
                "%(file)s: %(rows)d rows checked, no errors; would create %(created)d, "
                "update %(updated)d, leave %(unchanged)d unchanged (dry run, nothing written)"
            )
        else:
            message = _(
                "%(file)s: %(rows)d rows; %(created)d created, %(updated)d updated, "
                "%(unchanged)d unchanged in %(seconds).1f s (%(rate)d rows/s)"
            )
        self.stdout.write(
            self.style.SUCCESS(
                message
                % {
                    "file": report.source_name,
                    "rows": report.rows,
                    "created": report.created,
                    "updated": report.updated,
                    "unchanged": report.unchanged,
                    "seconds": report.seconds,
                    "rate": report.rows_per_second,
                }
            )
        )
