"""Who may do what: roles of officials, scoped to agencies."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from motcua.accounts.models import CitizenProfile, OfficialTotp, Role, RoleAssignment
from motcua.organizations.models import Agency


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
    return CitizenProfile.objects.filter(user_id=user.pk).select_related("commune").first()
