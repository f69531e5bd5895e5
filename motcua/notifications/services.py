"""Notification writes: outbox rows, delivery, retries, the sweeper, templates, deadline jobs.

The delivery protocol (after GOV.UK Notify's send_to_providers):

1. A row is written `created` in the transaction of the event it tells of; its
   delivery job is enqueued only after commit (`notifications_enqueue`).
2. The job claims the row with one conditional UPDATE (created → sending, attempts
   + 1, claimed_at = now) and goes on only if exactly one row changed: a job that runs
   twice, or a job and the sweeper, can never both send.
3. It pins the template version, picks the channel (the citizen's preference, then the
   fallback order), takes a token from the channel's rate bucket, records the channel,
   and sends with the row's `key` as the gateway's idempotency key.
4. It records the answer, guarded by `claimed_at` so that a slow worker whose row was
   taken over cannot overwrite the newer attempt: delivered (reference, sent_at); or
   back to created with `next_attempt_at` and a scheduled job (retry with backoff; an
   unclear answer pins the row to the same gateway); or, after the budget,
   technical-failure; or permanent-failure when no channel can reach the person.
5. The sweeper (periodic, and at worker start) re-enqueues created rows whose job was
   lost, and puts rows stuck in sending (worker killed mid-send) back to created,
   pinned to their channel, so they are re-sent with the same key — which the gateway
   deduplicates.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, Max, Q, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Greatest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.accounts.models import Role, RoleAssignment
from motcua.core.calendar import VN_TZ
from motcua.core.conf import setting
from motcua.dossiers.models import Dossier
from motcua.notifications import conf
from motcua.notifications.channels import Channel, Outcome, ProviderResult, registry
from motcua.notifications.defaults import DEFAULT_TEMPLATES, SAMPLE_CONTEXT
from motcua.notifications.models import (
    FAILED_STATUSES,
    ContactPreference,
    MessageTemplate,
    Notification,
    NotificationStatus,
)
from motcua.notifications.ratelimit import rate_take
from motcua.notifications.rendering import UNESCAPING, RenderError, render_html, render_text
from motcua.notifications.selectors import (
    OPEN_STATUSES,
    SECRET_TEMPLATES,
    channel_candidates,
    contact_key,
    contact_preference_for,
    dossiers_apology_window,
    dossiers_due_within,
    message_template_current,
)
from motcua.notifications.text import sms_capacity, sms_fit, sms_units, strip_diacritics
from motcua.organizations.models import Agency

logger = logging.getLogger(__name__)

S = NotificationStatus
# Huey's scheduler may start a job a little before the database's clock says it is due.
CLOCK_SLACK = timedelta(seconds=1)
WORKING_DAY = timedelta(hours=8)


class NotificationError(Exception):
    """A refused notification action; the message is safe to show an official."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


# --- citizens' preferences ------------------------------------------------------------------


def contact_preference_set(*, channel: str, phone: str = "", email: str = "") -> ContactPreference:
    """Remember how the person with this phone (or e-mail) wants to be told."""
    if channel not in registry:
        raise ValidationError({"channel": _("Unknown channel.")})
    phone, email = contact_key(phone), email.strip().lower()
    if not (phone or email):
        raise ValidationError(_("Give a phone number or an e-mail address."))
    # Keyed by the phone when there is one (it reaches Zalo and SMS), else the e-mail.
    lookup = {"phone": phone} if phone else {"email": email}
    preference, _created = ContactPreference.objects.update_or_create(
        **lookup, defaults={"channel": channel}
    )
    return preference


def contact_preference_expression(*, phone: str, email: str) -> RawSQL | str:
    """contact_preference_for (the same rule: the phone's preference before the
    e-mail's) as a subquery the outbox row's INSERT evaluates: no round trip of its own.
    Written out (one of three texts), not built with the ORM: building that costs more
    than the round trip. The instance saved with it holds the expression, not the channel."""
    phone, email = contact_key(phone), email.strip().lower()
    if not (phone or email):
        return ""
    qn = connection.ops.quote_name
    table = qn(ContactPreference._meta.db_table)
    where = " OR ".join(
        [f"{qn('phone')} = %s"] * bool(phone) + [f"{qn('email')} = %s"] * bool(email)
    )
    # A row of the phone sorts first (true after false, hence DESC, on both databases).
    sql = (
        f"COALESCE((SELECT {qn('channel')} FROM {table} WHERE {where} "
        f"ORDER BY ({qn('phone')} = %s) DESC LIMIT 1), '')"
    )
    return RawSQL(sql, [*([phone] if phone else []), *([email] if email else []), phone])


