"""Demo officials: one team per demo agency, and one province administrator.

Each team has a receiving officer at the one-stop desk (the service centre) and a
specialist, an approver, a leader and an agency administrator in the agency that
processes what the desk receives: the commune's People's Committee for a commune
(where motcua.dossiers.services routes commune procedures), the Department of Justice
for the provincial centre (judicial records, certified copies); and in a commune, the
police officers who process residence procedures.
Every demo official has two-step sign-in on, with a secret derived from the site's
SECRET_KEY and the username (`demo_totp_secret`), so `manage.py demo_codes` can print the
code of the moment and an authenticator app set up once keeps working after a reload.
Idempotent: a second run leaves the same accounts, roles, passwords and secrets.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from motcua.accounts.credentials import (
    official_must_change_password,
    official_password_set,
    official_totp_install,
)
from motcua.accounts.models import Role
from motcua.accounts.services import official_create, official_roles_grant
from motcua.organizations.models import Agency, AgencyType, UnitLevel

# 12 characters at least, not a common password (settings.AUTH_PASSWORD_VALIDATORS).
DEMO_PASSWORD = "motcua-demo-2026"


def demo_totp_secret(username: str) -> str:
    """The demo's authenticator secret of `username`: 160 bits (RFC 4226's advice) from
    the site's SECRET_KEY, in base32 as authenticator apps take it. Demo only: a real
    official's secret is random (motcua.accounts.otp)."""
    key = f"motcua.demo.totp:{settings.SECRET_KEY}".encode()
    digest = hmac.new(key, username.encode(), hashlib.sha256).digest()[:20]
    return base64.b32encode(digest).decode()


def demo_second_factor_enrol(user) -> None:
    official_totp_install(user=user, secret=demo_totp_secret(user.get_username()))


@dataclass(frozen=True)
class _Team:
    prefix: str
    unit_name: str | None  # None: the province itself
    desk_type: str
    processing_type: str
    processing_name: str  # part of the name, to pick one department among several


TEAMS = [
    _Team(
        prefix="tinh",
        unit_name=None,
        desk_type=AgencyType.PROVINCE_SERVICE_CENTRE,
        processing_type=AgencyType.DEPARTMENT,
        processing_name="Sở Tư pháp",
    ),
    _Team(
        prefix="batxat",
        unit_name="Xã Bát Xát",
        desk_type=AgencyType.COMMUNE_SERVICE_CENTRE,
        processing_type=AgencyType.COMMUNE_PEOPLES_COMMITTEE,
        processing_name="",
    ),
    _Team(
        prefix="laocai",
        unit_name="Phường Lào Cai",
        desk_type=AgencyType.COMMUNE_SERVICE_CENTRE,
        processing_type=AgencyType.COMMUNE_PEOPLES_COMMITTEE,
        processing_name="",
    ),
]

# username suffix, full name, role, description
MEMBERS = [
    ("tiepnhan", "Nguyễn Thị Hoa", Role.RECEIVING_OFFICER, "cán bộ một cửa"),
    ("chuyenvien", "Trần Văn Minh", Role.SPECIALIST, "chuyên viên"),
    ("pheduyet", "Lê Thị Thu", Role.APPROVER, "lãnh đạo phòng, phê duyệt"),
    ("lanhdao", "Phạm Quốc Hùng", Role.LEADER, "lãnh đạo đơn vị"),
    ("quantri", "Hoàng Văn Nam", Role.AGENCY_ADMIN, "quản trị đơn vị"),
]
# A commune's police processes residence procedures (đăng ký thường trú) that the
# commune's desk receives: a specialist and an approver there, for each commune team.
POLICE_MEMBERS = [
    ("congan.chuyenvien", "Vàng A Sử", Role.SPECIALIST, "cán bộ công an xã, thụ lý"),
    ("congan.pheduyet", "Đỗ Văn Tâm", Role.APPROVER, "trưởng công an xã, phê duyệt"),
]
PROVINCE_ADMIN = ("tinh.quantritinh", "Vũ Thị Lan", "quản trị tỉnh (xem mọi đơn vị)")
# The province's leader reads the Decision 766 reports of the whole province.
PROVINCE_LEADER = (
    "tinh.lanhdaotinh",
    "Đặng Minh Quân",
    "lãnh đạo UBND tỉnh (báo cáo chỉ số toàn tỉnh)",
)


def _agency(*, unit_name: str | None, agency_type: str, name: str = "") -> Agency:
    agencies = Agency.objects.filter(type=agency_type, unit__valid_to__isnull=True)
    if name:
        agencies = agencies.filter(name__startswith=name)
    if unit_name is None:
        agencies = agencies.filter(unit__level=UnitLevel.PROVINCE)
    else:
        agencies = agencies.filter(unit__name=unit_name, unit__level=UnitLevel.COMMUNE)
    return agencies.order_by("code").get()


def _ensure(*, username: str, full_name: str, agency: Agency, role: str) -> None:
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        user = official_create(
            username=username,
            full_name=full_name,
            password=DEMO_PASSWORD,
            agency=agency,
            roles=[role],
        )
    elif not user.check_password(DEMO_PASSWORD) or official_must_change_password(user=user):
        official_password_set(user=user, password=DEMO_PASSWORD)
    official_roles_grant(user=user, agency=agency, roles=[role])
    demo_second_factor_enrol(user)


@transaction.atomic
def demo_officials_load() -> list[tuple[str, str, str]]:
    """Create the demo officials (needs the demo agencies); returns (username, password,
    description) for each, to print."""
    logins: list[tuple[str, str, str]] = []
    for team in TEAMS:
        desk = _agency(unit_name=team.unit_name, agency_type=team.desk_type)
        processing = _agency(
            unit_name=team.unit_name,
            agency_type=team.processing_type,
            name=team.processing_name,
        )
        for suffix, full_name, role, what in MEMBERS:
            agency = desk if role == Role.RECEIVING_OFFICER else processing
            username = f"{team.prefix}.{suffix}"
            _ensure(username=username, full_name=full_name, agency=agency, role=role)
            logins.append((username, DEMO_PASSWORD, f"{full_name}, {what}, {agency.name}"))
        if team.unit_name is None:
            continue
        police = _agency(unit_name=team.unit_name, agency_type=AgencyType.COMMUNE_POLICE)
        for suffix, full_name, role, what in POLICE_MEMBERS:
            username = f"{team.prefix}.{suffix}"
            _ensure(username=username, full_name=full_name, agency=police, role=role)
            logins.append((username, DEMO_PASSWORD, f"{full_name}, {what}, {police.name}"))
    committee = _agency(unit_name=None, agency_type=AgencyType.PROVINCE_PEOPLES_COMMITTEE)
    username, full_name, what = PROVINCE_ADMIN
    _ensure(username=username, full_name=full_name, agency=committee, role=Role.PROVINCE_ADMIN)
    logins.append((username, DEMO_PASSWORD, f"{full_name}, {what}"))
    username, full_name, what = PROVINCE_LEADER
    _ensure(username=username, full_name=full_name, agency=committee, role=Role.LEADER)
    logins.append((username, DEMO_PASSWORD, f"{full_name}, {what}"))
    return logins
