from __future__ import annotations

from django.conf import settings
from django.db import models
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
