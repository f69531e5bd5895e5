"""Writing the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from django.http import HttpRequest

from motcua.audit.models import AuditEvent
from motcua.core.net import client_ip


def _user(request: HttpRequest | None, actor: Any) -> AbstractBaseUser | None:
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    if actor is None or isinstance(actor, AnonymousUser) or not actor.is_authenticated:
        return None
    return actor


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
) -> AuditEvent:
    """Append one event. `request` gives the address, browser and (unless `actor` is
    given) who; `obj` gives the object's type, id and label."""
    user = _user(request, actor)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_label = object_label or str(obj)
    return AuditEvent.objects.create(
        action=action,
        actor=user,
        actor_label=(actor_label or (user.get_username() if user else ""))[:200],
        ip=client_ip(request) if request is not None else "",
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request else "")[:300],
        object_type=object_type[:100],
        object_id=str(object_id)[:64],
        object_label=object_label[:200],
        before=before,
        after=after,
        detail=detail[:300],
    )
