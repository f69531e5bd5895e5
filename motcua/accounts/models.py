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
