from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from motcua.reporting.services import reporting_rebuild


class Command(BaseCommand):
    help = (
        "Recompute every Decision 766 fact and rollup from the dossiers (the numbers the "
        "incremental refresh keeps; run after changing units' successors or the catalog)."
    )

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        report = reporting_rebuild()
        self.stdout.write(
            f"{report.dossiers} dossiers counted in {time.perf_counter() - started:.1f} s"
        )
