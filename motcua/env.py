"""Every environment variable motcua reads, in one place (listed in .env.example)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MOTCUA_VAR_DIR", BASE_DIR / "var"))

# "production" refuses to start without the secrets a real deployment must set;
# "development" (the default, used by the demo and the tests) fills them in.
ENVIRONMENT = os.environ.get("MOTCUA_ENV", "development")
IS_PRODUCTION = ENVIRONMENT == "production"


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_bool(name: str, default: bool = False) -> bool:
    value = env_str(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = env_str(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def required_in_production(name: str) -> str | None:
    value = env_str(name)
    if value is None and IS_PRODUCTION:
        raise ImproperlyConfigured(f"{name} must be set when MOTCUA_ENV=production")
    return value


def secret_key() -> str:
    value = required_in_production("SECRET_KEY")
    if value:
        return value
    # Outside production a key is generated once and kept under var/, so sessions
    # survive a restart of the demo.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()
