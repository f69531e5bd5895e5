from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RECEIVING_OFFICER = "receiving_officer", _("receiving officer")
    SPECIALIST = "specialist", _("specialist")
    APPROVER = "approver", _("approver")
    LEADER = "leader", _("leader")
    AGENCY_ADMIN = "agency_admin", _("agency administrator")
    PROVINCE_ADMIN = "province_admin", _("province administrator")


class RoleAssignment(models.Model):
    """An official holds a role in one agency; every back-office query is scoped by it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("official"),
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    agency = models.ForeignKey(
        "organizations.Agency",
        verbose_name=_("agency"),
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "agency", "role"], name="role_once_per_agency")
        ]
        indexes = [models.Index(fields=["agency", "role"])]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.agency}"


class Sex(models.TextChoices):
    # The values the online forms use (catalog.formdefs.SEXES).
    MALE = "nam", _("male")
    FEMALE = "nu", _("female")


class CitizenProfile(models.Model):
    """A citizen who signs in to the portal (by phone and one-time code, or by VNeID)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="citizen_profile",
    )
    # Stored as 84xxxxxxxxx (the form the SMS gateways take).
    phone = models.CharField(_("phone"), max_length=15, unique=True, null=True, blank=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    # Given on the contact page when the citizen wants news of their dossiers by e-mail.
    email = models.EmailField(_("e-mail"), blank=True)
    citizen_id = models.CharField(_("citizen ID number"), max_length=20, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=3, choices=Sex.choices, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=50, blank=True)
    nationality = models.CharField(_("nationality"), max_length=50, blank=True)
    # Street, village or house number; the commune or ward is `commune`.
    address = models.CharField(_("address"), max_length=300, blank=True)
    commune = models.ForeignKey(
        "organizations.AdministrativeUnit",
        verbose_name=_("commune or ward"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The `sub` claim of the e-ID provider (VNeID), once the citizen signed in with it.
    oidc_subject = models.CharField(
        _("e-ID subject"), max_length=255, unique=True, null=True, blank=True
    )
    identity_verified_at = models.DateTimeField(
        _("identity confirmed by e-ID at"),
        null=True,
        blank=True,
        help_text=_(
            "When an e-ID (VNeID) last vouched for these details; empty for phone-only "
            "accounts."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("citizen")
        verbose_name_plural = _("citizens")

    def __str__(self) -> str:
        return self.full_name or self.phone or str(self.user)


class PhoneOtp(models.Model):
    """One one-time sign-in code sent to a phone: only its keyed hash is kept."""

    phone = models.CharField(max_length=15, db_index=True)
    code_hash = models.CharField(max_length=128)
    salt = models.CharField(max_length=32)
    client_ip = models.CharField(max_length=64, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        indexes = [models.Index(fields=["phone", "created_at"], name="phone_otp_recent")]

    def __str__(self) -> str:
        return f"{self.phone} @ {self.created_at:%Y-%m-%d %H:%M}"


class OfficialTotp(models.Model):
    """An official's authenticator app (RFC 6238); the secret is kept encrypted."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("official"),
        on_delete=models.CASCADE,
        related_name="totp",
    )
    secret_encrypted = models.TextField()
    confirmed = models.BooleanField(_("confirmed"), default=False)
    # The last 30-second step accepted: a code is never accepted twice.
    last_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("two-step sign-in")
        verbose_name_plural = _("two-step sign-ins")

    def __str__(self) -> str:
        return f"{self.user} ({'confirmed' if self.confirmed else 'pending'})"


class LookupResult(models.TextChoices):
    PENDING = "pending", _("asked, no answer yet")
    FOUND = "found", _("found")
    NOT_FOUND = "not_found", _("not found")
    ERROR = "error", _("service error")
    REFUSED = "refused", _("refused: no consent")


class PopulationLookup(models.Model):
    """One question to the national population database: who asked, about which ID
    number, why, with whose consent, and what came of it. Written before the service is
    called and completed after, so that even a call that never returned is on record."""

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("asked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept as text too: the record must still say who asked once the account is gone.
    requester_label = models.CharField(_("asked by (as recorded)"), max_length=200, blank=True)
    id_number = models.CharField(_("ID number looked up"), max_length=20, db_index=True)
    purpose = models.CharField(_("purpose"), max_length=300)
    consent = models.BooleanField(_("with consent"))
    result = models.CharField(
        _("result"), max_length=10, choices=LookupResult.choices, default=LookupResult.PENDING
    )
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("asked at"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("population data lookup")
        verbose_name_plural = _("population data lookups")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.id_number} – {self.requester_label} @ {self.created_at:%Y-%m-%d %H:%M}"


class OfficialAccount(models.Model):
    """What sign-in needs to know of an official's (or administrator's) password beyond
    its hash: whether it was set by an administrator and must be changed before anything
    else (ASVS 5.0 V6.4.1: a temporary password is used once), and when the official last
    chose one. No row: nothing to ask."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("official"),
        on_delete=models.CASCADE,
        related_name="official_account",
    )
    must_change_password = models.BooleanField(_("must change the password"), default=False)
    password_changed_at = models.DateTimeField(_("password chosen at"), null=True, blank=True)
    password_reset_at = models.DateTimeField(_("password reset at"), null=True, blank=True)

    class Meta:
        verbose_name = _("official's account")
        verbose_name_plural = _("officials' accounts")

    def __str__(self) -> str:
        return str(self.user)
