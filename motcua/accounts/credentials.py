"""Officials' credentials: passwords (changed by the official, reset by an administrator),
the second factor (enrolment, reset when a phone is lost) and lockouts (unlock). Reads and
writes for the back office's "Tài khoản cán bộ" and password pages; every change is
written to the audit trail (ASVS 5.0 V16.3.1)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AbstractUser, AnonymousUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.accounts import lockout
from motcua.accounts.models import OfficialAccount, OfficialTotp, Role, RoleAssignment
from motcua.accounts.selectors import official_scope, official_totp_enabled
from motcua.audit.services import audit_record
from motcua.core.conf import setting

# Readable aloud over the phone: no 0/o, 1/l/i.
_TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def temporary_password_lifetime() -> timedelta:
    """A password an administrator set works this long, once (ASVS 5.0 V6.4.1)."""
    return timedelta(hours=setting("MOTCUA_TEMPORARY_PASSWORD_HOURS", 72.0))


# --- reads --------------------------------------------------------------------------------


def official_must_change_password(*, user: AbstractBaseUser | AnonymousUser) -> bool:
    if user.pk is None:
        return False
    return OfficialAccount.objects.filter(user_id=user.pk, must_change_password=True).exists()


def temporary_password_expired(*, user: AbstractBaseUser, now: datetime | None = None) -> bool:
    """The administrator's temporary password was not used in time: sign-in refused."""
    account = OfficialAccount.objects.filter(user_id=user.pk, must_change_password=True).first()
    if account is None or account.password_reset_at is None:
        return False
    return (now or timezone.now()) - account.password_reset_at > temporary_password_lifetime()


def _admin_agency_ids(user: AbstractBaseUser) -> set[int]:
    return set(
        RoleAssignment.objects.filter(user_id=user.pk, role=Role.AGENCY_ADMIN).values_list(
            "agency_id", flat=True
        )
    )


def manages_officials(*, user: AbstractBaseUser | AnonymousUser) -> bool:
    """A province administrator, an agency administrator somewhere, or a superuser."""
    if not user.is_authenticated:
        return False
    return bool(
        user.is_superuser or official_scope(user=user).province_admin or _admin_agency_ids(user)
    )


def official_may_manage(*, actor: AbstractBaseUser, target: AbstractBaseUser) -> bool:
    """Whether `actor` may unlock, reset the password or the second factor of `target`.

    Nobody does it to themselves here (they have their own pages); only a superuser does
    it to a superuser; administrators' accounts of the admin site (staff) only the province
    administrator; an agency administrator only officials whose every role is in an
    agency they administer."""
    if actor.pk == target.pk or not actor.is_active:
        return False
    if target.is_superuser:
        return actor.is_superuser
    if actor.is_superuser or official_scope(user=actor).province_admin:
        return True
    if target.is_staff:
        return False
    own = _admin_agency_ids(actor)
    theirs = set(
        RoleAssignment.objects.filter(user_id=target.pk).values_list("agency_id", flat=True)
    )
    return bool(own and theirs and theirs <= own)


@dataclass(frozen=True)
class OfficialRow:
    user: AbstractUser
    roles: list[tuple[str, str]]  # (role label, agency name)
    locked: bool
    second_factor: Literal["on", "pending", "off"]
    must_change_password: bool
    may_manage: bool


def officials_for_admin(
    *, actor: AbstractBaseUser, query: str = "", limit: int = 300
) -> tuple[list[OfficialRow], bool]:
    """The accounts `actor` looks after, by username, and whether the list was cut at
    `limit`: the officials holding a role in an agency they administer (every official and
    administrator for the province administrator and superusers)."""
    users = get_user_model().objects.filter(is_active=True)
    wide = actor.is_superuser or official_scope(user=actor).province_admin
    if wide:
        users = users.filter(Q(role_assignments__isnull=False) | Q(is_staff=True))
    else:
        users = users.filter(role_assignments__agency_id__in=_admin_agency_ids(actor))
    query = query.strip()
    if query:
        users = users.filter(Q(username__icontains=query) | Q(first_name__icontains=query))
    users = list(users.distinct().order_by("username")[: limit + 1])
    cut = len(users) > limit
    users = users[:limit]
    ids = [user.pk for user in users]
    roles: dict[int, list[tuple[str, str]]] = {}
    for assignment in (
        RoleAssignment.objects.filter(user_id__in=ids).select_related("agency").order_by("role")
    ):
        roles.setdefault(assignment.user_id, []).append(
            (assignment.get_role_display(), assignment.agency.name)
        )
    totp = dict(OfficialTotp.objects.filter(user_id__in=ids).values_list("user_id", "confirmed"))
    must = set(
        OfficialAccount.objects.filter(user_id__in=ids, must_change_password=True).values_list(
            "user_id", flat=True
        )
    )
    locked = lockout.locked_usernames(usernames=[user.username for user in users])
    rows = [
        OfficialRow(
            user=user,
            roles=roles.get(user.pk, []),
            locked=user.username in locked,
            second_factor=("on" if totp[user.pk] else "pending") if user.pk in totp else "off",
            must_change_password=user.pk in must,
            may_manage=official_may_manage(actor=actor, target=user),
        )
        for user in users
    ]
    return rows, cut


# --- writes -------------------------------------------------------------------------------


def _check_may_manage(actor: AbstractBaseUser, target: AbstractBaseUser) -> None:
    if not official_may_manage(actor=actor, target=target):
        raise PermissionDenied(_("You do not look after this account."))


def _account(user: AbstractBaseUser) -> OfficialAccount:
    account, _created = OfficialAccount.objects.select_for_update().get_or_create(user=user)
    return account