# --- writing outbox rows --------------------------------------------------------------------


def notification_write(
    *,
    template: str,
    context: dict[str, Any],
    recipient_phone: str = "",
    recipient_email: str = "",
    dossier: Dossier | None = None,
    agency_id: int | None = None,
    preferred_channel: str | None = None,
    dedupe_key: str = "",
) -> Notification | None:
    """Write one outbox row in the caller's transaction; its delivery is enqueued on
    commit. Returns None when `dedupe_key` was already used (the row exists)."""
    if preferred_channel is None:
        preferred_channel = contact_preference_for(phone=recipient_phone, email=recipient_email)
    try:
        with transaction.atomic():  # a savepoint: a duplicate leaves the caller's work intact
            row = Notification.objects.create(
                dossier=dossier,
                agency_id=agency_id,
                template=template,
                context=context,
                recipient_phone=recipient_phone,
                recipient_email=recipient_email,
                preferred_channel=preferred_channel,
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        if dedupe_key and Notification.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise
    transaction.on_commit(functools.partial(notifications_enqueue, ids=[row.pk]))
    return row


def notifications_enqueue(*, ids: Iterable[int]) -> None:
    """Hand committed rows to the delivery worker. Never raises: a row whose job could
    not be queued (queue down) stays created and the sweeper queues it later."""
    from motcua.notifications.tasks import deliver_notification

    for pk in ids:
        try:
            deliver_notification(pk)
        except Exception:
            logger.exception("Could not enqueue notification %s; the sweeper will.", pk)


def _schedule(pk: int, eta: datetime) -> None:
    from motcua.notifications.tasks import deliver_notification

    try:
        if eta <= timezone.now():
            deliver_notification(pk)
        else:
            deliver_notification.schedule(args=(pk,), eta=eta)
    except Exception:
        logger.exception("Could not schedule notification %s; the sweeper will.", pk)


# --- delivery -------------------------------------------------------------------------------


def retry_delay(attempts: int) -> float:
    """Seconds to wait after the `attempts`-th failed attempt."""
    base = conf.get("NOTIFY_RETRY_DELAY")
    factor = conf.get("NOTIFY_RETRY_BACKOFF")
    return min(conf.get("NOTIFY_RETRY_MAX_DELAY"), base * factor ** max(0, attempts - 1))


def notification_deliver(*, notification_id: int) -> str:
    """One delivery attempt (the job's body). Returns what happened, for logs and tests."""
    now = timezone.now()
    claimed = Notification.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + CLOCK_SLACK),
        pk=notification_id,
        status=S.CREATED,
    ).update(status=S.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if claimed != 1:
        return "not-claimed"  # sent, failed, being sent, or not due: someone else's job
    row = Notification.objects.select_related("template_version").get(pk=notification_id)
    mine = Notification.objects.filter(pk=row.pk, status=S.SENDING, claimed_at=now)

    template = row.template_version
    if template is None:
        template = message_template_for_sending(key=row.template)
        if template is None:
            return _finish(row, mine, None, _technical(f"no message template {row.template!r}"))
        mine.update(template_version=template)
        row.template_version = template

    plugin = _channel_for(row, template)
    if plugin is None:
        if row.exhausted_channels:
            mine.update(
                status=S.PERMANENT_FAILURE,
                last_error=_("No channel reaches the recipient."),
                **({"context": {}} if row.template in SECRET_TEMPLATES else {}),
            )
            return S.PERMANENT_FAILURE
        result = ProviderResult(Outcome.RETRY, error="no enabled channel can reach the recipient")
        return _finish(row, mine, None, result)

    rate, burst = plugin.rate()
    wait = rate_take(channel=plugin.id, rate=rate, burst=burst)
    if wait > 0:
        result = ProviderResult(Outcome.RATE_LIMITED, error="rate limit", retry_after=wait)
        return _finish(row, mine, plugin, result)

    if row.channel != plugin.id:
        # Recorded before sending: if this worker dies mid-send, the row is re-sent on
        # the same gateway, the only one that knows this key.
        mine.update(channel=plugin.id)
        row.channel = plugin.id
    try:
        result = plugin.send(row)
    except RenderError as exc:
        result = _technical(f"template {template}: {exc}")
    except Exception as exc:  # a plugin bug: it may have sent, so treat it as unclear
        logger.exception("Channel %s failed on notification %s", plugin.id, row.pk)
        result = ProviderResult(Outcome.UNKNOWN, error=f"{type(exc).__name__}: {exc}")
    return _finish(row, mine, plugin, result)


def _technical(error: str) -> ProviderResult:
    return ProviderResult(Outcome.FAILED, error=error)


def _channel_for(row: Notification, template: MessageTemplate) -> Channel | None:
    if row.channel_pinned and row.channel:
        return registry.get(row.channel)
    candidates = channel_candidates(notification=row, template=template)
    for plugin in candidates:
        if plugin.id == row.channel:
            return plugin  # the channel chosen for this attempt by the previous one
    return candidates[0] if candidates else None


def _next_channel(row: Notification, template: MessageTemplate, current: str) -> str:
    ids = [p.id for p in channel_candidates(notification=row, template=template)]
    if not ids:
        return ""
    if current in ids:
        return ids[(ids.index(current) + 1) % len(ids)]
    return ids[0]


def _finish(row: Notification, mine: Any, plugin: Channel | None, result: ProviderResult) -> str:
    now = timezone.now()
    channel = plugin.id if plugin else row.channel
    error = result.error[:500]
    # A one-time code is forgotten once its message is delivered or has failed for good:
    # the outbox is no store of sign-in codes.
    secret = {"context": {}} if row.template in SECRET_TEMPLATES else {}
    if result.outcome == Outcome.DELIVERED:
        done = mine.update(
            status=S.DELIVERED,
            channel=channel,
            channel_pinned=False,
            provider_reference=result.reference[:100],
            sent_at=now,
            next_attempt_at=None,
            last_error="",
            **secret,  # a delivered sign-in code is not kept in the outbox
        )
        outcome = S.DELIVERED
    elif result.outcome == Outcome.RATE_LIMITED:
        eta = now + timedelta(seconds=result.retry_after or retry_delay(1))
        done = mine.update(
            status=S.CREATED,
            attempts=Greatest(F("attempts") - 1, Value(0)),  # waiting is not failing
            next_attempt_at=eta,
            last_error=error,
        )
        if done:
            _schedule(row.pk, eta)
        outcome = "rate-limited"
    elif result.outcome == Outcome.UNREACHABLE and plugin is not None:
        exhausted = [*row.exhausted_channels, plugin.id]
        row.exhausted_channels = exhausted
        left = channel_candidates(notification=row, template=row.template_version)
        if left:
            done = mine.update(
                status=S.CREATED,
                attempts=Greatest(F("attempts") - 1, Value(0)),  # fall back at once
                exhausted_channels=exhausted,
                channel=left[0].id,
                channel_pinned=False,
                next_attempt_at=now,
                last_error=error,
            )
            if done:
                _schedule(row.pk, now)
            outcome = "fallback"
        else:
            done = mine.update(
                status=S.PERMANENT_FAILURE,
                exhausted_channels=exhausted,
                last_error=error,
                **secret,
            )
            outcome = S.PERMANENT_FAILURE
    elif result.outcome == Outcome.FAILED or row.attempts >= conf.get("NOTIFY_MAX_ATTEMPTS"):
        done = mine.update(
            status=S.TECHNICAL_FAILURE, next_attempt_at=None, last_error=error, **secret
        )
        outcome = S.TECHNICAL_FAILURE
    else:
        unclear = result.outcome == Outcome.UNKNOWN
        eta = now + timedelta(seconds=retry_delay(row.attempts))
        template = row.template_version
        next_channel = (
            channel if unclear or template is None else _next_channel(row, template, channel)
        )
        done = mine.update(
            status=S.CREATED,
            next_attempt_at=eta,
            channel=next_channel,
            channel_pinned=unclear and bool(channel),
            last_error=error,
        )
        if done:
            _schedule(row.pk, eta)
        outcome = "retry"
    if not done:
        # The sweeper took the row over while this attempt ran too long; its re-send
        # carries the same key, so the gateway keeps one message.
        logger.warning("Notification %s was taken over during its attempt", row.pk)
        return "taken-over"
    return str(outcome)


def notification_retry(*, notification: Notification, actor: AbstractBaseUser) -> Notification:
    """An officer's retry of a failed notification: a fresh budget, delivered again soon.

    The key stays the same, and so does a pinned channel: if an earlier attempt did
    reach its gateway, that gateway still recognises the message. A one-time code is
    never sent again: it has expired and was forgotten; the citizen asks for a new one.
    """
    if notification.template in SECRET_TEMPLATES:
        raise NotificationError(
            _("A one-time code is not sent again: the person asks for a new code.")
        )
    now = timezone.now()
    with transaction.atomic():
        changed = Notification.objects.filter(
            pk=notification.pk, status__in=FAILED_STATUSES
        ).update(
            status=S.CREATED,
            attempts=0,
            next_attempt_at=now,
            claimed_at=None,
            exhausted_channels=[],
            last_error="",
        )
        if changed != 1:
            raise NotificationError(_("This notification is no longer failed."))
        transaction.on_commit(functools.partial(notifications_enqueue, ids=[notification.pk]))
    logger.info("Notification %s retried by %s", notification.pk, actor.get_username())
    notification.refresh_from_db()
    return notification


@dataclass(frozen=True)
class SweepReport:
    requeued: int  # created rows whose job was lost
    recovered: int  # sending rows left by a crashed worker, re-sent with the same key
    expired: int  # stuck rows whose budget was spent: technical-failure


def outbox_sweep() -> SweepReport:
    """Re-enqueue what a crash left behind (run every minute and at worker start)."""
    now = timezone.now()
    batch = conf.get("NOTIFY_SWEEP_BATCH")
    stuck_before = now - timedelta(seconds=conf.get("NOTIFY_SENDING_TIMEOUT"))
    stuck = Notification.objects.filter(status=S.SENDING, claimed_at__lt=stuck_before)
    stuck_ids = list(stuck.order_by("claimed_at").values_list("pk", flat=True)[:batch])
    expired = stuck.filter(pk__in=stuck_ids, attempts__gte=conf.get("NOTIFY_MAX_ATTEMPTS")).update(
        status=S.TECHNICAL_FAILURE,
        last_error=_("Interrupted while sending, and the retry budget is spent."),
    )
    recovered = stuck.filter(pk__in=stuck_ids).update(
        status=S.CREATED,
        next_attempt_at=now,
        # A channel recorded before the crash may have taken the message: stay on it.
        channel_pinned=Case(When(channel="", then=Value(False)), default=Value(True)),
        last_error=_("Interrupted while sending; sent again with the same key."),
    )
    lost_before = now - timedelta(seconds=conf.get("NOTIFY_SWEEP_GRACE"))
    due = list(
        Notification.objects.filter(status=S.CREATED)
        .filter(Q(next_attempt_at__lte=lost_before) | Q(next_attempt_at__isnull=True))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:batch]
    )
    recovered_ids = (
        list(
            Notification.objects.filter(pk__in=stuck_ids, status=S.CREATED).values_list(
                "pk", flat=True
            )
        )
        if recovered
        else []
    )
    notifications_enqueue(ids=[*due, *recovered_ids])
    return SweepReport(requeued=len(due), recovered=recovered, expired=expired)


