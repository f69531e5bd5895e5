"""motcua's delivery run as in production, in processes of its own: the environment of a
`manage.py run_huey` worker (and of the outbox driver) aimed at the local SMTP relay and
SMS gateway simulators, a step run to its end, the worker started, waited for until the
outbox is drained, and stopped."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("outbox_driver.py")


def delivery_env(url: str, var_dir: Path, smtp, sms, **extra: str) -> dict[str, str]:
    """os.environ with the database `url`, the Huey queue file (if any) under `var_dir`,
    delivery through the simulators `smtp` and `sms`, no Zalo, then `extra`."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "motcua.settings",
        "DATABASE_URL": url,
        "MOTCUA_VAR_DIR": str(var_dir),
        "HUEY_IMMEDIATE": "0",
        "NOTIFY_SMTP_HOST": "127.0.0.1",
        "NOTIFY_SMTP_PORT": str(smtp.port),
        "NOTIFY_EMAIL_FROM": "Một cửa <no-reply@motcua.test>",
        "NOTIFY_SMS_URL": sms.url,
        "NOTIFY_SMS_API_KEY": sms.api_key,
        "NOTIFY_SMS_SECRET_KEY": sms.secret_key,
        "NOTIFY_ZALO_URL": "",
        "NOTIFY_HTTP_TIMEOUT": "5",
        **extra,
    }


def run_step(args: list[str], env: dict[str, str], log: Path, timeout: float = 300) -> None:
    with log.open("ab") as out:
        subprocess.run(
            args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=timeout,
            check=True,
        )  # fmt: skip


def worker_start(env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_huey", "--workers", "4", "--delay", "0.05",
         "--max-delay", "0.5", "--backoff", "1.05"],
        cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
    )  # fmt: skip


def drained(
    statuses: Callable[[], dict[str, int]],
    total: int,
    seconds: float,
    log: Path,
    worker: subprocess.Popen | None = None,
) -> dict[str, int]:
    """Poll `statuses` until all `total` rows are delivered or `seconds` pass (failing at
    once if `worker`, when given, has died); returns the last counts."""
    deadline = time.monotonic() + seconds
    while True:
        counts = statuses()
        if counts.get("delivered") == total or time.monotonic() >= deadline:
            return counts
        assert worker is None or worker.poll() is None, f"the worker died; see {log}"
        time.sleep(0.1)


def worker_stop(worker: subprocess.Popen | None) -> None:
    if worker is not None and worker.poll() is None:
        worker.kill()
        worker.wait(10)