@transaction.atomic
def official_password_change(
    *, user: AbstractUser, new_password: str, request: HttpRequest | None = None
) -> None:
    """The official chose a new password (the current one was checked by the caller).
    Raises ValidationError (the validators' messages) for a weak one (ASVS 5.0 V6.2)."""
    if user.check_password(new_password):
        raise ValidationError(_("Choose a password other than the one you have now."))
    validate_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    account = _account(user)
    account.must_change_password = False
    account.password_changed_at = timezone.now()
    account.save(update_fields=["must_change_password", "password_changed_at"])
    audit_record(action="auth.password_change", request=request, actor=user, obj=user)


def _temporary_password(user: AbstractUser) -> str:
    while True:
        password = "-".join(
            "".join(secrets.choice(_TEMPORARY_ALPHABET) for _i in range(4)) for _g in range(4)
        )
        try:
            validate_password(password, user)
        except ValidationError:
            continue
        return password


@transaction.atomic
def official_password_reset(
    *, actor: AbstractUser, target: AbstractUser, request: HttpRequest | None = None
) -> str:
    """A new random password for `target` (forgotten, or a new official), returned to be
    shown once to `actor` and never stored in clear. It must be changed at the next
    sign-in, before anything else, and works for temporary_password_lifetime(). Ends the
    official's open sessions (their password hash changed) and lifts a lockout."""
    _check_may_manage(actor, target)
    password = _temporary_password(target)
    target.set_password(password)
    target.save(update_fields=["password"])
    account = _account(target)
    account.must_change_password = True
    account.password_reset_at = timezone.now()
    account.save(update_fields=["must_change_password", "password_reset_at"])
    lockout.account_attempts_clear(username=target.username)
    audit_record(
        action="auth.password_reset",
        request=request,
        actor=actor,
        obj=target,
        detail=f"temporary password set by {actor.get_username()} for {target.get_username()}",
    )
    return password


@transaction.atomic
def official_unlock(
    *, actor: AbstractUser, target: AbstractUser, request: HttpRequest | None = None
) -> int:
    """Lift the lockout of `target` after too many wrong tries; returns the rows cleared."""
    _check_may_manage(actor, target)
    cleared = lockout.account_attempts_clear(username=target.username)
    audit_record(
        action="auth.unlock",
        request=request,
        actor=actor,
        obj=target,
        detail=f"unlocked by {actor.get_username()}",
    )
    return cleared


@transaction.atomic
def official_second_factor_reset(
    *, actor: AbstractUser, target: AbstractUser, request: HttpRequest | None = None
) -> None:
    """Forget `target`'s authenticator app (phone lost or changed): at the next sign-in,
    after the password, they enrol a new one."""
    _check_may_manage(actor, target)
    deleted, _detail = OfficialTotp.objects.filter(user=target).delete()
    audit_record(
        action="auth.second_factor_reset",
        request=request,
        actor=actor,
        obj=target,
        detail=f"reset by {actor.get_username()}" + ("" if deleted else " (none was set)"),
    )


def official_second_factor_confirm(
    *, user: AbstractUser, code: str, request: HttpRequest | None = None
) -> bool:
    """Check an authenticator code; the first right one confirms an enrolment, which is
    written to the audit trail."""
    from motcua.accounts.services import official_totp_check

    was_on = official_totp_enabled(user=user)
    if not official_totp_check(user=user, code=code):
        return False
    if not was_on:
        audit_record(action="auth.second_factor_enrol", request=request, actor=user, obj=user)
    return True


# --- scripts: the demo loader --------------------------------------------------------------


@transaction.atomic
def official_totp_install(*, user: AbstractBaseUser, secret: str) -> bool:
    """Two-step sign-in on for `user` with a secret chosen elsewhere (the demo's, derived
    from SECRET_KEY). Returns whether anything changed: the same secret already on keeps
    its last used step, so a code is still never accepted twice."""
    from motcua.accounts import otp

    row = OfficialTotp.objects.select_for_update().filter(user_id=user.pk).first()
    if row is not None and row.confirmed and otp.secret_decrypt(row.secret_encrypted) == secret:
        return False
    OfficialTotp.objects.update_or_create(
        user_id=user.pk,
        defaults={
            "secret_encrypted": otp.secret_encrypt(secret),
            "confirmed": True,
            "confirmed_at": timezone.now(),
            "last_step": 0,
        },
    )
    return True


def official_totp_secret_is(*, user: AbstractBaseUser, secret: str) -> bool:
    """Whether `user`'s confirmed authenticator secret is `secret` (the demo checks that
    its derived secret is still the one in use before printing codes from it)."""
    import hmac

    from motcua.accounts import otp

    row = OfficialTotp.objects.filter(user_id=user.pk, confirmed=True).first()
    stored = otp.secret_decrypt(row.secret_encrypted) if row else None
    return stored is not None and hmac.compare_digest(stored, secret)


@transaction.atomic
def official_password_set(*, user: AbstractUser, password: str) -> None:
    """Set a password chosen by a script (the demo loader), validated like any other; no
    temporary password left to change."""
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    OfficialAccount.objects.filter(user_id=user.pk).update(must_change_password=False)


def official_totp_next_step(*, user: AbstractBaseUser, at: float) -> int | None:
    """The 30-second step whose code `user` can sign in with at `at`: the current one, or
    the next (accepted for clock drift) when the current code was already used; None when
    both were used or two-step sign-in is off."""
    from motcua.accounts import otp

    row = OfficialTotp.objects.filter(user_id=user.pk, confirmed=True).first()
    if row is None:
        return None
    current = int(at // otp.TOTP_INTERVAL)
    return next((step for step in (current, current + 1) if step > row.last_step), None)
