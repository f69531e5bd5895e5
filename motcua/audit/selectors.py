"""Reading the audit trail: the province administrator's search, and an event's change
as rows a person reads (field, before, after)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.audit.models import AuditEvent

# What each action means, in words (an action not listed shows its dotted name).
ACTION_LABELS: dict[str, Any] = {
    "auth.login": _("Signed in"),
    "auth.login_failed": _("Sign-in refused: wrong name or password"),
    "auth.code_failed": _("Sign-in refused: wrong SMS code"),
    "auth.totp_failed": _("Sign-in refused: wrong authenticator code"),
    "auth.vneid_failed": _("Sign-in with VNeID failed"),
    "auth.logout": _("Signed out"),
    "auth.lockout": _("Sign-in locked after too many wrong tries"),
    "auth.unlock": _("Sign-in unlocked by an administrator"),
    "auth.password_change": _("Password changed"),
    "auth.password_reset": _("Password reset by an administrator"),
    "auth.second_factor_enrol": _("Authenticator app set up"),
    "auth.second_factor_reset": _("Authenticator app reset by an administrator"),
    "account.create": _("Official's account created"),
    "role.grant": _("Role given"),
    "role.change": _("Role changed"),
    "role.revoke": _("Role taken away"),
    "admin.add": _("Added in the administration"),
    "admin.change": _("Changed in the administration"),
    "admin.delete": _("Deleted in the administration"),
    "admin.action": _("Action on several rows in the administration"),
    "plan.save": _("Plan of targets saved"),
    "dossier.view": _("Dossier opened (personal data)"),
    "export": _("Report or list downloaded"),
    "audit.search": _("Audit trail searched"),
}
# Choices that take every action starting with the prefix.
ACTION_GROUPS: dict[str, Any] = {
    "auth.": _("All sign-in and sign-out events"),
    "role.": _("All role changes"),
    "admin.": _("All changes in the administration"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def action_choices() -> list[tuple[str, str]]:
    return [
        ("", str(_("Any action"))),
        *((key, str(label)) for key, label in ACTION_GROUPS.items()),
        *((key, str(label)) for key, label in ACTION_LABELS.items()),
    ]


@dataclass(frozen=True)
class AuditFilters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None  # included
    action: str = ""  # an action, or a prefix ending with "."
    who: str = ""  # username (or the masked phone of a code failure), exactly
    ip: str = ""
    object: str = ""  # a dossier's code, a username, an object's id


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_events(*, filters: AuditFilters) -> QuerySet[AuditEvent]:
    """The events matching `filters`, newest first (dates in the local time zone)."""
    rows = AuditEvent.objects.all()
    if filters.date_from:
        rows = rows.filter(at__gte=_start_of(filters.date_from))
    if filters.date_to:
        rows = rows.filter(at__lt=_start_of(filters.date_to + dt.timedelta(days=1)))
    if filters.action.endswith("."):
        rows = rows.filter(action__startswith=filters.action)
    elif filters.action:
        rows = rows.filter(action=filters.action)
    if filters.who:
        rows = rows.filter(actor_label=filters.who)
    if filters.ip:
        rows = rows.filter(ip=filters.ip)
    if filters.object:
        rows = rows.filter(Q(object_label=filters.object) | Q(object_id=filters.object))
    return rows.order_by("-pk")


def audit_page(
    *, filters: AuditFilters, before_pk: int | None, size: int
) -> tuple[list[AuditEvent], int | None]:
    """One page of `audit_events`, older than event `before_pk` when given, and the pk to
    ask for the next page (None on the last). No COUNT: the trail only grows."""
    rows = audit_events(filters=filters)
    if before_pk is not None:
        rows = rows.filter(pk__lt=before_pk)
    found = list(rows[: size + 1])
    more = len(found) > size
    found = found[:size]
    return found, (found[-1].pk if more and found else None)


@dataclass(frozen=True)
class ChangeRow:
    field: str
    before: str
    after: str


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True)
    return str(value)


def _field_label(object_type: str, name: str) -> str:
    try:
        model = apps.get_model(object_type)
        return str(model._meta.get_field(name).verbose_name)
    except (LookupError, ValueError, FieldDoesNotExist, AttributeError):
        return name


def event_changes(event: AuditEvent) -> list[ChangeRow]:
    """The fields an event recorded, each with its value before and after, named as the
    administration names them."""
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    names = list(dict.fromkeys([*before, *after]))
    return [
        ChangeRow(
            field=_field_label(event.object_type, name),
            before=_text(before.get(name)) if name in before else "",
            after=_text(after.get(name)) if name in after else "",
        )
        for name in names
    ]


DETAIL_LABELS: dict[str, Any] = {
    "username": _("username typed"),
    "phone": _("phone"),
    "reason": _("reason"),
    "filters": _("filters"),
    "file": _("file"),
    "rows": _("rows"),
    "action": _("action"),
    "objects": _("rows acted on"),
    "in": _("on the page of"),
    "backend": _("checked by"),
}


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{key} = {_inline(item)}" for key, item in value.items()) or "—"
    if isinstance(value, list | tuple):
        return ", ".join(_inline(item) for item in value) or "—"
    return _text(value)


def event_details(event: AuditEvent) -> list[tuple[str, str]]:
    """The event's other facts (filters of an export, the username typed, …) as lines."""
    data = event.data if isinstance(event.data, dict) else {}
    return [(str(DETAIL_LABELS.get(key, key)), _inline(value)) for key, value in data.items()]
