"""The issue's test: a real Huey consumer is SIGKILLed in the middle of 1,000 status
changes and, after a restart, each of the 1,000 notifications reaches the SMTP relay or
the SMS gateway exactly once.

Everything runs as in production, on a database file (or a PostgreSQL database of its
own when the suite runs on PostgreSQL) that this test migrates: `manage.py run_huey`
with a SqliteHuey queue file, a driver process making the status changes through the
lifecycle service, and the two simulators in this process. The SMS gateway kills the
worker itself, right after taking message number KILL_AT and before answering: that
message has reached the gateway but the worker never records it, the worst moment.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from typing import Any

from django.conf import settings as django_settings

from motcua.notifications.contrib.email.simulator import SmtpRelaySimulator
from motcua.notifications.contrib.sms.simulator import SmsGatewaySimulator
from tests.notifications.processes import (
    DRIVER,
    ROOT,
    delivery_env,
    drained,
    run_step,
    worker_start,
    worker_stop,
)

TOTAL = 1000
PAUSE_AT = 500  # the driver waits there until the worker has been killed
KILL_AT = 100  # SMS messages taken by the gateway when the worker is killed
PG_DATABASE = "h_notify_kill"  # the `database` fixture (conftest.py)


def _on_postgres() -> bool:
    return django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def test_sigkill_mid_flight_loses_nothing_and_sends_nothing_twice(database, tmp_path, capsys):
    url, query = database
    smtp = SmtpRelaySimulator().start()
    sms = SmsGatewaySimulator().start()
    # Answer a little late, so that several messages are in flight at any moment.
    sms.switches.response_delay = smtp.switches.response_delay = 0.01
    env = delivery_env(
        url, tmp_path / "var", smtp, sms,  # the Huey queue file lives in var/
        # Short clocks so that the test finishes in seconds, not minutes.
        NOTIFY_SENDING_TIMEOUT="6", NOTIFY_SWEEP_GRACE="2", NOTIFY_RETRY_DELAY="1",
    )  # fmt: skip
    log = tmp_path / "processes.log"
    worker: subprocess.Popen | None = None
    killed = threading.Event()
    at_kill: dict[str, Any] = {}

    def kill_worker(record: Any) -> None:
        # Runs in the gateway, after taking a message and before answering it.
        if len(sms.ledger.delivered) >= KILL_AT and not killed.is_set() and worker is not None:
            os.kill(worker.pid, signal.SIGKILL)
            at_kill["sms_key"] = record.key
            killed.set()

    try:
        run_step([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], env, log)
        run_step([sys.executable, str(DRIVER), "setup"], env, log)
        sms.switches.on_take = kill_worker
        worker = worker_start(env, log)
        started = time.monotonic()
        resume = tmp_path / "resume"
        driver = subprocess.Popen(
            [sys.executable, str(DRIVER), "run", str(TOTAL), str(PAUSE_AT), str(resume)],
            cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        assert killed.wait(120), f"the worker was never killed; see {log}"
        worker.wait(10)
        assert worker.returncode == -signal.SIGKILL
        statuses = dict(query("SELECT status, COUNT(*) FROM notifications_notification GROUP BY 1"))
        at_kill.update(
            written=sum(statuses.values()),
            sending=statuses.get("sending", 0),
            delivered=statuses.get("delivered", 0),
        )
        resume.touch()  # more status changes while no worker runs, then the restart
        time.sleep(1.0)
        worker = worker_start(env, log)
        assert driver.wait(240) == 0, f"the driver failed; see {log}"
        statuses = drained(
            lambda: dict(
                query("SELECT status, COUNT(*) FROM notifications_notification GROUP BY 1")
            ),
            TOTAL, 90, log,
        )  # fmt: skip
        elapsed = time.monotonic() - started
        assert statuses == {"delivered": TOTAL}, f"not drained: {statuses}; see {log}"
        rows = query(
            "SELECT key, channel, provider_reference, attempts FROM notifications_notification"
        )
    finally:
        worker_stop(worker)
        smtp.stop()
        sms.stop()

    # Every one of the 1,000 reached a gateway exactly once, under its own key ...
    sent = {
        **{key: m["id"] for m in sms.ledger.messages() for key in [m["key"]]},
        **{key: m["id"] for m in smtp.ledger.messages() for key in [m["key"]]},
    }
    deliveries = sms.ledger.deliveries + smtp.ledger.deliveries
    assert len(rows) == TOTAL and sum(deliveries.values()) == TOTAL
    assert set(deliveries.values()) == {1}
    by_channel = Counter(channel for _key, channel, _ref, _n in rows)
    assert by_channel == {"sms": TOTAL // 2, "email": TOTAL // 2}
    for key, channel, reference, _attempts in rows:
        hex_key = key.replace("-", "") if isinstance(key, str) else key.hex
        gateway_key = hex_key if channel == "sms" else f"<{hex_key}@motcua.test>"
        # ... and the row records the gateway's id of that one message.
        if channel == "sms":
            assert reference == sent[gateway_key]
        else:
            assert reference == gateway_key and gateway_key in sent
    assert at_kill["written"] <= PAUSE_AT  # killed in the middle of the series
    # The message taken at the moment of the kill was sent again after the restart
    # with the same key, and the gateway kept the first one.
    assert sms.ledger.submissions[at_kill["sms_key"]] == 2
    duplicates = sms.ledger.stats()["duplicates"] + smtp.ledger.stats()["duplicates"]
    resent = sum(1 for *_rest, attempts in rows if attempts > 1)
    with capsys.disabled():
        print(
            f"\n[{'postgresql' if _on_postgres() else 'sqlite'}] at the kill: "
            f"{at_kill['written']} rows written, {at_kill['delivered']} recorded delivered, "
            f"{at_kill['sending']} in flight (sending); after the restart: {resent} sent "
            f"again, {duplicates} duplicate submission(s) absorbed by the gateways; "
            f"{TOTAL} delivered exactly once in {elapsed:.1f}s"
        )
