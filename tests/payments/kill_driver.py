"""Run by test_kill in its own process, on the database of that test.

    python tests/payments/kill_driver.py PLAN_JSON OUT_JSON

Migrates the database, loads the Lào Cai demo, then makes one received dossier waiting
for its fee (status 6) per bill of the plan and starts the plan's payment attempts
through `attempt_start`, against the gateway simulators of the test process (the PAY_*
settings come from the environment). The plan: [{"amount": 8000, "methods": ["vnpay",
"payos"]}, ...], one attempt per method, in that order. Writes the attempts to OUT_JSON:
[{"bill": n, "k": k, "bill_id": id, "method": .., "reference": .., "amount_vnd": ..,
"redirect_url": .., "state": ..}, ...].
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.test_settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402

from motcua.catalog.selectors import procedure_get_current  # noqa: E402
from motcua.dossiers.inputs import Applicant  # noqa: E402
from motcua.dossiers.services import dossier_file_online, dossier_receive  # noqa: E402
from motcua.organizations.models import Agency, AgencyType  # noqa: E402
from motcua.payments.bills import Line  # noqa: E402
from motcua.payments.services import attempt_start, bill_request  # noqa: E402

# 8.000 đồng a copy, the number of copies unknown at filing: the desk asks (status 6).
COPY = "2.000635"


def main(plan_file: Path, out_file: Path) -> None:
    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0, history_days=0)
    site = os.environ["PAY_SITE_URL"].rstrip("/")
    plan = json.loads(plan_file.read_text())
    users = get_user_model().objects
    citizen = users.create_user(username="0912000111")
    desk = users.get(username="batxat.tiepnhan")
    agency = Agency.objects.get(
        unit__name="Xã Bát Xát",
        unit__valid_to__isnull=True,
        type=AgencyType.COMMUNE_SERVICE_CENTRE,
    )
    version = procedure_get_current(code=COPY)
    attempts = []
    for n, entry in enumerate(plan):
        dossier = dossier_file_online(
            procedure_version=version,
            applicant=Applicant(
                name=f"Lò Thị Mai {n}",
                id_number=f"0101900{n:05d}",
                birth_date=date(1990, 5, 17),
                phone="0912000111",
            ),
            receiving_agency=agency,
            citizen=citizen,
        )
        dossier = dossier_receive(
            dossier=dossier, officer=desk, expected_version=dossier.lock_version
        )
        amount = int(entry["amount"])
        bill = bill_request(
            dossier=dossier,
            officer=desk,
            expected_version=dossier.lock_version,
            lines=[Line("Lệ phí", amount, 1, amount)],
        )
        for k, method in enumerate(entry["methods"]):
            attempt = attempt_start(
                bill=bill,
                method_key=method,
                idempotency_key=f"kill-{n:03d}-{k}",
                citizen=citizen,
                return_url=f"{site}/thanh-toan/tro-ve/{method}/",
                notify_url=f"{site}/api/thanh-toan/{method}/thong-bao/",
            )
            attempts.append(
                {
                    "bill": n,
                    "k": k,
                    "bill_id": bill.pk,
                    "method": method,
                    "reference": attempt.reference,
                    "amount_vnd": attempt.amount_vnd,
                    "redirect_url": attempt.redirect_url,
                    "state": attempt.state,
                }
            )
    out_file.write_text(json.dumps(attempts))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
