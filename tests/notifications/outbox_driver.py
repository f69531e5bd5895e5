"""Run by test_worker_kill in its own process, on the file database of that test.

    python tests/notifications/outbox_driver.py setup     # the Lào Cai demo, officials
    python tests/notifications/outbox_driver.py run N [PAUSE_AT RESUME_FILE]

`run` makes N status changes; with PAUSE_AT it stops after that many until
RESUME_FILE exists, so the test can kill the worker in the middle of the series.

Each status change is a counter reception through the real lifecycle service: one
transaction writing the dossier, its event and a `received` outbox row, whose delivery
job is queued on commit. Odd-numbered applicants give only an e-mail address, the
others only a phone: half the messages go by SMS, half by e-mail.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from motcua.accounts.models import RoleAssignment  # noqa: E402
from motcua.catalog.selectors import procedure_get_current  # noqa: E402
from motcua.demo.officials import demo_officials_load  # noqa: E402
from motcua.dossiers.services import (  # noqa: E402
    Applicant,
    PaperInput,
    dossier_receive_at_counter,
)

BIRTH = "1.001193"


def setup() -> None:
    call_command("load_demo", verbosity=0, history_days=0)
    demo_officials_load()


def run(count: int, pause_at: int = 0, resume_file: Path | None = None) -> None:
    version = procedure_get_current(code=BIRTH)
    assert version is not None
    papers = [
        PaperInput(name=p.name, form="original", required_paper=p) for p in version.papers.all()
    ]
    desks = []
    for username in ("batxat.tiepnhan", "laocai.tiepnhan"):
        assignment = RoleAssignment.objects.select_related("user", "agency").get(
            user__username=username
        )
        desks.append((assignment.user, assignment.agency))
    for i in range(count):
        officer, agency = desks[i % 2]
        by_email = i % 2 == 1
        dossier_receive_at_counter(
            officer=officer,
            agency=agency,
            procedure_version=version,
            applicant=Applicant(
                name=f"Nguyễn Văn Thử {i}",
                id_number=f"010190{i:06d}",
                birth_date=date(1990, 5, 17),
                phone="" if by_email else f"091{i:07d}",
                email=f"nguoi{i}@example.vn" if by_email else "",
                address="Thôn Trung Chải",
            ),
            papers=papers,
        )
        if i % 100 == 99:
            print(f"{i + 1} status changes", flush=True)
        if i + 1 == pause_at and resume_file is not None:
            while not resume_file.exists():
                time.sleep(0.02)


if __name__ == "__main__":
    if sys.argv[1] == "setup":
        setup()
    else:
        pause = int(sys.argv[3]) if len(sys.argv) > 3 else 0
        run(int(sys.argv[2]), pause, Path(sys.argv[4]) if len(sys.argv) > 4 else None)