def notifications_purge(*, now: datetime | None = None) -> int:
    """Retention (settings, "Retention"): the outbox rows of one-time code messages go
    after MOTCUA_OTP_KEEP_DAYS, and a code still in a row that failed for good (the
    sweeper fails rows without reading them) is forgotten now. Messages about dossiers
    belong to the dossier's record and stay. Returns how many rows were deleted."""
    now = now or timezone.now()
    secret = Notification.objects.filter(template__in=SECRET_TEMPLATES)
    secret.filter(status__in=FAILED_STATUSES).update(context={})
    days = setting("MOTCUA_OTP_KEEP_DAYS", 30)
    if days <= 0:
        return 0
    return secret.filter(created_at__lt=now - timedelta(days=days)).delete()[0]


# --- templates ------------------------------------------------------------------------------


def message_template_check(
    *,
    subject: str,
    email_body: str,
    sms_body: str = "",
    zalo_template_id: str = "",
    zalo_params: Any = None,
) -> dict[str, str]:
    """Errors per field of a template draft, rendered with long sample values."""
    errors: dict[str, str] = {}
    for name, source in (("subject", subject), ("email_body", email_body), ("sms_body", sms_body)):
        try:
            render_text(source, SAMPLE_CONTEXT)
        except RenderError as exc:
            errors[name] = _("The template does not render: %(error)s") % {"error": exc}
    for name, source in (("subject", subject), ("email_body", email_body)):
        # The e-mail's HTML part escapes every value; a template may not turn that off.
        if name not in errors and UNESCAPING.search(source):
            errors[name] = _(
                "Values are always shown as typed in e-mails: remove “safe” and "
                "“autoescape off” from the template."
            )
        elif name == "email_body" and name not in errors:
            try:
                render_html(source, SAMPLE_CONTEXT)
            except RenderError as exc:
                errors[name] = _("The template does not render: %(error)s") % {"error": exc}
    if "sms_body" not in errors and sms_body.strip():
        text = render_text(sms_body, SAMPLE_CONTEXT)
        parts = conf.get("NOTIFY_SMS_MAX_PARTS")
        unicode = conf.get("NOTIFY_SMS_UNICODE")
        fitted = sms_fit(text, unicode=unicode, max_parts=parts)
        if fitted.shortened:
            plain = strip_diacritics(text) if not unicode else text
            encoding, used = sms_units(plain)
            errors["sms_body"] = _(
                "With long sample values the SMS takes %(used)s characters; at most "
                "%(limit)s fit (%(parts)s part(s), %(encoding)s). Shorten it."
            ) % {
                "used": used,
                "limit": sms_capacity(encoding, parts),
                "parts": parts,
                "encoding": "GSM-7" if encoding == "gsm7" else "UCS-2",
            }
    if zalo_params in (None, ""):
        zalo_params = {}
    if not isinstance(zalo_params, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in zalo_params.items()
    ):
        errors["zalo_params"] = _("Give an object of parameter name → template text.")
    else:
        for name, source in zalo_params.items():
            try:
                render_text(source, SAMPLE_CONTEXT)
            except RenderError as exc:
                errors["zalo_params"] = _("Parameter %(name)s does not render: %(error)s") % {
                    "name": name,
                    "error": exc,
                }
        if zalo_template_id.strip() and not zalo_params:
            errors["zalo_params"] = _("A Zalo template needs its parameters.")
    return errors


