"""Shared rate limits (motcua.core.ratelimit): counted in the database, so the limit holds
across worker processes, restarts and concurrent requests."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection, connections
from django.test import Client

from motcua.core.models import RateCounter
from motcua.core.ratelimit import (
    address_key,
    rate_count,
    rate_counters_purge,
    rate_hit,
    rate_retry_after,
)
from motcua.dossiers.tracking import TRACKING_LIMIT, TRACKING_WINDOW_SECONDS
from tests.concurrency import all_at_once

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 2, 9, 10, 30, tzinfo=UTC)


def test_attempts_over_the_limit_are_refused_until_the_window_ends(db):
    hits = [rate_hit(key="k", limit=3, window_seconds=600, now=NOW) for _ in range(5)]
    assert hits == [True, True, True, False, False]
    assert rate_count(key="k", window_seconds=600, now=NOW) == 5
    assert rate_hit(key="other", limit=3, window_seconds=600, now=NOW)  # keys apart
    later = NOW + timedelta(seconds=600)
    assert rate_hit(key="k", limit=3, window_seconds=600, now=later)  # a new window
    assert rate_retry_after(window_seconds=600, now=NOW) == 570  # 09:10:30 → 09:20:00


def test_the_count_outlives_the_process_cache(db):
    """A second worker process (or the same after a restart) has an empty local cache:
    the attempts already made still count."""
    for _ in range(3):
        assert rate_hit(key="tracking:203.0.113.9", limit=3, window_seconds=600, now=NOW)
    cache.clear()  # what another process, or a restart, would see of Django's cache
    assert not rate_hit(key="tracking:203.0.113.9", limit=3, window_seconds=600, now=NOW)


def test_the_tracking_page_stays_limited_in_another_process(db):
    first = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(TRACKING_LIMIT):
        assert first.post("/tra-cuu/", {"code": "X", "phone_last4": "1111"}).status_code == 404
    cache.clear()
    second = Client(REMOTE_ADDR="203.0.113.9")  # as served by another worker
    blocked = second.post("/tra-cuu/", {"code": "X", "phone_last4": "1111"})
    assert blocked.status_code == 429
    assert 1 <= int(blocked["Retry-After"]) <= TRACKING_WINDOW_SECONDS
    api = second.get("/api/v1/dossiers/X/status", {"phone_last4": "1111"})
    assert api.status_code == 429 and api.json()["detail"]
    assert 1 <= int(api["Retry-After"]) <= TRACKING_WINDOW_SECONDS
    other = Client(REMOTE_ADDR="203.0.113.10")
    assert other.post("/tra-cuu/", {"code": "X", "phone_last4": "1111"}).status_code == 404


def test_ipv6_clients_are_counted_by_their_64_network():
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::9")
    assert address_key("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("::ffff:203.0.113.9") == "203.0.113.9"
    assert address_key("203.0.113.9") == "203.0.113.9"
    assert address_key("unknown") == "unknown"


def test_ended_windows_are_purged(db):
    rate_hit(key="old", limit=3, window_seconds=60, now=NOW - timedelta(minutes=5))
    rate_hit(key="new", limit=3, window_seconds=600, now=NOW)
    assert rate_counters_purge(now=NOW) == 1
    assert list(RateCounter.objects.values_list("key", flat=True)) == ["new"]


# --- concurrent hits ---------------------------------------------------------------------------

LIMIT, THREADS, HITS_EACH = 30, 20, 5


def _concurrent_hits() -> list[bool]:
    def hits() -> list[bool]:
        return [rate_hit(key="race", limit=LIMIT, window_seconds=3600) for _ in range(HITS_EACH)]

    return [hit for each in all_at_once(hits, THREADS) for hit in each]


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: the SQLite in-memory test database cannot be shared by "
    "threads with separate connections (see the file-database test below)",
)
def test_concurrent_hits_never_pass_the_limit_on_postgresql(transactional_db):
    results = _concurrent_hits()
    assert len(results) == THREADS * HITS_EACH
    assert results.count(True) == LIMIT  # none over the limit, none refused below it
    assert RateCounter.objects.get(key="race").count == THREADS * HITS_EACH


SQLITE_SCRIPT = textwrap.dedent(
    f"""
    import sys
    import django
    django.setup()
    from django.core.management import call_command
    from django.db import connections
    call_command("migrate", "core", verbosity=0)
    connections.close_all()
    sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
    from test_ratelimit import _concurrent_hits
    from motcua.core.models import RateCounter
    results = _concurrent_hits()
    print("PASSED", results.count(True))
    print("TOTAL", RateCounter.objects.get(key="race").count)
    """
)


def test_concurrent_hits_never_pass_the_limit_on_a_sqlite_file_database(tmp_path):
    """The embedded default (SQLite file, WAL, IMMEDIATE transactions) in a child
    process, whose threads each open their own connection."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'motcua.sqlite3'}",
        "MOTCUA_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "motcua.test_settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", SQLITE_SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
    assert int(lines["PASSED"]) == LIMIT
    assert int(lines["TOTAL"]) == THREADS * HITS_EACH


# --- sign-in codes --------------------------------------------------------------------------


def test_sign_in_codes_from_one_ipv6_network_are_counted_together(db, settings):
    from motcua.accounts.services import OtpError, phone_otp_send

    settings.OTP_PER_IP = 2
    phone_otp_send(phone="0912000001", client_ip="2001:db8:1:2::1")
    cache.clear()
    phone_otp_send(phone="0912000002", client_ip="2001:db8:1:2::99")
    with pytest.raises(OtpError) as refused:
        phone_otp_send(phone="0912000003", client_ip="2001:db8:1:2:ffff::7")
    assert refused.value.code == "ip_limit"
    phone_otp_send(phone="0912000003", client_ip="2001:db8:1:3::1")  # another network
    assert rate_count(key="otp:address:2001:db8:1:2::/64", window_seconds=900) == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (see above)")
def test_parallel_code_requests_for_one_phone_send_at_most_the_limit(transactional_db, settings):
    """Ten requests at once for one phone, as ten workers would serve them: three codes."""
    from motcua.accounts.models import PhoneOtp
    from motcua.accounts.services import OtpError, phone_otp_send

    settings.OTP_PER_PHONE = 3
    barrier = threading.Barrier(10)
    outcomes: list[str] = []

    def ask(number: int) -> None:
        try:
            barrier.wait(timeout=30)
            phone_otp_send(phone="0912000001", client_ip=f"203.0.113.{number}")
            outcomes.append("sent")
        except OtpError as exc:
            outcomes.append(exc.code)
        except BaseException as exc:
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["phone_limit"] * 7 + ["sent"] * 3
    assert PhoneOtp.objects.filter(phone="84912000001").count() == 3
