"""Notifications delivered by a real Huey consumer on the Redis broker, as in production.

`manage.py run_huey` and the driver (outbox_driver.py) run with REDIS_URL set, on a
fresh database (conftest's `database`) and a Huey queue of this test's own on the test
Redis (tests/redis_support.py). The driver makes its status changes while no worker
runs, so the delivery jobs wait in Redis; a worker started afterwards takes them from
there. The sweeper is held back (a long grace), so every delivery comes from a job the
driver put in Redis, not from the sweeper finding the rows in the database.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from django.conf import settings as django_settings
from huey import PriorityRedisHuey

from motcua.notifications.contrib.email.simulator import SmtpRelaySimulator
from motcua.notifications.contrib.sms.simulator import SmsGatewaySimulator
from tests.notifications.processes import (
    DRIVER,
    delivery_env,
    drained,
    run_step,
    worker_start,
    worker_stop,
)
from tests.redis_support import delete_keys, redis_client

TOTAL = 40
PG_DATABASE = "h_notify_redis"  # the `database` fixture (conftest.py)


def test_the_worker_delivers_every_notification_from_the_redis_queue(
    database, redis_url, tmp_path, capsys
):
    url, query = database

    def statuses() -> dict[str, int]:
        return dict(query("SELECT status, COUNT(*) FROM notifications_notification GROUP BY 1"))

    queue_name = f"motcua_test_{os.getpid()}"  # Huey keeps [A-Za-z0-9_] of the name
    var_dir = tmp_path / "var"
    smtp = SmtpRelaySimulator().start()
    sms = SmsGatewaySimulator().start()
    env = delivery_env(
        url, var_dir, smtp, sms,  # var_dir: where a SqliteHuey queue file would appear
        REDIS_URL=redis_url, HUEY_NAME=queue_name,
        NOTIFY_SWEEP_GRACE="600",  # the sweeper re-enqueues nothing during the test
    )  # fmt: skip
    log = tmp_path / "processes.log"
    queue = PriorityRedisHuey(queue_name, url=redis_url)
    worker: subprocess.Popen | None = None
    try:
        run_step([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], env, log)
        run_step([sys.executable, str(DRIVER), "setup"], env, log)
        started = time.monotonic()
        run_step([sys.executable, str(DRIVER), "run", str(TOTAL)], env, log)
        # No worker yet: the jobs are in Redis, under this test's queue name.
        assert queue.pending_count() == TOTAL, f"see {log}"
        assert redis_client(redis_url).exists(f"huey.redis.{queue_name}")
        assert statuses() == {"created": TOTAL}
        worker = worker_start(env, log)
        counts = drained(statuses, TOTAL, 30, log, worker)
        elapsed = time.monotonic() - started
        assert counts == {"delivered": TOTAL}, f"not drained: {counts}; see {log}"
        rows = query("SELECT key, channel, provider_reference FROM notifications_notification")
    finally:
        worker_stop(worker)
        smtp.stop()
        sms.stop()
        delete_keys(redis_url, f"huey.*.{queue_name}")

    # Each notification reached its gateway exactly once, under its own key ...
    deliveries = sms.ledger.deliveries + smtp.ledger.deliveries
    assert len(rows) == TOTAL and sum(deliveries.values()) == TOTAL
    assert set(deliveries.values()) == {1}
    sent = {m["key"]: m["id"] for m in [*sms.ledger.messages(), *smtp.ledger.messages()]}
    for key, channel, reference in rows:
        hex_key = key.replace("-", "") if isinstance(key, str) else key.hex
        gateway_key = hex_key if channel == "sms" else f"<{hex_key}@motcua.test>"
        # ... and its row records the gateway's id of that message.
        assert reference == (sent[gateway_key] if channel == "sms" else gateway_key)
    # And no process fell back to a SQLite queue file.
    assert not (var_dir / "huey.sqlite3").exists()
    with capsys.disabled():
        engine = django_settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        print(f"\n[{engine}, Redis queue] {TOTAL} delivered exactly once in {elapsed:.1f}s")