def message_template_save(
    *,
    key: str,
    subject: str,
    email_body: str,
    sms_body: str = "",
    zalo_template_id: str = "",
    zalo_params: dict[str, str] | None = None,
    description: str = "",
    actor: AbstractBaseUser | None = None,
) -> MessageTemplate:
    """Save a new version of the template for `key` (versions are never edited)."""
    key = key.strip()
    if not key:
        raise ValidationError({"key": _("Name the event.")})
    errors = message_template_check(
        subject=subject,
        email_body=email_body,
        sms_body=sms_body,
        zalo_template_id=zalo_template_id,
        zalo_params=zalo_params,
    )
    if errors:
        raise ValidationError(errors)
    for _attempt in range(3):  # two administrators saving at once: take the next number
        try:
            with transaction.atomic():
                latest = MessageTemplate.objects.filter(key=key).aggregate(v=Max("version"))["v"]
                return MessageTemplate.objects.create(
                    key=key,
                    version=(latest or 0) + 1,
                    description=description.strip(),
                    subject=subject.strip(),
                    email_body=email_body.strip(),
                    sms_body=sms_body.strip(),
                    zalo_template_id=zalo_template_id.strip(),
                    zalo_params=zalo_params or {},
                    created_by=actor if actor and actor.is_authenticated else None,
                )
        except IntegrityError:
            continue
    raise NotificationError(_("The template is being edited by someone else; try again."))


