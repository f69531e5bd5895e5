"""Who may do what: roles of officials, scoped to agencies."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from motcua.accounts.models import CitizenProfile, OfficialTotp, Role, RoleAssignment
from motcua.organizations.models import AdministrativeUnit, Agency

_PROFILE = CitizenProfile._meta.get_field("user").remote_field


def user_roles(*, user: AbstractBaseUser | AnonymousUser, agency: Agency) -> set[str]:
    """The roles `user` holds in `agency` (a province administrator holds them all)."""
    if not user.is_authenticated:
        return set()
    rows = RoleAssignment.objects.filter(user=user).values_list("agency_id", "role")
    roles = {role for agency_id, role in rows if agency_id == agency.pk}
    if any(role == Role.PROVINCE_ADMIN for _agency, role in rows):
        roles |= set(Role.values)
    return roles


def user_has_role(
    *, user: AbstractBaseUser | AnonymousUser, agency: Agency, roles: Iterable[str]
) -> bool:
    return bool(user_roles(user=user, agency=agency) & set(roles))


def user_agencies(*, user: AbstractBaseUser | AnonymousUser) -> list[Agency]:
    """Agencies where `user` holds any role, by name."""
    if not user.is_authenticated:
        return []
    return list(Agency.objects.filter(role_assignments__user=user).distinct().order_by("name"))


def official_totp_enabled(*, user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether `user` confirmed an authenticator app (then sign-in asks for its code)."""
    if user.pk is None:
        return False
    return OfficialTotp.objects.filter(user_id=user.pk, confirmed=True).exists()


def citizen_profile(*, user: AbstractBaseUser | AnonymousUser) -> CitizenProfile | None:
    """The citizen profile of `user`, or None (an official, or not signed in)."""
    if not user.is_authenticated:
        return None
    if _PROFILE.is_cached(user):  # joined by the sign-in backend (motcua.accounts.backends)
        return getattr(user, "citizen_profile", None)
    return CitizenProfile.objects.filter(user_id=user.pk).select_related("commune").first()


@dataclass(frozen=True)
class Identity:
    """Who a signed-in citizen is, for prefilling forms. `verified`: an e-ID (VNeID)
    vouched for it (then `source` is "vneid"); otherwise it is what the citizen's own
    dossiers left in the profile ("profile"). Empty strings for what is not known."""

    full_name: str
    birth_date: date | None
    sex: str  # "nam" / "nu" / ""
    ethnicity: str
    nationality: str
    id_number: str
    phone: str  # as typed in forms: 0xxxxxxxxx
    commune: AdministrativeUnit | None  # today's commune or ward of residence
    address: str  # street, village or house number within `commune`
    source: Literal["vneid", "profile"]
    verified: bool


def citizen_identity(user: AbstractBaseUser | AnonymousUser) -> Identity | None:
    """The identity of a signed-in citizen; None for an official or a visitor."""
    profile = citizen_profile(user=user)
    if profile is None:
        return None
    phone = profile.phone or ""
    if phone.startswith("84"):
        phone = "0" + phone[2:]
    verified = profile.identity_verified_at is not None
    return Identity(
        full_name=profile.full_name,
        birth_date=profile.birth_date,
        sex=profile.sex,
        ethnicity=profile.ethnicity,
        nationality=profile.nationality,
        id_number=profile.citizen_id,
        phone=phone,
        commune=profile.commune,
        address=profile.address,
        source="vneid" if verified else "profile",
        verified=verified,
    )


# --- who sees what: the agencies an official works for -------------------------------


@dataclass(frozen=True)
class OfficialScope:
    """The agencies an official works for and the roles held in each."""

    roles_by_agency: dict[int, frozenset[str]]
    province_admin: bool = False

    @property
    def agency_ids(self) -> list[int]:
        return sorted(self.roles_by_agency)

    @property
    def is_official(self) -> bool:
        return bool(self.roles_by_agency)

    def roles_in(self, agency_id: int | None) -> frozenset[str]:
        if self.province_admin:
            return frozenset(Role.values)
        return self.roles_by_agency.get(agency_id or 0, frozenset())

    def may_see_agency(self, agency_id: int | None) -> bool:
        return self.province_admin or (agency_id in self.roles_by_agency)

    def may_see(self, dossier: Any) -> bool:
        return any(
            self.may_see_agency(agency_id)
            for agency_id in (
                dossier.receiving_agency_id,
                dossier.competent_agency_id,
                dossier.consult_agency_id,
            )
            if agency_id
        )


def official_scope(*, user: AbstractBaseUser | AnonymousUser) -> OfficialScope:
    """One indexed read of the official's role assignments."""
    if not user.is_authenticated:
        return OfficialScope(roles_by_agency={})
    roles: dict[int, set[str]] = {}
    for agency_id, role in RoleAssignment.objects.filter(user=user).values_list(
        "agency_id", "role"
    ):
        roles.setdefault(agency_id, set()).add(role)
    province_admin = any(Role.PROVINCE_ADMIN in held for held in roles.values())
    return OfficialScope(
        roles_by_agency={agency_id: frozenset(held) for agency_id, held in roles.items()},
        province_admin=province_admin,
    )


def scope_agencies(*, scope: OfficialScope) -> list[Agency]:
    """Agencies the official may switch to: their own, or every active one for a
    province administrator (their own first)."""
    own = list(Agency.objects.filter(pk__in=scope.agency_ids).order_by("name"))
    if not scope.province_admin:
        return own
    others = Agency.objects.filter(is_active=True).exclude(pk__in=scope.agency_ids)
    return own + list(others.order_by("name"))


def scope_agency(*, scope: OfficialScope, agency_id: Any) -> Agency | None:
    """The agency with this id if the official may work in it."""
    try:
        pk = int(agency_id)
    except (TypeError, ValueError):
        return None
    if not scope.may_see_agency(pk):
        return None
    return Agency.objects.filter(pk=pk).first()
