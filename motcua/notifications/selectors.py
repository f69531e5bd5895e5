"""Notification reads: channel choice, templates, failures for officers, deadline lists."""

from __future__ import annotations

import functools
import operator
from datetime import datetime, timedelta

from django.db.models import BooleanField, ExpressionWrapper, Q

from motcua.core.calendar import add_office_time
from motcua.core.selectors import working_calendar
from motcua.dossiers.models import Dossier, NationalStatus
from motcua.notifications import conf
from motcua.notifications.channels import Channel, registry
from motcua.notifications.models import (
    FAILED_STATUSES,
    ContactPreference,
    MessageTemplate,
    Notification,
)
from motcua.notifications.text import vn_mobile

# Templates whose context holds a secret (a one-time sign-in or confirmation code), and
# the context keys that hold it. The code must reach the phone, so the outbox keeps it
# until delivery and forgets it then (services._finish); nobody else reads it meanwhile
# (ASVS 5.0 V14.2.4): the admin shows it masked.
SECRET_TEMPLATES = frozenset({"otp", "filing_confirm"})
SECRET_KEYS = frozenset({"code"})
MASK = "••••••"


def notification_context_shown(*, notification: Notification) -> dict:
    """The notification's context as officials may see it: a secret code masked."""
    context = dict(notification.context or {})
    if notification.template in SECRET_TEMPLATES:
        for key in SECRET_KEYS & context.keys():
            context[key] = MASK
    return context


# Dossiers whose legal clock is running (a paused clock also has paused_at set).
OPEN_STATUSES = (NationalStatus.RECEIVED, NationalStatus.PROCESSING)
WORKING_DAY = timedelta(hours=8)
# However long the holidays (Tết is at most 9 days off), 2 working days end within this.
_HORIZON_CAP = timedelta(days=16)


def contact_key(phone: str) -> str:
    """The form a phone number is stored in for preferences: 84xxxxxxxxx when it is a
    Vietnamese mobile number, else as typed (without spaces)."""
    return vn_mobile(phone) or "".join(phone.split())


def contact_preference_for(*, phone: str, email: str) -> str:
    """The channel the person chose, or "" (then the fallback order decides)."""
    phone, email = contact_key(phone), email.strip().lower()
    conditions = [Q(phone=phone)] if phone else []
    if email:
        conditions.append(Q(email=email))
    if not conditions:
        return ""
    rows = list(
        ContactPreference.objects.filter(functools.reduce(operator.or_, conditions)).values_list(
            "phone", "channel"
        )[:2]
    )
    # A preference given with the phone wins over one given with the e-mail.
    rows.sort(key=lambda row: row[0] != phone)
    return rows[0][1] if rows else ""


def channel_candidates(*, notification: Notification, template: MessageTemplate) -> list[Channel]:
    """Channels that can carry this notification now, best first: the preferred one, then
    the fallback order; only enabled ones, with an address for the recipient and a text
    in the template, and not refused before for this recipient."""
    order = [notification.preferred_channel, *conf.channel_order()]
    seen: set[str] = set()
    result: list[Channel] = []
    for channel_id in order:
        if not channel_id or channel_id in seen:
            continue
        seen.add(channel_id)
        plugin = registry.get(channel_id)
        if (
            plugin is not None
            and channel_id not in (notification.exhausted_channels or [])
            and plugin.is_enabled()
            and plugin.address(notification)
            and plugin.accepts(template)
        ):
            result.append(plugin)
    return result


def message_template_current(*, key: str) -> MessageTemplate | None:
    return MessageTemplate.objects.filter(key=key).order_by("-version").first()


def message_template_versions(*, key: str) -> list[MessageTemplate]:
    return list(MessageTemplate.objects.filter(key=key).order_by("-version"))


PAGE_SIZE = 50


def notifications_failed(
    *, agency_ids: list[int] | None, before_id: int | None = None, limit: int = PAGE_SIZE
) -> list[Notification]:
    """Failed notifications of these agencies (None: all), newest first, keyset-paged:
    rows older than `before_id`. One more than `limit` tells that a next page exists.
    `secret`: a one-time code's message, never sent again (the code is forgotten; the
    person asks for a new one)."""
    rows = (
        Notification.objects.filter(status__in=FAILED_STATUSES)
        .select_related("dossier", "agency")
        .defer("context")  # never shown here: a code still in it stays in the database
        .annotate(
            secret=ExpressionWrapper(Q(template__in=SECRET_TEMPLATES), output_field=BooleanField())
        )
    )
    if agency_ids is not None:
        rows = rows.filter(agency_id__in=agency_ids)
    if before_id:
        rows = rows.filter(pk__lt=before_id)
    return list(rows.order_by("-id")[: limit + 1])


def notification_failed_for(*, pk: int, agency_ids: list[int] | None) -> Notification | None:
    rows = Notification.objects.filter(pk=pk, status__in=FAILED_STATUSES)
    if agency_ids is not None:
        rows = rows.filter(agency_id__in=agency_ids)
    return rows.first()


def _running(now: datetime, agency_ids: list[int] | None) -> list[Dossier]:
    rows = Dossier.objects.filter(
        status__in=OPEN_STATUSES,
        paused_at__isnull=True,
        due_at__gt=now,
        due_at__lte=now + _HORIZON_CAP,
    ).select_related("competent_agency", "assignee", "procedure_version")
    if agency_ids is not None:
        rows = rows.filter(
            Q(competent_agency_id__in=agency_ids) | Q(receiving_agency_id__in=agency_ids)
        )
    return list(rows.order_by("due_at"))


def _horizons(dossiers: list[Dossier], now: datetime, amount: timedelta) -> dict[int, datetime]:
    """now + `amount` of office time, per competent agency (each has its own hours)."""
    horizons: dict[int, datetime] = {}
    for dossier in dossiers:
        agency = dossier.competent_agency
        if agency.pk not in horizons:
            horizons[agency.pk] = add_office_time(now, amount, working_calendar(agency=agency))
    return horizons


def dossiers_due_within(
    *, now: datetime, amount: timedelta, agency_ids: list[int] | None = None
) -> list[Dossier]:
    """Running dossiers due after `now` and within `amount` of office time."""
    dossiers = _running(now, agency_ids)
    horizons = _horizons(dossiers, now, amount)
    return [d for d in dossiers if d.due_at <= horizons[d.competent_agency_id]]


def dossiers_apology_window(*, now: datetime, agency_ids: list[int] | None = None) -> list[Dossier]:
    """Running dossiers not yet rescheduled whose last chance to apologise (form 04, at
    least 1 working day before the due moment) ends within the next working day: the
    ones a leader must decide on today if they may be late."""
    dossiers = [d for d in _running(now, agency_ids) if d.apologies == 0]
    one = _horizons(dossiers, now, WORKING_DAY)
    two = _horizons(dossiers, now, 2 * WORKING_DAY)
    return [
        d for d in dossiers if one[d.competent_agency_id] < d.due_at <= two[d.competent_agency_id]
    ]
