"""A model row as the audit trail keeps it: its fields as plain JSON values, secrets
hidden (ASVS 5.0 V16.2.5: no password hash, key or token in a log), long texts cut."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import re
import uuid
from typing import Any

from django.db import models
from django.db.models.fields.files import FieldFile

HIDDEN = "••••••"
# Field names whose value never enters the trail (only that it changed).
SENSITIVE = re.compile(
    r"password|secret|token|salt|(^|_)hash($|_)|api_key|private|signature|encrypted|otp_code",
    re.IGNORECASE,
)
MAX_TEXT = 2000  # characters of one value; longer ones are cut and fingerprinted


def phone_masked(phone: str) -> str:
    """ "0912345678" → "*******678": the last 3 digits, enough to match a complaint."""
    digits = re.sub(r"\D", "", phone or "")
    if not digits:
        return ""
    return "*" * max(len(digits) - 3, 0) + digits[-3:]


def _cut(text: str) -> str:
    if len(text) <= MAX_TEXT:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return f"{text[:MAX_TEXT]}… ({len(text)} characters, sha256 {digest}…)"


def plain(value: Any) -> Any:
    """A field value as JSON can hold it."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return _cut(value)
    if isinstance(value, decimal.Decimal | uuid.UUID | dt.timedelta):
        return str(value)
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, bytes | memoryview):
        return f"<{len(bytes(value))} bytes>"
    if isinstance(value, models.Model):
        return f"{value.pk}: {value}"
    if isinstance(value, dict | list | tuple):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
        return value if len(text) <= MAX_TEXT else _cut(text)
    return _cut(str(value))


def _related_label(instance: models.Model, field: models.Field) -> Any:
    pk = field.value_from_object(instance)
    if pk is None:
        return None
    try:
        related = getattr(instance, field.name)
    except models.ObjectDoesNotExist:
        return pk
    return f"{pk}: {related}"[:300]


def snapshot(instance: models.Model | None) -> dict[str, Any]:
    """Every concrete field and many-to-many of `instance` (secrets as they are: pass the
    result through `changes` or `hidden` before it is stored)."""
    if instance is None:
        return {}
    values: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if field.primary_key:
            values[field.name] = plain(field.value_from_object(instance))
        elif field.is_relation:
            values[field.name] = _related_label(instance, field)
        else:
            values[field.name] = plain(field.value_from_object(instance))
    if instance.pk is not None:
        for field in instance._meta.many_to_many:
            related = getattr(instance, field.name).all()
            values[field.name] = sorted(f"{item.pk}: {item}"[:300] for item in related)
    return values


def _hide(name: str, value: Any) -> Any:
    if SENSITIVE.search(name):
        return HIDDEN if value not in (None, "", [], {}) else value
    return value


def hidden(values: dict[str, Any]) -> dict[str, Any]:
    """`values` with the secrets hidden."""
    return {name: _hide(name, value) for name, value in values.items()}


def changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that differ, before and after, secrets hidden (a changed password
    shows as a change, not as its hash)."""
    names = [name for name in {**before, **after} if before.get(name) != after.get(name)]
    return (
        {name: _hide(name, before.get(name)) for name in names},
        {name: _hide(name, after.get(name)) for name in names},
    )


def object_label(instance: models.Model) -> str:
    try:
        return str(instance)[:200]
    except Exception:  # a __str__ that needs a relation gone already
        return f"{instance._meta.verbose_name} {instance.pk}"
