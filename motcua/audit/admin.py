"""The admin and the audit trail: every change made in the admin is recorded, before and
after (ASVS 5.0 V16.3.3; Decree 85/2016: administrators' actions on the system are logged);
the trail itself is read only here.

One mechanism for every registration: `audit_every_admin` (run by AuditConfig.ready, after
the admin discovered every app's admin module) puts `AuditedModelAdmin` in front of each
registered ModelAdmin, whatever its app, so a new admin cannot forget it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from motcua.audit.models import AuditEvent
from motcua.audit.receivers import admin_saving
from motcua.audit.services import audit_record
from motcua.audit.snapshots import HIDDEN, SENSITIVE, changes, hidden, object_label, snapshot

# Role assignments are named for what they are: who got or lost a role.
_ROLE_MODEL = "accounts.roleassignment"
_ROLE_ACTIONS = {"add": "role.grant", "change": "role.change", "delete": "role.revoke"}
# A change to these fields of a user or a group changes what someone may do: a role change
# (a documented security event, ASVS 5.0 V16.3.3), whatever else changed with it.
PRIVILEGE_FIELDS = frozenset(
    {"groups", "user_permissions", "is_staff", "is_superuser", "permissions"}
)
MAX_ACTION_OBJECTS = 200  # objects named in the event of one bulk action


def _action(
    instance: models.Model | type[models.Model], verb: str, changed: set[str] | None = None
) -> str:
    if instance._meta.label_lower == _ROLE_MODEL:
        return _ROLE_ACTIONS[verb]
    if verb == "change" and changed and PRIVILEGE_FIELDS & changed:
        return "role.change"
    return f"admin.{verb}"


def _stored(instance: models.Model) -> models.Model | None:
    """The row as the database has it (the form has already changed the instance)."""
    if instance.pk is None:
        return None
    return type(instance)._base_manager.filter(pk=instance.pk).first()


def _done(request: HttpRequest) -> set[tuple[str, str]]:
    if not hasattr(request, "_audit_done"):
        request._audit_done = set()
    return request._audit_done


def _record(
    request: HttpRequest,
    verb: str,
    instance: models.Model,
    *,
    pk: Any = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    parent: models.Model | None = None,
) -> None:
    pk = instance.pk if pk is None else pk
    data = {}
    if parent is not None:  # a row of an inline: the object whose page it was saved on
        data["in"] = f"{parent._meta.label_lower} {parent.pk}: {object_label(parent)}"
    audit_record(
        action=_action(instance, verb, {*(before or {}), *(after or {})}),
        request=request,
        object_type=instance._meta.label_lower,
        object_id=str(pk),
        object_label=object_label(instance),
        before=before,
        after=after,
        detail="admin",
        data=data,
    )
    _done(request).add((instance._meta.label_lower, str(pk)))


class AuditedModelAdmin(admin.ModelAdmin):
    """Records each add, change and delete of the admin, its inlines' rows and its bulk
    actions, with the fields before and after (only those that changed; secrets hidden)."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        form._audit_before = snapshot(_stored(obj)) if change else {}
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The groups and permissions saved here are in this event, before and after: the
        # receiver of m2m changes (motcua.audit.receivers) leaves them to it.
        with admin_saving():
            super().save_related(request, form, formsets, change)
        instance = form.instance
        after = snapshot(_stored(instance) or instance)
        if not change:
            _record(request, "add", instance, after=hidden(after))
            return
        before, after = changes(getattr(form, "_audit_before", {}), after)
        if before or after:
            _record(request, "change", instance, before=before, after=after)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        pks = {id(f.instance): f.instance.pk for f in formset.initial_forms if f.instance.pk}
        stored = {
            row.pk: snapshot(row)
            for row in formset.model._base_manager.filter(pk__in=list(pks.values()))
        }
        super().save_formset(request, form, formset, change)
        parent = form.instance
        for row in getattr(formset, "new_objects", []):
            _record(request, "add", row, after=hidden(snapshot(row)), parent=parent)
        for row, _fields in getattr(formset, "changed_objects", []):
            before, after = changes(stored.get(row.pk, {}), snapshot(_stored(row) or row))
            if before or after:
                _record(request, "change", row, before=before, after=after, parent=parent)
        for row in getattr(formset, "deleted_objects", []):
            pk = pks.get(id(row), row.pk)
            _record(request, "delete", row, pk=pk, before=hidden(stored.get(pk, {})), parent=parent)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        pk, before = obj.pk, hidden(snapshot(obj))
        super().delete_model(request, obj)
        _record(request, "delete", obj, pk=pk, before=before)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        rows = [(row, row.pk, hidden(snapshot(row))) for row in queryset]
        super().delete_queryset(request, queryset)
        for row, pk, before in rows:
            _record(request, "delete", row, pk=pk, before=before)

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        # Views that save without save_model, e.g. the user's "change password" form: the
        # trail says what changed, never the value of a secret.
        if (obj._meta.label_lower, str(obj.pk)) not in _done(request):
            fields = [
                str(name)
                for part in (message if isinstance(message, list) else [])
                for name in part.get("changed", {}).get("fields", [])
            ]
            values = {name: HIDDEN if SENSITIVE.search(name) else "?" for name in fields}
            _record(request, "change", obj, before=values, after=values)
        return super().log_change(request, obj, message)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        return {
            name: (func if name == "delete_selected" else _audited_action(func, name), name, text)
            for name, (func, name, text) in actions.items()
        }


def _audited_action(func: Callable[..., Any], name: str) -> Callable[..., Any]:
    """A bulk action (e.g. "use the selected phrases"): one event naming the action and
    the objects it was run on (delete_selected goes through delete_queryset)."""

    @functools.wraps(func)
    def run(modeladmin: Any, request: HttpRequest, queryset: Any) -> Any:
        chosen = [f"{row.pk}: {object_label(row)}" for row in queryset[:MAX_ACTION_OBJECTS]]
        result = func(modeladmin, request, queryset)
        audit_record(
            action="admin.action",
            request=request,
            object_type=queryset.model._meta.label_lower,
            object_label=str(queryset.model._meta.verbose_name_plural),
            detail=name,
            data={"action": name, "objects": chosen},
        )
        return result

    return run


def audit_every_admin(site: admin.AdminSite | None = None) -> None:
    """Put AuditedModelAdmin in front of every ModelAdmin registered on `site`."""
    site = site or admin.site
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, AuditedModelAdmin) or model is AuditEvent:
            continue
        original = type(model_admin)
        audited = type(original)(
            original.__name__, (AuditedModelAdmin, original), {"__module__": original.__module__}
        )
        site.unregister(model)
        site.register(model, audited)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit trail, read only: nobody adds, changes or deletes an event here."""

    list_display = ["at", "action", "actor_label", "ip", "object_type", "object_label", "detail"]
    list_filter = ["action"]
    search_fields = ["=actor_label", "=ip", "=object_label", "=object_id"]
    date_hierarchy = "at"
    show_full_result_count = False  # the trail grows without end: no COUNT(*) per page

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
