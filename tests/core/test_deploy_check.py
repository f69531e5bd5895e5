"""The production settings pass Django's deployment checklist (`check --deploy`), and
carry the HTTPS and browser-isolation values issue 13 asks for (ASVS 5.0 V3.4)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        # Nothing of the test run's own configuration leaks into "production".
        if not key.startswith(("MOTCUA_", "DJANGO_", "SECURE_", "OIDC_", "PAY_"))
        and key not in ("DEBUG", "DATABASE_URL", "SECRET_KEY", "ALLOWED_HOSTS")
    }
    env.update(
        MOTCUA_ENV="production",
        DJANGO_SETTINGS_MODULE="motcua.settings",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="motcua.laocai.gov.vn",
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        MOTCUA_VAR_DIR=str(tmp_path / "var"),
    )
    env.update(extra)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "extra",
    [
        {},
        # A domain the province does not own: no preload; nginx redirects to HTTPS itself.
        {"MOTCUA_HSTS_PRELOAD": "0", "MOTCUA_SSL_REDIRECT": "0"},
    ],
    ids=["defaults", "no-preload-nginx-redirect"],
)
def test_check_deploy_reports_nothing(tmp_path: Path, extra: dict[str, str]) -> None:
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        _production_env(tmp_path, **extra),
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output


def test_production_headers_settings(tmp_path: Path) -> None:
    script = (
        "import json, django; django.setup()\n"
        "from django.conf import settings as s\n"
        "from csp.utils import build_policy\n"
        "print(json.dumps({'hsts': s.SECURE_HSTS_SECONDS, 'sub': s.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
        " 'preload': s.SECURE_HSTS_PRELOAD, 'redirect': s.SECURE_SSL_REDIRECT,"
        " 'proxy': s.SECURE_PROXY_SSL_HEADER, 'referrer': s.SECURE_REFERRER_POLICY,"
        " 'coop': s.SECURE_CROSS_ORIGIN_OPENER_POLICY, 'csp': build_policy()}))\n"
    )
    result = _run(
        ["-c", script],
        _production_env(tmp_path, MOTCUA_PROXY_SSL_HEADER="X-Forwarded-Proto"),
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["hsts"] >= 365 * 24 * 3600
    assert values["sub"] is True and values["preload"] is True and values["redirect"] is True
    assert values["proxy"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["referrer"] == "same-origin"
    assert values["coop"] == "same-origin"
    directives = {}
    for part in values["csp"].split(";"):
        name, _sep, value = part.strip().partition(" ")
        directives[name] = value
    assert "upgrade-insecure-requests" in directives
    assert directives["object-src"] == "'none'" and directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "unsafe" not in values["csp"]


def test_production_pages_go_to_https_and_the_api_refuses_plain_http(tmp_path: Path) -> None:
    """ASVS 5.0 V4.1.2: only pages people open in a browser are redirected."""
    script = (
        "import json, django; django.setup()\n"
        "from django.conf import settings as s\n"
        "from django.contrib.auth.hashers import get_hasher\n"
        "from django.test import Client, override_settings\n"
        "plain = {**s.STORAGES, 'staticfiles': {'BACKEND':"
        " 'django.contrib.staticfiles.storage.StaticFilesStorage'}}\n"
        "host = {'HTTP_HOST': 'motcua.laocai.gov.vn'}\n"
        "with override_settings(STORAGES=plain):\n"
        "    page = Client().get('/tra-cuu/', **host)\n"
        "    api = Client().get('/api/v1/docs', **host)\n"
        "    api_tls = Client().get('/api/v1/docs', secure=True, **host)\n"
        "print(json.dumps({'page': [page.status_code, page.get('Location')],"
        " 'api': [api.status_code, api['Content-Type'], api.json()['detail']],"
        " 'api_tls': api_tls.status_code,"
        " 'hasher': [s.PASSWORD_HASHERS[0], get_hasher().iterations],"
        " 'lang': [s.LANGUAGE_COOKIE_NAME, s.LANGUAGE_COOKIE_SECURE, s.LANGUAGE_COOKIE_PATH]}))\n"
    )
    result = _run(["-c", script], _production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["page"] == [301, "https://motcua.laocai.gov.vn/tra-cuu/"]
    status, content_type, detail = values["api"]
    assert status == 403 and content_type.startswith("application/json") and "HTTPS" in detail
    assert values["api_tls"] == 200
    # ASVS 5.0 V11.4.2: Django 5.2's PBKDF2-SHA256 (1,000,000 iterations) comes first.
    hasher, iterations = values["hasher"]
    assert hasher == "django.contrib.auth.hashers.PBKDF2PasswordHasher" and iterations >= 600_000
    # ASVS 5.0 V3.3.1/V3.3.3: the language cookie too is Secure and __Host- prefixed.
    assert values["lang"] == ["__Host-lang", True, "/"]
