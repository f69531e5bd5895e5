"""Settings read when used: a Django setting of the same name if one is set (tests use
the `settings` fixture), else the environment (deployments, and the processes the tests
start), else the app's default, converted to the default's type."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings

_TRUE = {"1", "true", "yes", "on"}


def setting(name: str, default: Any) -> Any:
    value = getattr(settings, name, None)
    if value is None:
        raw = os.environ.get(name)
        if raw in (None, ""):
            return default
        value = raw
    if isinstance(default, bool):
        return value if isinstance(value, bool) else str(value).strip().lower() in _TRUE
    if isinstance(default, int):
        return int(value)
    if isinstance(default, float):
        return float(value)
    return str(value)
