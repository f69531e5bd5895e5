from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from motcua.accounts.credentials import official_must_change_password, official_password_set
from motcua.catalog.formdefs import form_definitions_load
from motcua.catalog.services import (
    CatalogFileError,
    catalog_import,
    procedure_workflow_set,
    search_phrases_load_file,
)
from motcua.core.services import calendar_seed
from motcua.demo.agencies import demo_agencies_load
from motcua.demo.history import demo_history_load
from motcua.demo.officials import (
    DEMO_PASSWORD,
    demo_officials_load,
    demo_second_factor_enrol,
)
from motcua.notifications.services import message_templates_ensure_seeded
from motcua.organizations.models import AdministrativeUnit, UnitLevel
from motcua.organizations.services import (
    UnitFileError,
    units_import_current,
    units_import_history,
)
from motcua.reporting.models import Plan
from motcua.reporting.services import plan_save, reporting_rebuild
from motcua.workflows.definitions import CONSULTATION_WORKFLOW
from motcua.workflows.selectors import workflow_latest
from motcua.workflows.services import workflows_ensure_shipped

CATALOG_DIR = Path(settings.BASE_DIR) / "motcua" / "catalog" / "data"
CATALOG_FILES = ["catalog_sample.json", "lao_cai_demo.json"]
DEMO_ADMIN = ("admin", DEMO_PASSWORD)
# Demo procedures processed with a consultation of another agency (liên thông):
# land registration asks the tax office, the combined birth + residence procedure
# asks the commune police.
CONSULTATION_PROCEDURES = [
    "9.900001",
    "9.900002",
    "9.900003",
    "9.900004",
    "9.900005",
    "9.900006",
    "9.900039",
]


class Command(BaseCommand):
    help = "Load the Lào Cai demo: units, agencies, holidays, procedure catalog. Safe to rerun."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--history-days",
            type=int,
            default=365,
            help="Days of invented past dossiers for the reports (0: none).",
        )

    def handle(self, *args, **options) -> None:
        if settings.MOTCUA_ENV == "production":
            raise CommandError("The demo data is not for a production database.")
        province = settings.MOTCUA_PROVINCE_CODE
        try:
            with transaction.atomic():
                units = units_import_current(province_codes=[province])
                former = units_import_history()
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
                forms = form_definitions_load(directory=CATALOG_DIR / "forms")
                phrases = search_phrases_load_file()  # everyday names the search understands
                workflows_ensure_shipped()
                procedure_workflow_set(
                    codes=CONSULTATION_PROCEDURES,
                    workflow=workflow_latest(code=CONSULTATION_WORKFLOW),
                )
                admin_created = self._demo_admin()
                officials = demo_officials_load()
                message_templates_ensure_seeded()
            # Outside the transaction above: the importer writes in batches of its own.
            history = demo_history_load(
                today=dt.date.today(), days=options["history_days"]
            )
            self._demo_plan(province)
            reporting_rebuild()
        except (UnitFileError, CatalogFileError) as exc:
            raise CommandError(str(exc)) from exc
        if options["verbosity"] == 0:
            return
        self.stdout.write(
            f"Units: {units.by_level.get('commune', 0)} communes and wards today, "
            f"{former.created + former.unchanged + former.updated} former units"
        )
        self.stdout.write(f"Agencies: {agencies}")
        self.stdout.write(f"Invented past dossiers for the reports (demo data): {history}")
        self.stdout.write(f"Online forms: {forms.created} new, {forms.unchanged} unchanged")
        self.stdout.write(
            f"Everyday names for the search: {phrases.created} new, {phrases.unchanged} kept, "
            f"{len(phrases.skipped) + len(phrases.unmatched)} not in this catalog "
            "(manage.py load_search_phrases lists them)"
        )
        if admin_created:
            self.stdout.write("Administrator created for the demo.")
        self.stdout.write(
            f"Demo administrator: /admin/ user {DEMO_ADMIN[0]!r}, password {DEMO_ADMIN[1]!r}"
        )
        self.stdout.write(
            "Every demo login also asks for a two-step sign-in code: "
            "manage.py demo_codes [username ...] prints the codes of the moment."
        )
        self.stdout.write("Demo officials (back office at /mot-cua/):")
        for username, password, description in officials:
            self.stdout.write(f"  {username:<24} {password:<18} {description}")
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

    def _demo_plan(self, province_code: str) -> None:
        """A plan with invented targets, so the reports show progress (demo data: a
        province enters its own plan's values)."""
        year = dt.date.today().year
        name = f"Kế hoạch demo năm {year} (chỉ tiêu minh họa, không phải số liệu thật)"
        if Plan.objects.filter(name=name).exists():
            return
        province = AdministrativeUnit.objects.get(
            level=UnitLevel.PROVINCE, code=province_code, valid_to__isnull=True
        )
        plan_save(
            name=name,
            year=year,
            unit=province,
            targets={"filed_online": 60, "full_online": 80, "paid_online": 70, "on_time": 98},
        )

    def _demo_admin(self) -> bool:
        """The demo's superuser, with the demo password and two-step sign-in (it signs in
        on the officials' page like everyone else)."""
        username, password = DEMO_ADMIN
        users = get_user_model().objects
        user = users.filter(username=username).first()
        created = user is None
        if created:
            user = users.create_superuser(username=username, password=password, email="")
        elif not user.check_password(password) or official_must_change_password(user=user):
            official_password_set(user=user, password=password)
        demo_second_factor_enrol(user)
        return created
