from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NotificationStatus(models.TextChoices):
    CREATED = "created", _("created")
    SENDING = "sending", _("sending")
    DELIVERED = "delivered", _("delivered")
    TEMPORARY_FAILURE = "temporary-failure", _("temporary failure")
    TECHNICAL_FAILURE = "technical-failure", _("technical failure")
    PERMANENT_FAILURE = "permanent-failure", _("permanent failure")


# What an officer must look at: the retry budget is spent or no channel reaches the person.
FAILED_STATUSES = (NotificationStatus.TECHNICAL_FAILURE, NotificationStatus.PERMANENT_FAILURE)


class ChannelChoice(models.TextChoices):
    ZALO = "zalo", _("Zalo")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("e-mail")


class MessageTemplate(models.Model):
    """One version of the message sent for an event (data an administrator edits).

    Versions are never edited: saving a change creates the next version, and a
    notification renders the version it was first sent with, so a retry repeats the
    same words and history shows what people received.
    """

    key = models.CharField(_("event"), max_length=60)
    version = models.PositiveIntegerField(_("version"))
    description = models.CharField(_("description"), max_length=200, blank=True)
    subject = models.CharField(_("e-mail subject"), max_length=200)
    email_body = models.TextField(_("e-mail text"))
    sms_body = models.TextField(
        _("SMS text"),
        blank=True,
        help_text=_("Keep it short: SMS gateways without Unicode receive it without diacritics."),
    )
    zalo_template_id = models.CharField(
        _("Zalo ZNS template id"),
        max_length=40,
        blank=True,
        help_text=_("The id of the template approved by Zalo; empty: not sent by Zalo."),
    )
    zalo_params = models.JSONField(
        _("Zalo ZNS parameters"),
        default=dict,
        blank=True,
        help_text=_('Parameter name → template text, e.g. {"ma_ho_so": "{{ code }}"}.'),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="message_template_version")
        ]

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"


class ContactPreference(models.Model):
    """How a citizen wants to be told (Zalo, SMS or e-mail), keyed by their phone or e-mail.

    Copied onto each notification when the row is written, so later changes do not
    reroute messages already in the outbox.
    """

    phone = models.CharField(_("phone"), max_length=15, blank=True, db_index=True)
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    channel = models.CharField(_("preferred channel"), max_length=20, choices=ChannelChoice.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("contact preference")
        verbose_name_plural = _("contact preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["phone"], condition=~Q(phone=""), name="contact_preference_phone"
            ),
            models.UniqueConstraint(
                fields=["email"], condition=~Q(email=""), name="contact_preference_email"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.phone or self.email} → {self.channel}"


class Notification(models.Model):
    """An outbox row: written in the same transaction as the dossier event it tells of.

    Delivery (a worker job) claims a row atomically (created → sending) and sends only
    then, so a replayed job never sends twice; every send carries `key` as the
    gateway's idempotency key (SMS RequestId, ZNS tracking_id, e-mail Message-ID), so
    re-sending a row a crashed worker left in `sending` is deduplicated by the gateway.
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
    # The agency whose officers see this row when it fails (scopes the failures page).
    agency = models.ForeignKey(
        "organizations.Agency",
        verbose_name=_("agency"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    key = models.UUIDField(_("idempotency key"), default=uuid.uuid4, unique=True, editable=False)
    template = models.CharField(_("template"), max_length=60)
    template_version = models.ForeignKey(
        MessageTemplate,
        verbose_name=_("template version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    recipient_phone = models.CharField(max_length=15, blank=True)
    recipient_email = models.EmailField(blank=True)
    context = models.JSONField(default=dict, blank=True)
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=20, choices=ChannelChoice.choices, blank=True
    )
    # One notification per purpose (e.g. one reminder per dossier and due moment).
    dedupe_key = models.CharField(max_length=150, blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=NotificationStatus.choices,
        default=NotificationStatus.CREATED,
        db_index=True,
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    channel = models.CharField(_("delivery channel"), max_length=20, blank=True)
    # The last send ended without a clear answer (timeout, crash): the next attempt must
    # go to the same gateway with the same key, which only that gateway deduplicates.
    channel_pinned = models.BooleanField(default=False)
    exhausted_channels = models.JSONField(default=list, blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now, null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    provider_reference = models.CharField(_("provider reference"), max_length=100, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-id"]
        indexes = [
            # The sweeper: due rows per status.
            models.Index(fields=["status", "next_attempt_at"], name="notification_due"),
            models.Index(fields=["status", "claimed_at"], name="notification_claimed"),
            # The failures page: one agency's failed rows, newest first.
            models.Index(fields=["agency", "status", "-id"], name="notification_agency"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"], condition=~Q(dedupe_key=""), name="notification_dedupe"
            )
        ]

    def __str__(self) -> str:
        return f"{self.template} → {self.recipient_phone or self.recipient_email}"


class RateBucket(models.Model):
    """Token bucket of one channel, shared by every worker through the database."""

    channel = models.CharField(max_length=20, primary_key=True)
    tokens = models.FloatField()
    stamp = models.FloatField(help_text="Unix time of the last refill.")

    class Meta:
        verbose_name = _("rate bucket")
        verbose_name_plural = _("rate buckets")

    def __str__(self) -> str:
        return f"{self.channel}: {self.tokens:.1f}"
