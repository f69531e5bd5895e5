from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationStatus(models.TextChoices):
    CREATED = "created", _("created")
    SENDING = "sending", _("sending")
    DELIVERED = "delivered", _("delivered")
    TEMPORARY_FAILURE = "temporary-failure", _("temporary failure")
    TECHNICAL_FAILURE = "technical-failure", _("technical failure")


class Notification(models.Model):
    """An outbox row: written in the same transaction as the dossier event it tells of.

    Delivery (a worker job) claims a row atomically and sends only while it is still
    `created`, so a replayed job never sends twice.
    """

    dossier = models.ForeignKey(
        "dossiers.Dossier",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    event = models.ForeignKey(
        "dossiers.DossierEvent", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    template = models.CharField(_("template"), max_length=60)
    recipient_phone = models.CharField(max_length=15, blank=True)
    recipient_email = models.EmailField(blank=True)
    context = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=NotificationStatus.choices,
        default=NotificationStatus.CREATED,
        db_index=True,
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.template} → {self.recipient_phone or self.recipient_email}"
