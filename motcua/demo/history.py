"""Demo history: a year of made-up past dossiers, so that leaders' reports have numbers.

DEMO DATA, NOT FACTS: every dossier here is invented (codes start with "DEMO-", the
applicant is the importer's placeholder). They go in through the real importer
(motcua.dossiers.importing), like a former system's export would, and so feed the
Decision 766 rollups the same way. Each commune gets its own invented "digital
maturity" so that units differ and the ranking has something to show.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

from motcua.catalog.models import FeeStatus, OnlineLevel, Procedure, VersionState
from motcua.core.calendar import VN_TZ
from motcua.dossiers.importing import COLUMNS, dossiers_import_csv
from motcua.dossiers.models import Dossier
from motcua.organizations.models import Agency, AgencyType

PREFIX = "DEMO-"
RETURNED_WITHIN = 14  # days: the longest invented handling is 7 days + 90 hours
PER_COMMUNE_DAY = 0.35  # dossiers a commune agency handles a working day, on average


def _procedures(level: str) -> list[tuple[str, bool, bool, bool]]:
    """(code, full online, partly online, fee) of published procedures of a level."""
    out = []
    rows = Procedure.objects.filter(current__state=VersionState.PUBLISHED).values_list(
        "code", "current__levels", "current__online_level", "current__fee_status"
    )
    for code, levels, online_level, fee_status in rows:
        if level in (levels or []):
            out.append(
                (
                    code,
                    online_level == OnlineLevel.FULL,
                    online_level == OnlineLevel.PARTIAL,
                    fee_status == FeeStatus.CHARGED,
                )
            )
    return sorted(out)


def _row(rng: random.Random, n: int, agency: Agency, procedure, maturity: float, day):
    code, full, partial, fee = procedure
    received = dt.datetime.combine(day, dt.time(7, 30), tzinfo=VN_TZ) + dt.timedelta(
        minutes=rng.randrange(0, 8 * 60)
    )
    online = (full or partial) and rng.random() < maturity
    due = received + dt.timedelta(days=rng.choice((1, 3, 5, 7)))
    late = rng.random() < 0.12 * (1.2 - maturity)
    finished = (
        due + dt.timedelta(hours=rng.randrange(2, 60))
        if late
        else (received + (due - received) * rng.uniform(0.2, 0.95))
    )
    returned = finished + dt.timedelta(hours=rng.randrange(1, 30))
    status = "10"
    supplements = 2 if late and rng.random() < 0.2 else int(rng.random() < 0.06)
    paid_online = fee and online and rng.random() < maturity
    full_online = online and full and (not fee or paid_online) and rng.random() < 0.95
    return {
        "code": f"{PREFIX}{agency.code}-{received:%y%m%d}-{n:05d}",
        "procedure_code": code,
        "receiving_agency_code": agency.code,
        "competent_agency_code": agency.code,
        "unit_code": agency.unit.code if agency.unit.level == "commune" else "",
        "channel": "2" if online else "1",
        "applicant_type": "person",
        "received_at": received.isoformat(timespec="minutes"),
        "due_at": due.isoformat(timespec="minutes"),
        "finished_at": finished.isoformat(timespec="minutes"),
        "returned_at": returned.isoformat(timespec="minutes"),
        "status": status,
        "full_online": "1" if full_online else "0",
        "fee_amount": "20000" if fee else "0",
        "paid_online": "1" if paid_online else "0",
        "supplement_requests": str(supplements),
        "supplement_days": "1" if supplements else "",
        "e_result": "1" if status in ("9", "10") and online and rng.random() < maturity else "0",
        "digitized": "1" if online or rng.random() < maturity else "0",
        "reused_data": "1" if online and rng.random() < maturity * 0.6 else "0",
        "rating": rng.choice(("", "", "2", "2", "1", "0" if late else "2")),
    }


def demo_history_load(*, today: dt.date, days: int = 365, seed: int = 766) -> int:
    """Import invented past dossiers received over `days` days, all returned by
    `today` (so no invented dossier waits in an officer's inbox), into the communes'
    People's Committees and the Department of Justice. Once: a database that already
    holds demo history is left alone. Returns the dossiers created."""
    if days <= 0 or Dossier.objects.filter(code__startswith=PREFIX).exists():
        return 0
    rng = random.Random(seed)
    last = today - dt.timedelta(days=RETURNED_WITHIN)
    commune = _procedures("commune")
    province = _procedures("province")
    agencies = list(
        Agency.objects.filter(
            type__in=[AgencyType.COMMUNE_PEOPLES_COMMITTEE, AgencyType.DEPARTMENT],
            unit__valid_to__isnull=True,
            is_active=True,
        )
        .select_related("unit")
        .order_by("code")
    )
    agencies = [
        a for a in agencies if a.type != AgencyType.DEPARTMENT or a.name.startswith("Sở Tư pháp")
    ]
    rows = []
    for agency in agencies:
        procedures = commune if agency.type == AgencyType.COMMUNE_PEOPLES_COMMITTEE else province
        if not procedures:
            continue
        maturity = rng.uniform(0.25, 0.97)
        rate = PER_COMMUNE_DAY * (4 if agency.type == AgencyType.DEPARTMENT else 1)
        day = last - dt.timedelta(days=days)
        while day < last:
            if day.weekday() < 5:
                for _ in range(int(rate) + (rng.random() < rate - int(rate))):
                    rows.append(
                        _row(rng, len(rows), agency, rng.choice(procedures), maturity, day)
                    )
            day += dt.timedelta(days=1)
    if not rows:
        return 0
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS))
    writer.writeheader()
    writer.writerows(rows)
    out.seek(0)
    return dossiers_import_csv(file=out, source_name="demo history (invented)").created
