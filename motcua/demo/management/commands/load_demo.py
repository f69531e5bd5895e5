from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from motcua.catalog.services import CatalogFileError, catalog_import
from motcua.core.services import calendar_seed
from motcua.demo.agencies import demo_agencies_load
from motcua.organizations.services import (
    UnitFileError,
    units_import_current,
    units_import_history,
)

CATALOG_DIR = Path(settings.BASE_DIR) / "motcua" / "catalog" / "data"
CATALOG_FILES = ["catalog_sample.json", "lao_cai_demo.json"]


class Command(BaseCommand):
    help = "Load the Lào Cai demo: units, agencies, holidays, procedure catalog. Safe to rerun."

    def handle(self, *args, **options) -> None:
        province = settings.MOTCUA_PROVINCE_CODE
        try:
            with transaction.atomic():
                units = units_import_current(province_codes=[province])
                history = units_import_history()
                agencies = demo_agencies_load(province_code=province)
                year = dt.date.today().year
                days = calendar_seed(years=range(year - 1, year + 3))
                reports = [
                    catalog_import(
                        entries=json.loads((CATALOG_DIR / name).read_text(encoding="utf-8")),
                        source_name=name,
                    )
                    for name in CATALOG_FILES
                ]
        except (UnitFileError, CatalogFileError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Units: {units.by_level.get('commune', 0)} communes and wards today, "
            f"{history.created + history.unchanged + history.updated} former units"
        )
        self.stdout.write(f"Agencies: {agencies}")
        self.stdout.write(
            f"Calendar days (holidays, days off, working Saturdays): {days.created} new, "
            f"{days.updated} updated, {days.kept} kept as the administrator set them"
        )
        for name, report in zip(CATALOG_FILES, reports, strict=True):
            self.stdout.write(
                f"Catalog {name}: {report.created} new, {report.updated} updated, "
                f"{report.unchanged} unchanged, {len(report.problems)} with parts not read "
                "(see import problems in the admin)"
            )
