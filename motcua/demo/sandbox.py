"""The environment of a motcua process that runs on its own SQLite file under `workdir`,
whatever the caller's environment points at (the restart test, bench/portal.py)."""

from __future__ import annotations

import os
from pathlib import Path

# Settings motcua reads from the environment; none of the caller's may leak in.
_INHERITED_PREFIXES = ("DATABASE_", "NOTIFY_", "MOTCUA_", "HUEY_", "REDIS_", "DJANGO_")
_INHERITED_NAMES = {"SECRET_KEY", "MEDIA_ROOT", "STATICFILES_STORAGE", "DEBUG", "ALLOWED_HOSTS"}


def sandbox_env(workdir: Path, **extra: str) -> dict[str, str]:
    """os.environ without motcua's settings, then a development site whose database,
    Huey queue, media and static files live in `workdir`, with no worker (sign-in codes
    stay in the outbox), plus `extra`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(_INHERITED_PREFIXES) and name not in _INHERITED_NAMES
    }
    env.update(
        DJANGO_SETTINGS_MODULE="motcua.settings",
        MOTCUA_ENV="development",
        MOTCUA_VAR_DIR=str(workdir),
        DATABASE_URL=f"sqlite:///{workdir / 'motcua.sqlite3'}",
        HUEY_IMMEDIATE="0",
        **extra,
    )
    return env
