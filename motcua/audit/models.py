"""The audit trail: one row per thing someone did that the province must be able to
account for (Decree 13/2023 on personal data; Decree 85/2016 on system security levels).
Rows are only ever added."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.audit.appendonly import AppendOnlyModel


class AuditEvent(AppendOnlyModel):
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    # Dotted, stable names: "auth.login", "auth.login_failed", "role.grant", …
    action = models.CharField(_("action"), max_length=60, db_index=True)
    # No database constraint: an account may go, its trail stays (the label keeps who).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_label = models.CharField(_("who (as recorded)"), max_length=200, blank=True)
    ip = models.CharField(_("address"), max_length=64, blank=True, db_index=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object"), max_length=64, blank=True)
    object_label = models.CharField(_("object (as recorded)"), max_length=200, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    # What else says what happened: the filters of an export, the reason of a failure.
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            # The audit page finds events by who and by object (a dossier's code).
            models.Index(fields=["actor_label", "at"], name="audit_actor_at"),
            models.Index(fields=["object_label", "at"], name="audit_object_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.actor_label}"