def _seed(key: str) -> MessageTemplate | None:
    data = DEFAULT_TEMPLATES.get(key)
    if data is None:
        return None
    template, _created = MessageTemplate.objects.get_or_create(key=key, version=1, defaults=data)
    return template


def message_templates_ensure_seeded() -> int:
    """Create version 1 of every shipped template that has no version yet (idempotent;
    an administrator's versions are never touched). Returns how many were created."""
    existing = set(MessageTemplate.objects.values_list("key", flat=True))
    created = 0
    for key in DEFAULT_TEMPLATES:
        if key not in existing:
            with transaction.atomic():
                _seed(key)
            created += 1
    return created


def message_template_for_sending(*, key: str) -> MessageTemplate | None:
    """The current version, seeding the shipped default when the key has none yet."""
    current = message_template_current(key=key)
    if current is not None:
        return current
    try:
        with transaction.atomic():
            return _seed(key)
    except IntegrityError:
        return message_template_current(key=key)


# --- deadline jobs --------------------------------------------------------------------------


def _site_url(path: str) -> str:
    base = conf.get("NOTIFY_SITE_URL").rstrip("/")
    return f"{base}{path}" if base else ""


def _dossier_url(dossier: Dossier) -> str:
    try:
        return _site_url(reverse("backoffice:dossier", args=[dossier.code]))
    except NoReverseMatch:
        return ""


