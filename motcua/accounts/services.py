"""Writes for officials and their roles."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from motcua.accounts.models import Role, RoleAssignment
from motcua.organizations.models import Agency


def _check_roles(roles: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(roles))
    unknown = [role for role in wanted if role not in Role.values]
    if unknown:
        raise ValidationError(
            {"roles": _("Unknown role: %(roles)s.") % {"roles": ", ".join(unknown)}}
        )
    return wanted


@transaction.atomic
def official_create(
    *,
    username: str,
    full_name: str,
    password: str,
    agency: Agency,
    roles: Iterable[str],
) -> AbstractUser:
    """A new official account holding `roles` in `agency`.

    The full name is kept whole in `first_name`: Vietnamese names read family name
    first, so Django's "first last" display would turn them around.
    Raises ValidationError naming the field (username taken, weak password, bad role).
    """
    wanted = _check_roles(roles)
    if not wanted:
        raise ValidationError({"roles": _("Give the official at least one role.")})
    user_model = get_user_model()
    user = user_model(username=username.strip(), first_name=full_name.strip(), is_active=True)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.full_clean()  # also refuses a username already taken
    user.save()
    for role in wanted:
        RoleAssignment.objects.create(user=user, agency=agency, role=role)
    return user


@transaction.atomic
def official_roles_grant(*, user: AbstractUser, agency: Agency, roles: Iterable[str]) -> int:
    """Give `user` the `roles` in `agency` it does not hold yet; returns how many were new."""
    created = 0
    for role in _check_roles(roles):
        _assignment, was_created = RoleAssignment.objects.get_or_create(
            user=user, agency=agency, role=role
        )
        created += int(was_created)
    return created
