"""Every sign-in, failed sign-in and sign-out into the audit trail. Officials (password and
authenticator code), citizens (SMS code, VNeID) and the admin site all sign in through
django.contrib.auth's login(), which sends these signals (ASVS 5.0 V16.3.1).

Also every group or permission given or taken away outside the admin (a command, a shell):
the admin records its own changes with the request, before and after (motcua.audit.admin),
so this receiver stays quiet while it saves (ASVS 5.0 V16.3.3)."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from motcua.audit import services

_admin_saving = contextvars.ContextVar("motcua_audit_admin_saving", default=False)


@contextlib.contextmanager
def admin_saving() -> Iterator[None]:
    token = _admin_saving.set(True)
    try:
        yield
    finally:
        _admin_saving.reset(token)


@receiver(user_logged_in, dispatch_uid="motcua.audit.signed_in")
def _signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    services.audit_signed_in(request=request, user=user)


@receiver(user_login_failed, dispatch_uid="motcua.audit.sign_in_failed")
def _sign_in_failed(sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
    # authenticate() always passes the password (masked); the back office's code step
    # reports a wrong authenticator code with the username alone (backoffice.views).
    if "password" in credentials:
        services.audit_sign_in_failed(request=request, credentials=credentials)
    else:
        services.audit_second_factor_failed(request=request, credentials=credentials)


@receiver(user_logged_out, dispatch_uid="motcua.audit.signed_out")
def _signed_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    services.audit_signed_out(request=request, user=user)


def _privilege_changed(
    sender: Any, instance: Any, action: str, model: Any, pk_set: Any, **kwargs: Any
) -> None:
    if _admin_saving.get() or action not in ("post_add", "post_remove", "pre_clear"):
        return
    field = _field_of(sender, instance)
    if action == "pre_clear":  # post_clear no longer knows what was there
        pk_set = set(getattr(instance, field).values_list("pk", flat=True))
    if not pk_set:
        return
    labels = sorted(f"{row.pk}: {row}"[:300] for row in model._base_manager.filter(pk__in=pk_set))
    granted = action == "post_add"
    services.audit_record(
        action="role.grant" if granted else "role.revoke",
        obj=instance,
        object_label=str(instance)[:200],
        before=None if granted else {field: labels},
        after={field: labels} if granted else None,
        detail=f"{field} ({action})",
    )


def _field_of(sender: Any, instance: Any) -> str:
    """The name, on `instance`'s side, of the many-to-many whose table is `sender`."""
    for field in instance._meta.many_to_many:
        if field.remote_field.through is sender:
            return field.name
    for related in instance._meta.related_objects:  # group.user_set, permission.group_set
        if related.many_to_many and related.through is sender:
            return related.get_accessor_name()
    return sender._meta.model_name


_user_model = get_user_model()
for _through, _uid in (
    (_user_model.groups.through, "groups"),
    (_user_model.user_permissions.through, "user_permissions"),
    (Group.permissions.through, "group_permissions"),
):
    m2m_changed.connect(
        _privilege_changed, sender=_through, dispatch_uid=f"motcua.audit.privileges.{_uid}"
    )