def deadline_reminders_send(*, now: datetime | None = None) -> int:
    """E-mail the assigned officer of each running dossier due within 1 working day,
    once per dossier and due moment. Returns how many reminders were written."""
    now = now or timezone.now()
    dossiers = [d for d in dossiers_due_within(now=now, amount=WORKING_DAY) if d.assignee_id]
    keys = {d.pk: f"reminder:{d.pk}:{d.due_at.isoformat()}" for d in dossiers}
    done = set(
        Notification.objects.filter(dedupe_key__in=keys.values()).values_list(
            "dedupe_key", flat=True
        )
    )
    written = 0
    for dossier in dossiers:
        officer = dossier.assignee
        if keys[dossier.pk] in done or not getattr(officer, "email", ""):
            continue
        with transaction.atomic():
            row = notification_write(
                template="reminder",
                dossier=dossier,
                agency_id=dossier.competent_agency_id,
                recipient_email=officer.email,
                preferred_channel="email",
                dedupe_key=keys[dossier.pk],
                context={
                    "code": dossier.code,
                    "procedure": dossier.procedure_version.name,
                    "applicant": dossier.applicant_name,
                    "agency": dossier.competent_agency.name,
                    "officer": officer.get_full_name() or officer.get_username(),
                    "due_at": dossier.due_at.isoformat(),
                    "url": _dossier_url(dossier),
                },
            )
        written += row is not None
    return written


DIGEST_LIST = 10  # codes listed per group; the counts say the rest


def leader_digests_send(*, now: datetime | None = None) -> int:
    """The daily e-mail to each leader: late dossiers, dossiers to apologise for today,
    failed notifications, per agency they lead. Once per leader and day."""
    now = now or timezone.now()
    day = now.astimezone(VN_TZ).date()
    leaders: dict[int, list[int]] = {}
    for user_id, agency_id in RoleAssignment.objects.filter(role=Role.LEADER).values_list(
        "user_id", "agency_id"
    ):
        leaders.setdefault(user_id, []).append(agency_id)
    if not leaders:
        return 0
    at_risk_all = dossiers_apology_window(now=now)
    written = 0
    users = get_user_model().objects.filter(pk__in=leaders).exclude(email="")
    for user in users:
        key = f"digest:{user.pk}:{day.isoformat()}"
        if Notification.objects.filter(dedupe_key=key).exists():
            continue
        rows = [_digest_row(agency_id, now, at_risk_all) for agency_id in sorted(leaders[user.pk])]
        rows = [row for row in rows if row is not None]
        with transaction.atomic():
            written += (
                notification_write(
                    template="leader_digest",
                    recipient_email=user.email,
                    preferred_channel="email",
                    agency_id=leaders[user.pk][0],
                    dedupe_key=key,
                    context={
                        "leader": user.get_full_name() or user.get_username(),
                        "date": day.strftime("%d/%m/%Y"),
                        "agencies": rows,
                    },
                )
                is not None
            )
    return written


def _digest_row(agency_id: int, now: datetime, at_risk_all: list[Dossier]) -> dict[str, Any] | None:
    agency = Agency.objects.filter(pk=agency_id).first()
    if agency is None:
        return None
    mine = Q(competent_agency_id=agency_id) | Q(receiving_agency_id=agency_id)
    overdue = Dossier.objects.filter(
        mine, status__in=OPEN_STATUSES, paused_at__isnull=True, due_at__lt=now
    ).order_by("due_at")
    at_risk = [
        d for d in at_risk_all if agency_id in (d.competent_agency_id, d.receiving_agency_id)
    ]
    return {
        "name": agency.name,
        "overdue_count": overdue.count(),
        "overdue": list(overdue.values_list("code", flat=True)[:DIGEST_LIST]),
        "at_risk_count": len(at_risk),
        "at_risk": [
            {"code": d.code, "due_at": d.due_at.isoformat()} for d in at_risk[:DIGEST_LIST]
        ],
        "failed_notifications": Notification.objects.filter(
            agency_id=agency_id, status__in=FAILED_STATUSES
        ).count(),
    }
