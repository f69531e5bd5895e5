"""Writing the audit trail.

What is recorded follows ASVS 5.0 V16.2.1 (when, where from, who, what), and never what
must not be (V16.2.5): no password, code or secret, phone numbers masked
(motcua.audit.snapshots)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from django.http import HttpRequest

from motcua.audit.models import AuditEvent
from motcua.audit.selectors import AuditFilters
from motcua.audit.snapshots import phone_masked
from motcua.core.net import client_ip

# Query parameters of a page that are not filters (the export wanted, the page number).
_NOT_FILTERS = {"xuat", "trang", "csrfmiddlewaretoken"}


def _user(request: HttpRequest | None, actor: Any) -> AbstractBaseUser | None:
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    if actor is None or isinstance(actor, AnonymousUser) or not actor.is_authenticated:
        return None
    return actor


def _one_line(text: str) -> str:
    # What reaches the trail from outside (a username typed, a query) stays on one line:
    # nobody can forge a second record in a text export of it (ASVS 5.0 V16.4.1).
    return " ".join(str(text).split())


def audit_record(
    *,
    action: str,
    request: HttpRequest | None = None,
    actor: AbstractBaseUser | None = None,
    actor_label: str = "",
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_label: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    detail: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. `request` gives the address, browser and (unless `actor` is
    given) who; `obj` gives the object's type, id and label; `data` any other facts."""
    user = _user(request, actor)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_label = object_label or str(obj)
    return AuditEvent.objects.create(
        action=action,
        actor=user,
        actor_label=_one_line(actor_label or (user.get_username() if user else ""))[:200],
        ip=client_ip(request) if request is not None else "",
        user_agent=_one_line(request.META.get("HTTP_USER_AGENT", "") if request else "")[:300],
        object_type=object_type[:100],
        object_id=str(object_id)[:64],
        object_label=_one_line(object_label)[:200],
        before=before,
        after=after,
        detail=_one_line(detail)[:300],
        data=data or {},
    )


# --- sign-in (ASVS 5.0 V16.3.1: every authentication, successful or not) --------------------


def _how(request: HttpRequest | None) -> str:
    """Which door: the page the sign-in was made on (the back office, the citizen's code
    page, the VNeID return, the admin site)."""
    return (getattr(request, "path", "") or "")[:200]


def audit_signed_in(*, request: HttpRequest | None, user: Any) -> AuditEvent:
    return audit_record(
        action="auth.login",
        request=request,
        actor=user,
        obj=user,
        object_label=user.get_username(),
        detail=_how(request),
    )


def audit_signed_out(*, request: HttpRequest | None, user: Any) -> AuditEvent | None:
    if user is None:
        return None  # signing out of no session is nothing
    return audit_record(
        action="auth.logout",
        request=request,
        actor=user,
        obj=user,
        object_label=user.get_username(),
        detail=_how(request),
    )


def audit_sign_in_failed(
    *, request: HttpRequest | None, credentials: Mapping[str, Any]
) -> AuditEvent:
    """A wrong username or password. Only the username tried is kept: never the password
    (Django already masks it in `credentials`; it is not read here at all)."""
    from django.contrib.auth import get_user_model

    field = get_user_model().USERNAME_FIELD
    tried = str(credentials.get(field) or credentials.get("username") or "")[:150]
    return audit_record(
        action="auth.login_failed",
        request=request,
        actor_label=tried,
        detail=_how(request),
        data={"username": _one_line(tried)},
    )


def audit_code_failed(*, request: HttpRequest, phone: str, reason: str) -> AuditEvent:
    """A wrong, expired or spent one-time SMS code on the citizen's sign-in. The phone is
    kept masked but its last 3 digits: enough to match a citizen's complaint."""
    masked = phone_masked(phone)
    return audit_record(
        action="auth.code_failed",
        request=request,
        actor_label=masked,
        detail=reason,
        data={"phone": masked, "reason": reason},
    )


def audit_second_factor_failed(
    *, request: HttpRequest | None, credentials: Mapping[str, Any]
) -> AuditEvent:
    """A wrong authenticator code after a right password (officials)."""
    tried = str(credentials.get("username") or "")[:150]
    return audit_record(
        action="auth.totp_failed",
        request=request,
        actor_label=tried,
        detail=_how(request),
        data={"username": _one_line(tried)},
    )


def audit_vneid_failed(*, request: HttpRequest, reason: str) -> AuditEvent:
    """A VNeID sign-in that came back refused, forged or broken."""
    return audit_record(
        action="auth.vneid_failed", request=request, detail=reason, data={"reason": reason}
    )


# --- reading personal data and taking it away -------------------------------------------------


def audit_dossier_view(*, request: HttpRequest, dossier: models.Model, what: str) -> AuditEvent:
    """An official opened a dossier's personal data: its page, a paper, a slip, its
    result (Decree 13/2023: who processed whose personal data, and when)."""
    return audit_record(
        action="dossier.view",
        request=request,
        obj=dossier,
        object_label=getattr(dossier, "code", "") or str(dossier),
        detail=what,
    )


def audit_export(
    *, request: HttpRequest, what: str, file_name: str = "", rows: int | None = None
) -> AuditEvent:
    """A report or a list left the system as a file: what, with which filters."""
    filters = {
        key: _one_line(", ".join(values))[:200]
        for key, values in request.GET.lists()
        if key not in _NOT_FILTERS
    }
    data: dict[str, Any] = {"filters": filters, "file": file_name}
    if rows is not None:
        data["rows"] = rows
    return audit_record(
        action="export",
        request=request,
        object_type="export",
        object_label=file_name,
        detail=what,
        data=data,
    )


def audit_search_record(
    *, request: HttpRequest, filters: AuditFilters, page_before: int | None
) -> AuditEvent:
    """Someone searched the audit trail: with which filters, which page."""
    wanted = {name: str(value) for name, value in asdict(filters).items() if value}
    if page_before is not None:
        wanted["older than"] = str(page_before)
    return audit_record(
        action="audit.search", request=request, object_type="audit", data={"filters": wanted}
    )
