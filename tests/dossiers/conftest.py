"""Fixtures for the dossier lifecycle tests: Lào Cai units and demo agencies, the 2026
holiday calendar, a few procedures, officials with roles, and a clock the tests set.

Agencies (demo codes): commune n has People's Committee 000.nn.31.H37, service centre
000.nn.32.H37, police 000.nn.33.H37; the province has its committee 000.00.00.H37,
service centre 000.00.01.H37 and Sở Tư pháp 000.00.02.H37.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone, translation

from motcua.accounts.models import Role, RoleAssignment
from motcua.catalog.models import Procedure, ProcedureVersion
from motcua.catalog.services import catalog_import
from motcua.core.calendar import VN_TZ
from motcua.core.services import calendar_seed
from motcua.demo.agencies import demo_agencies_load
from motcua.organizations.models import Agency
from motcua.organizations.services import units_import_current
from motcua.workflows.definitions import CONSULTATION_WORKFLOW
from motcua.workflows.selectors import workflow_latest
from motcua.workflows.services import workflows_ensure_shipped

# Procedure codes of the test catalog.
BIRTH = "1.000001"  # commune, 2 working days, default workflow
LAND = "1.000002"  # commune, 10 working days, consultation workflow
RESIDENCE = "1.000003"  # commune, boundary-independent, 2 working days
CUSTOM = "1.000004"  # commune, no structured processing time
JUSTICE = "1.000005"  # province, Sở Tư pháp, 5 working days
SAME_DAY = "1.000006"  # commune, "trong ngày"

ENTRIES: list[dict[str, Any]] = [
    {
        "code": BIRTH,
        "name": "Đăng ký khai sinh",
        "field": "Hộ tịch",
        "level": "Cấp xã",
        "agency": "Ủy ban nhân dân cấp xã",
        "processing_time": "Không quá 02 (hai) ngày làm việc",
        "fee": "Miễn lệ phí",
        "documents": ["Tờ khai đăng ký khai sinh (bản chính)"],
    },
    {
        "code": LAND,
        "name": "Xác nhận nguồn gốc đất",
        "field": "Đất đai",
        "level": "Cấp xã",
        "agency": "Ủy ban nhân dân cấp xã",
        "processing_time": "Không quá 10 (mười) ngày làm việc",
        "fee": "Không",
    },
    {
        "code": RESIDENCE,
        "name": "Xác nhận thông tin cư trú",
        "field": "Cư trú",
        "level": "Cấp xã",
        "agency": "Ủy ban nhân dân cấp xã",
        "processing_time": "Không quá 02 (hai) ngày làm việc",
        "fee": "Không",
        "boundary_independent": True,
    },
    {
        "code": CUSTOM,
        "name": "Hòa giải tranh chấp",
        "field": "Hòa giải",
        "level": "Cấp xã",
        "agency": "Ủy ban nhân dân cấp xã",
        "processing_time": "Theo thỏa thuận",
        "fee": "Không",
    },
    {
        "code": JUSTICE,
        "name": "Cấp phiếu lý lịch tư pháp",
        "field": "Lý lịch tư pháp",
        "level": "Cấp tỉnh",
        "agency": "Sở Tư pháp",
        "processing_time": "Không quá 05 (năm) ngày làm việc",
        "fee": "Không",
    },
    {
        "code": SAME_DAY,
        "name": "Chứng thực bản sao từ bản chính",
        "field": "Chứng thực",
        "level": "Cấp xã",
        "agency": "Ủy ban nhân dân cấp xã",
        "processing_time": "Trong ngày",
        "fee": "Không",
    },
]


def at(*args: int) -> datetime:
    """A moment in Asia/Ho_Chi_Minh."""
    return datetime(*args, tzinfo=VN_TZ)


class Clock:
    def __init__(self) -> None:
        self.now = at(2026, 2, 13, 16, 10)

    def set(self, *args: int) -> datetime:
        self.now = at(*args)
        return self.now


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    # Messages are gettext msgids: pin English so translations do not change assertions.
    with translation.override("en"):
        yield


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """What timezone.now() returns in the services and selectors (every thread)."""
    value = Clock()
    monkeypatch.setattr(timezone, "now", lambda: value.now)
    return value


@dataclass
class World:
    procedures: dict[str, ProcedureVersion]
    agencies: dict[str, Agency]
    users: dict[str, Any]

    def agency(self, code: str) -> Agency:
        return self.agencies[code]


ROLES = {
    # name: (agency code, role)
    "desk": ("000.01.32.H37", Role.RECEIVING_OFFICER),
    "specialist": ("000.01.31.H37", Role.SPECIALIST),
    "approver": ("000.01.31.H37", Role.APPROVER),
    "police": ("000.01.33.H37", Role.SPECIALIST),
    "desk2": ("000.02.32.H37", Role.RECEIVING_OFFICER),
    "province_desk": ("000.00.01.H37", Role.RECEIVING_OFFICER),
    "admin": ("000.00.00.H37", Role.PROVINCE_ADMIN),
}


def seed_world() -> None:
    """Units, agencies, calendar, catalog, workflows and officials (no clock needed)."""
    units_import_current(province_codes=["15"])
    demo_agencies_load(province_code="15")
    calendar_seed(years=[2026])
    workflows_ensure_shipped()
    catalog_import(entries=ENTRIES, source_name="test")
    ProcedureVersion.objects.filter(procedure__code=LAND).update(
        workflow=workflow_latest(code=CONSULTATION_WORKFLOW)
    )
    agencies = {a.code: a for a in Agency.objects.all()}
    User = get_user_model()
    for name, (code, role) in ROLES.items():
        user = User.objects.create_user(username=name, password="x")
        RoleAssignment.objects.create(user=user, agency=agencies[code], role=role)
    User.objects.create_user(username="citizen", password="x")


def load_world() -> World:
    """Fresh instances of what seed_world() stored."""
    procedures = {
        p.code: ProcedureVersion.objects.select_related("workflow").get(pk=p.current_id)
        for p in Procedure.objects.all()
    }
    agencies = {a.code: a for a in Agency.objects.select_related("unit")}
    names = [*ROLES, "citizen"]
    by_name = get_user_model().objects.in_bulk(names, field_name="username")
    return World(procedures, agencies, users={name: by_name[name] for name in names})


def build_world() -> World:
    seed_world()
    return load_world()


@pytest.fixture(scope="module")
def _world_seeded(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    # Seeding takes about a second (the agencies mostly): do it once per module, at the
    # tests' clock, inside a transaction rolled back at the end; each test runs in a
    # savepoint of its own and gets fresh instances (tests change and save them).
    with django_db_blocker.unblock(), transaction.atomic():
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(timezone, "now", lambda: Clock().now)
            seed_world()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def world(_world_seeded: None, db: None, clock: Clock) -> World:
    return load_world()
