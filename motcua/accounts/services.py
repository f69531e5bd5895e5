"""Writes for accounts: officials and their roles, citizens' sign-in (phone + one-time
code, or an e-ID provider), officials' TOTP."""

from __future__ import annotations

import math
import secrets
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.accounts import otp
from motcua.accounts.contrib.oidc import claims as claim
from motcua.accounts.models import (
    CitizenProfile,
    OfficialTotp,
    PhoneOtp,
    PopulationLookup,
    Role,
    RoleAssignment,
    Sex,
)
from motcua.audit.services import audit_record
from motcua.core.ratelimit import address_key, rate_hit, rate_retry_after
from motcua.organizations.models import AdministrativeUnit, Agency, UnitLevel


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
    by: AbstractUser | None = None,
) -> AbstractUser:
    """A new official account holding `roles` in `agency`; the audit trail records it
    and each role, given `by` whom (None: a command such as the demo loader).

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
    audit_record(action="account.create", actor=by, obj=user, object_label=user.get_username())
    for role in wanted:
        _role_granted(RoleAssignment.objects.create(user=user, agency=agency, role=role), by)
    return user


def _role_granted(assignment: RoleAssignment, by: AbstractUser | None) -> None:
    # Who holds which role decides what they see: every grant is in the audit trail.
    audit_record(
        action="role.grant",
        actor=by,
        obj=assignment,
        after={
            "user": assignment.user.get_username(),
            "agency": f"{assignment.agency.code} {assignment.agency.name}",
            "role": assignment.role,
        },
    )


@transaction.atomic
def official_roles_grant(
    *, user: AbstractUser, agency: Agency, roles: Iterable[str], by: AbstractUser | None = None
) -> int:
    """Give `user` the `roles` in `agency` it does not hold yet; returns how many were new.
    Each new one is in the audit trail, given `by` whom (None: a command)."""
    created = 0
    for role in _check_roles(roles):
        assignment, was_created = RoleAssignment.objects.get_or_create(
            user=user, agency=agency, role=role
        )
        if was_created:
            _role_granted(assignment, by)
        created += int(was_created)
    return created


# --- citizens: sign-in by phone and one-time code --------------------------------------------

OTP_TEMPLATE_KEY = "otp"


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def otp_ttl() -> timedelta:
    return timedelta(seconds=_setting("OTP_TTL_SECONDS", 300))


def otp_max_attempts() -> int:
    return _setting("OTP_MAX_ATTEMPTS", 5)


def otp_window() -> timedelta:
    return timedelta(seconds=_setting("OTP_WINDOW_SECONDS", 900))


def otp_per_phone() -> int:
    return _setting("OTP_PER_PHONE", 3)


def otp_per_ip() -> int:
    return _setting("OTP_PER_IP", 10)


class OtpError(Exception):
    """A refused sign-in step; the message is plain language, safe to show the citizen."""

    def __init__(self, message: str, *, code: str = "") -> None:
        self.message = message
        self.code = code
        super().__init__(message)


def phone_normalize(phone: str) -> str:
    """A Vietnamese mobile number as stored (84xxxxxxxxx); ValidationError naming the field."""
    from motcua.notifications.text import vn_mobile

    normalized = vn_mobile(phone or "")
    if normalized is None:
        raise ValidationError(
            {
                "phone": _(
                    "Enter a Vietnamese mobile number of 10 digits starting with 0, "
                    "e.g. 0912 345 678."
                )
            }
        )
    return normalized


def _minutes_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds() / 60))


def _phone_limit(count: int, minutes: int) -> OtpError:
    return OtpError(
        _(
            "A code was already sent to this number %(count)d times. Wait %(minutes)d "
            "minutes, then ask for a new code."
        )
        % {"count": count, "minutes": minutes},
        code="phone_limit",
    )


@transaction.atomic
def phone_otp_send(
    *,
    phone: str,
    client_ip: str = "",
    now: datetime | None = None,
    template: str = OTP_TEMPLATE_KEY,
    context: Mapping[str, Any] | None = None,
) -> PhoneOtp:
    """Send a new 6-digit sign-in code to `phone` by SMS (an outbox row, delivered on
    commit). Raises ValidationError for a bad number, OtpError when a limit is reached:
    OTP_PER_PHONE codes per phone, OTP_PER_IP per address, per OTP_WINDOW_SECONDS.
    `template` and `context`: another message for a code with another purpose (the
    citizen confirming an assisted filing), under the same limits."""
    from motcua.notifications.services import notification_write

    normalized = phone_normalize(phone)
    now = now or timezone.now()
    since = now - otp_window()
    client_ip = (client_ip or "")[:64]
    window = int(otp_window().total_seconds())
    # Counted in the shared counters (motcua.core.ratelimit; ASVS 5.0 V2.4.1, V6.6.3):
    # each UPDATE keeps its counter row locked until this transaction ends, so parallel
    # requests for one phone or from one address, on any worker, count one after the
    # other; a refusal rolls its count back, as no SMS went. The phone's count also
    # serialises the sliding count of its sent codes below (which says how long to wait).
    window_ends = now + timedelta(seconds=rate_retry_after(window_seconds=window, now=now))
    if not rate_hit(
        key=f"otp:phone:{normalized}", limit=otp_per_phone(), window_seconds=window, now=now
    ):
        raise _phone_limit(otp_per_phone(), _minutes_until(window_ends, now))
    recent = list(
        PhoneOtp.objects.filter(phone=normalized, created_at__gt=since)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    if len(recent) >= otp_per_phone():
        raise _phone_limit(len(recent), _minutes_until(recent[0] + otp_window(), now))
    if client_ip and not rate_hit(
        key=f"otp:address:{address_key(client_ip)}",
        limit=otp_per_ip(),
        window_seconds=window,
        now=now,
    ):
        raise OtpError(
            _(
                "Too many codes were asked for from your connection. Wait %(minutes)d "
                "minutes and try again, or call the one-stop desk."
            )
            % {"minutes": _minutes_until(window_ends, now)},
            code="ip_limit",
        )
    code = otp.code_new()
    salt = otp.salt_new()
    row = PhoneOtp.objects.create(
        phone=normalized,
        code_hash=otp.code_hash(code, salt),
        salt=salt,
        client_ip=client_ip,
        created_at=now,
        expires_at=now + otp_ttl(),
    )
    notification_write(
        template=template,
        context={**(context or {}), "code": code, "minutes": otp_ttl().seconds // 60},
        recipient_phone=normalized,
        preferred_channel="sms",
        dedupe_key=f"otp:{row.pk}",
    )
    return row


def phone_otp_verify(*, otp_id: int, code: str, now: datetime | None = None) -> AbstractUser:
    """Check `code` against the sent code `otp_id`; on success the code is spent and the
    citizen (created on first sign-in) is returned. Raises OtpError otherwise; every
    wrong try is counted (and committed) and the code dies after OTP_MAX_ATTEMPTS."""
    now = now or timezone.now()
    with transaction.atomic():
        row = PhoneOtp.objects.select_for_update().filter(pk=otp_id).first()
        if row is None or row.used_at is not None:
            raise OtpError(_("This code can no longer be used. Ask for a new code."), code="used")
        if row.attempts >= otp_max_attempts():
            raise OtpError(
                _("The code was entered wrongly %(count)d times. Ask for a new code.")
                % {"count": otp_max_attempts()},
                code="locked",
            )
        if now >= row.expires_at:
            raise OtpError(
                _("The code has expired (it is valid for %(minutes)d minutes). Ask for a new code.")
                % {"minutes": otp_ttl().seconds // 60},
                code="expired",
            )
        cleaned = otp.code_clean(code)
        if len(cleaned) == otp.CODE_DIGITS and otp.code_matches(cleaned, row.salt, row.code_hash):
            row.used_at = now
            row.save(update_fields=["used_at"])
            # Any other code still open for this phone dies with this sign-in.
            PhoneOtp.objects.filter(phone=row.phone, used_at__isnull=True).update(used_at=now)
            return citizen_get_or_create(phone=row.phone)
        row.attempts += 1
        row.save(update_fields=["attempts"])
        left = otp_max_attempts() - row.attempts
    if left <= 0:
        raise OtpError(
            _("The code was entered wrongly %(count)d times. Ask for a new code.")
            % {"count": otp_max_attempts()},
            code="locked",
        )
    raise OtpError(
        _("This code is not right. Check the SMS and try again (%(left)d tries left).")
        % {"left": left},
        code="wrong",
    )


def phone_otps_purge(*, now: datetime | None = None) -> int:
    """Retention (settings, "Retention"): delete sign-in code records older than
    MOTCUA_OTP_KEEP_DAYS (never fewer days than the window the limits count in).
    Returns how many were deleted."""
    days = int(getattr(settings, "MOTCUA_OTP_KEEP_DAYS", 30))
    if days <= 0:
        return 0
    now = now or timezone.now()
    cutoff = now - max(timedelta(days=days), otp_window())
    return PhoneOtp.objects.filter(created_at__lt=cutoff).delete()[0]


def population_lookups_purge(*, now: datetime | None = None) -> int:
    """Retention: delete records of population-database lookups older than
    MOTCUA_POPULATION_LOOKUP_KEEP_DAYS (0: keep). Returns how many were deleted."""
    days = int(getattr(settings, "MOTCUA_POPULATION_LOOKUP_KEEP_DAYS", 5 * 365))
    if days <= 0:
        return 0
    now = now or timezone.now()
    return PopulationLookup.objects.filter(created_at__lt=now - timedelta(days=days)).delete()[0]


def _citizen_user_new() -> AbstractUser:
    user_model = get_user_model()
    user = user_model(username=f"citizen_{secrets.token_hex(8)}", is_active=True)
    user.set_unusable_password()  # citizens never sign in with a password
    user.save()
    return user


@transaction.atomic
def citizen_without_phone_create() -> AbstractUser:
    """A citizen account with a profile but no phone: it owns the dossier of a citizen
    whose own phone no code proved (assisted filing confirmed by a relative's phone or
    on paper). Nobody signs in to it; it keeps what the dossier says of the citizen."""
    user = _citizen_user_new()
    CitizenProfile.objects.create(user=user, phone=None)
    return user


@transaction.atomic
def citizen_get_or_create(*, phone: str) -> AbstractUser:
    """The citizen signed in with `phone` (84xxxxxxxxx), created on first sign-in."""
    profile = CitizenProfile.objects.select_related("user").filter(phone=phone).first()
    if profile is not None:
        return profile.user
    try:
        with transaction.atomic():
            profile = CitizenProfile.objects.create(user=_citizen_user_new(), phone=phone)
    except IntegrityError:  # two first sign-ins at once: the other one won
        profile = CitizenProfile.objects.select_related("user").get(phone=phone)
    return profile.user


@transaction.atomic
def citizen_profile_fill(
    *,
    user: AbstractUser,
    full_name: str = "",
    citizen_id: str = "",
    birth_date: date | None = None,
    commune: Any = None,
    address: str = "",
) -> None:
    """Remember what a citizen told about themselves in a dossier, for the next form's
    prefill. Fills blanks only: what the citizen or VNeID set before is kept."""
    profile = CitizenProfile.objects.select_for_update().filter(user=user).first()
    if profile is None:
        return
    changed = []
    values = {"full_name": full_name[:200], "citizen_id": citizen_id[:20],
              "birth_date": birth_date, "address": address[:300]}
    for name, value in values.items():
        if value and not getattr(profile, name):
            setattr(profile, name, value)
            changed.append(name)
    if commune is not None and profile.commune_id is None:
        profile.commune = commune
        changed.append("commune")
    if changed:
        profile.save(update_fields=changed)


@transaction.atomic
def citizen_contact_set(*, user: AbstractUser, channel: str, email: str = "") -> CitizenProfile:
    """How the citizen wants news of their dossiers: SMS or Zalo at the phone they sign
    in with, or e-mail at `email` (required then). Raises ValidationError by field."""
    from motcua.dossiers.validation import email_error
    from motcua.notifications.services import contact_preference_set

    profile = CitizenProfile.objects.select_for_update().filter(user=user).first()
    if profile is None or not profile.phone:
        raise ValidationError(_("Sign in with your phone number first."))
    email = email.strip().lower()
    if channel == "email" and not email:
        raise ValidationError({"email": _("Enter your e-mail address, or choose SMS or Zalo.")})
    if email and (error := email_error(email)):
        raise ValidationError({"email": error})
    profile.email = email
    profile.save(update_fields=["email"])
    contact_preference_set(channel=channel, phone=profile.phone, email=email)
    return profile


def _claim_date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _one_line(value: Any) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool):
        return ""
    return " ".join(unicodedata.normalize("NFC", str(value)).split())


def _claim_text(claims: Mapping[str, Any], name: str, length: int) -> str:
    return _one_line(claims.get(name))[:length]


# OIDC "gender" says male/female; a Vietnamese provider may say nam/nữ.
_GENDERS = {"male": Sex.MALE, "nam": Sex.MALE, "m": Sex.MALE,
            "female": Sex.FEMALE, "nu": Sex.FEMALE, "nữ": Sex.FEMALE, "f": Sex.FEMALE}


def _province_commune(*, code: str = "", names: Iterable[str] = ()) -> AdministrativeUnit | None:
    """Today's commune or ward of the deployment's province with this code, else the
    first of `names` that is one (matched without regard to case)."""
    communes = AdministrativeUnit.objects.filter(
        level=UnitLevel.COMMUNE,
        valid_to__isnull=True,
        parent__code=settings.MOTCUA_PROVINCE_CODE,
        parent__valid_to__isnull=True,
    )
    if code:
        found = communes.filter(code=code).first()
        if found is not None:
            return found
    wanted = [name.casefold() for name in names if name]
    if not wanted:
        return None
    # A province has about a hundred: compared here, as SQLite folds case in ASCII only.
    by_name = {unit.name.casefold(): unit for unit in communes}
    return next((by_name[name] for name in wanted if name in by_name), None)


def _residence(claims: Mapping[str, Any]) -> tuple[AdministrativeUnit | None, str] | None:
    """(today's commune in the province or None, street/village) from the residence
    claims; None when the provider said nothing about the residence."""
    address = claims.get("address")
    code = _claim_text(claims, claim.COMMUNE_CODE, 10)
    if isinstance(address, str):
        address = {"formatted": address}
    if not isinstance(address, Mapping) and not code:
        return None
    address = address if isinstance(address, Mapping) else {}
    formatted = _one_line(address.get("formatted"))
    pieces = [p.strip() for p in formatted.split(",") if p.strip()]
    commune = _province_commune(code=code, names=[_one_line(address.get("locality")), *pieces])
    street = _one_line(address.get("street_address"))
    if not street and formatted:
        # "Thôn X, Xã Y, Tỉnh Z": what comes before the commune is the street or village.
        if commune is not None and commune.name.casefold() in (p.casefold() for p in pieces):
            index = [p.casefold() for p in pieces].index(commune.name.casefold())
            street = ", ".join(pieces[:index])
        else:
            street = formatted
    return commune, street[:300]


@transaction.atomic
def citizen_from_oidc_claims(*, claims: Mapping[str, Any], id_claim: str) -> AbstractUser:
    """The citizen an e-ID provider vouched for: found by its `sub`, else by its verified
    phone, else created. The profile is refreshed from the claims on every sign-in (the
    provider is the authority; names in oidc.client): name, citizen ID number (under
    `id_claim`), birthdate, gender, ethnicity, nationality, phone, and the permanent
    residence (street or village, and the commune when it is one of today's units of the
    province; a residence elsewhere clears the commune). `identity_verified_at` says when.
    """
    subject = str(claims.get("sub") or "").strip()
    if not subject:
        raise OtpError(_("The e-ID provider did not say who you are. Try again."), code="no_sub")
    phone = None
    try:
        phone = phone_normalize(str(claims.get("phone_number") or ""))
    except ValidationError:
        phone = None
    profile = CitizenProfile.objects.select_for_update().filter(oidc_subject=subject).first()
    if profile is None and phone:
        profile = (
            CitizenProfile.objects.select_for_update()
            .filter(phone=phone, oidc_subject__isnull=True)
            .first()
        )
    if profile is None:
        profile = CitizenProfile(user=_citizen_user_new())
    profile.oidc_subject = subject
    if name := _claim_text(claims, "name", 200):
        profile.full_name = name
    if citizen_id := _claim_text(claims, id_claim, 20):
        profile.citizen_id = citizen_id
    birth = _claim_date(claims.get("birthdate"))
    if birth:
        profile.birth_date = birth
    if sex := _GENDERS.get(_claim_text(claims, "gender", 10).casefold()):
        profile.sex = sex
    if ethnicity := _claim_text(claims, claim.ETHNICITY, 50):
        profile.ethnicity = ethnicity
    if nationality := _claim_text(claims, claim.NATIONALITY, 50):
        profile.nationality = nationality
    residence = _residence(claims)
    if residence is not None:
        profile.commune, street = residence
        if street:
            profile.address = street
    if phone and profile.phone != phone:
        taken = CitizenProfile.objects.filter(phone=phone).exclude(pk=profile.pk).exists()
        if not taken:
            profile.phone = phone
    profile.identity_verified_at = timezone.now()
    profile.save()
    if profile.full_name and profile.user.first_name != profile.full_name[:150]:
        profile.user.first_name = profile.full_name[:150]
        profile.user.save(update_fields=["first_name"])
    return profile.user


# --- officials: TOTP (two-step sign-in) -------------------------------------------------------


@transaction.atomic
def official_totp_begin(*, user: AbstractUser) -> str:
    """Start (or restart) enrolment: a new secret, not yet confirmed. Returns the
    otpauth:// URI to show once as a QR code. Refused when already confirmed."""
    existing = OfficialTotp.objects.select_for_update().filter(user=user).first()
    if existing is not None and existing.confirmed:
        raise ValidationError(_("Two-step sign-in is already on for this account."))
    secret = otp.totp_secret_new()
    OfficialTotp.objects.update_or_create(
        user=user,
        defaults={
            "secret_encrypted": otp.secret_encrypt(secret),
            "confirmed": False,
            "last_step": 0,
            "confirmed_at": None,
        },
    )
    return otp.totp_uri(secret, account=user.get_username())


def official_totp_uri(*, user: AbstractUser) -> str | None:
    """The URI of an enrolment not yet confirmed (None once confirmed: never shown again)."""
    row = OfficialTotp.objects.filter(user=user, confirmed=False).first()
    secret = otp.secret_decrypt(row.secret_encrypted) if row else None
    return otp.totp_uri(secret, account=user.get_username()) if secret else None


@transaction.atomic
def official_totp_check(*, user: AbstractUser, code: str, at: float | None = None) -> bool:
    """True when `code` is the current TOTP of `user` (and was not used before). The
    first right code confirms an enrolment."""
    row = OfficialTotp.objects.select_for_update().filter(user=user).first()
    if row is None:
        return False
    secret = otp.secret_decrypt(row.secret_encrypted)
    if secret is None:
        return False
    step = otp.totp_match(secret, code, after_step=row.last_step, at=at)
    if step is None:
        return False
    row.last_step = step
    fields = ["last_step"]
    if not row.confirmed:
        row.confirmed = True
        row.confirmed_at = timezone.now()
        fields += ["confirmed", "confirmed_at"]
    row.save(update_fields=fields)
    return True
