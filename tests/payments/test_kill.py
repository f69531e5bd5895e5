"""The issue's crash test: the web process and the worker are SIGKILLed in the middle of
payments, with the four gateway simulators calling back for real; after a restart and
a reconciliation every payment is recorded once and no bill is paid twice.

Everything runs as in production, on a database file (or a PostgreSQL database of its
own when the suite runs on PostgreSQL) that a driver process (kill_driver.py) migrates
and fills: the Lào Cai demo, 40 bills waiting to be paid (status 6) and 47 attempts
started through `attempt_start` against the simulators of this process. A real gunicorn
(gthread, as `manage.py demo_server` runs it) takes the callbacks; `manage.py run_huey`
runs beside it. Payers pay or cancel at the gateways; the callbacks come a moment later,
all at once, each sent 3 times. A gateway's thread kills the web process and the worker
(SIGKILL to their process groups) as it gets the 12th answer, with other callbacks
still waiting for theirs. More payers pay while nothing answers: VietQR's and VNPAY's
callbacks find the port closed, payOS's and DVCQG's are held back. Both processes start
again on the same port; the held callbacks land while `manage.py payments_reconcile`
runs as the nightly job (statements only: --pending-older-than 3600 leaves the attempts
of this test unasked); then it runs as the 15-minute job (--pending-older-than 0) and
must find nothing left to record.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings

from motcua.demo.sandbox import sandbox_env
from motcua.payments.simulated import simulated_settings, simulators_start
from motcua.payments.simulators import Callback, Order
from tests.databases import Query, fresh_database
from tests.payments.conftest import ONLINE, settle

pytestmark = pytest.mark.live_server  # a real gunicorn: one of the slow files, run first

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DRIVER = Path(__file__).with_name("kill_driver.py")
VN = ZoneInfo("Asia/Ho_Chi_Minh")
BILLS = 40
REPEAT = 3  # each callback is sent this many times, one after the other
# Seconds before a callback is sent: long enough for the payers of the first wave to
# finish, so that their callbacks come all at once.
BURST = 1.0
SETTLED_BEFORE_KILL = 0.6  # share of the orders paid or cancelled before the kill
ANSWERED_AT_KILL = 12  # callbacks answered when the web process is killed (at least)
HELD = ("payos", "dvcqg")  # their callbacks in the outage wait for the restart ...
SPREAD = 3.0  # ... then go within this many seconds, while the statements are read


def _on_postgres() -> bool:
    return django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[str, Query]]:
    """(DATABASE_URL, query) of a fresh database for the processes of this test, one per
    xdist worker on PostgreSQL (tests/databases.py)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    with fresh_database(tmp_path, "h_pay_kill" + (f"_{worker}" if worker else "")) as found:
        yield found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _plan() -> list[dict[str, Any]]:
    """Per bill: its amount and its attempts, as (method, what the payer does)."""
    plan = []
    for n in range(BILLS):
        method = ONLINE[n % 4]
        attempts = [(method, "paid")]
        if n in (12, 13):
            attempts = [(method, "abandoned")]  # neither paid nor cancelled
        elif n % 5 == 1 and method != "vietqr":  # a transfer cannot be cancelled
            attempts = [(method, "failed")]
            if n < 20:
                attempts.append(("vietqr", "paid"))  # the payer tries again
        elif n % 10 == 9:
            attempts.append((ONLINE[(n + 1) % 4], "paid"))  # paid twice: one refunded
        plan.append({"amount": 5000 + 1000 * (n % 6), "attempts": attempts})
    return plan


class Processes:
    """The web process (gunicorn) and the worker (run_huey), each in a process group of
    its own, so that one SIGKILL reaches the master and its workers at once."""

    def __init__(self, env: dict[str, str], port: int, workdir: Path) -> None:
        self.env, self.port, self.workdir = env, port, workdir
        self.web: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.starts = 0

    def _popen(self, args: list[str], log: Path) -> subprocess.Popen:
        with log.open("ab") as out:
            return subprocess.Popen(
                args, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    def start(self) -> None:
        self.starts += 1
        log = self.workdir / f"gunicorn-{self.starts}.log"
        self.web = self._popen(
            [str(BIN / "gunicorn"), "motcua.wsgi:application", "--bind",
             f"127.0.0.1:{self.port}", "--worker-class", "gthread", "--workers", "2",
             "--threads", "4"],
            log,
        )  # fmt: skip
        self.worker = self._popen(
            [sys.executable, "manage.py", "run_huey", "--workers", "2", "--delay", "0.1",
             "--max-delay", "0.5"],
            self.workdir / f"worker-{self.starts}.log",
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:  # the port is bound before the workers have loaded Django
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/tra-cuu/", timeout=5):
                    return
            except OSError:
                pass
            if self.web.poll() is not None or time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"gunicorn did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.05)

    def sigkill(self) -> None:
        """SIGKILL to both process groups at once: nothing gets to clean up."""
        for process in (self.web, self.worker):
            if process is not None and process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def kill(self) -> None:
        self.sigkill()
        for process in (self.web, self.worker):
            if process is not None:
                process.wait(15)

    def alive(self) -> bool:
        return all(p is not None and p.poll() is None for p in (self.web, self.worker))


def _reconcile(env: dict[str, str], older_than: int, days: list[str], log: Path) -> dict[str, int]:
    """`manage.py payments_reconcile` for each day; what it says, added up."""
    totals: Counter[str] = Counter()
    for n, day in enumerate(days):
        done = subprocess.run(
            [sys.executable, "manage.py", "payments_reconcile", "--pending-older-than",
             str(older_than), "--day", day],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        with log.open("a") as out:
            out.write(done.stdout + done.stderr)
        assert done.returncode == 0, done.stdout + done.stderr
        pending = re.search(r"pending: asked (\d+), paid (\d+), failed (\d+)", done.stdout)
        assert pending, done.stdout
        if n == 0:  # the pending attempts are asked about on each run: count them once
            asked, paid, failed = map(int, pending.groups())
            totals.update(asked=asked, paid=paid, failed=failed)
        for line in re.finditer(r"recovered (\d+), differences (\d+)(, error)?", done.stdout):
            totals["recovered"] += int(line.group(1))
            totals["differences"] += int(line.group(2))
            totals["errors"] += bool(line.group(3))  # a statement could not be read
    return dict(totals)


class Sends:
    """Every callback the simulators send (Callback.send wrapped), as (method, HTTP
    status, when, cut): status 0 is no answer; `cut`, a send the kill cut off (the
    connection taken, then reset or closed without an answer) rather than refused.

    `kill_at(n, kill)`: `kill` runs in the gateway's own thread as it gets the n-th
    answer while other callbacks still wait for theirs. `hold(methods)`: from then on
    these gateways' callbacks wait until `release()` (a gateway retrying later), then
    go within SPREAD seconds. A gateway sends each order's callbacks (REPEAT of them)
    from one thread of its own: `threads` counts them per thread, and which are held."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.log: list[tuple[str, int, float, bool]] = []
        self.threads: dict[threading.Thread, dict[str, Any]] = {}
        self.in_flight = 0
        self.kill_after = 0
        self.kill: Callable[[], None] | None = None
        self.killed = threading.Event()
        self.at_kill: dict[str, int] = {}
        self.killed_at = 0.0
        self.held: tuple[str, ...] = ()
        self.gate = threading.Event()
        self.spread = random.Random(7)

    def kill_at(self, answers: int, kill: Callable[[], None]) -> None:
        self.kill_after, self.kill = answers, kill

    def hold(self, methods: tuple[str, ...]) -> None:
        self.gate.clear()
        self.held = methods

    def release(self) -> None:
        self.gate.set()

    def wrap(self, send: Callable[..., tuple[int, bytes]]) -> Callable[..., tuple[int, bytes]]:
        def recorded(callback: Callback, timeout: float = 10.0) -> tuple[int, bytes]:
            method = callback.url.split("/api/thanh-toan/", 1)[-1].split("/", 1)[0]
            with self.lock:
                thread = self.threads.setdefault(
                    threading.current_thread(), {"method": method, "sent": 0, "held": False}
                )
                thread["held"] = method in self.held and not self.gate.is_set()
                pause = self.spread.uniform(0, SPREAD)
            if thread["held"]:
                self.gate.wait(120)
                time.sleep(pause)
            with self.lock:
                thread["held"] = False
                self.in_flight += 1
            status, body = send(callback, timeout)
            cut = status == 0 and b"refused" not in body.lower()
            with self.lock:
                self.in_flight -= 1
                thread["sent"] += 1
                self.log.append((method, status, time.monotonic(), cut))
                answered = sum(entry[1] == 200 for entry in self.log)
                if (
                    self.kill is not None
                    and not self.killed.is_set()
                    and answered >= self.kill_after
                    and self.in_flight > 0
                ):
                    self.kill()
                    self.killed_at = time.monotonic()
                    self.at_kill.update(answered=answered, in_flight=self.in_flight)
                    self.killed.set()
            return status, body

        return recorded

    def snapshot(self) -> list[tuple[str, int, float, bool]]:
        with self.lock:
            return list(self.log)

    def settled(self, orders: dict[str, int], *, held_too: bool) -> bool:
        """Whether the callbacks of `orders` (method -> orders with a callback) have all
        been sent, or wait at the gate (`held_too`)."""
        with self.lock:
            threads = list(self.threads.values())
        return all(
            len(mine := [t for t in threads if t["method"] == method]) == count
            and all(t["sent"] == REPEAT or (held_too and t["held"]) for t in mine)
            for method, count in orders.items()
        )

    def waiting(self) -> int:
        """The sends still to go from the threads held at the gate."""
        with self.lock:
            return sum(REPEAT - t["sent"] for t in self.threads.values() if t["held"])


def _wait(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def test_sigkill_mid_payments_records_each_payment_once(database, tmp_path, monkeypatch, capsys):
    url, query = database
    began = time.monotonic()
    sends = Sends()
    monkeypatch.setattr(Callback, "send", sends.wrap(Callback.send))
    port = _free_port()
    site = f"http://127.0.0.1:{port}"
    sims = simulators_start(site_url=site)
    for sim in sims.values():
        sim.switches.callback_repeat = REPEAT
        sim.switches.callback_delay = BURST
    workdir = tmp_path / "site"  # its var/: the Huey queue file, the secret key
    workdir.mkdir()
    env = sandbox_env(
        workdir,
        **simulated_settings(sims),
        PAY_SITE_URL=site,
        PAY_HTTP_TIMEOUT="5",
        # Plain static storage: pages render without a collectstatic first.
        STATICFILES_STORAGE="django.contrib.staticfiles.storage.StaticFilesStorage",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env["DATABASE_URL"] = url
    processes = Processes(env, port, workdir)
    plan = _plan()
    days = {datetime.now(VN).date().isoformat()}
    orders: dict[str, Order] = {}  # our reference -> the gateway's order
    try:
        # The database, the demo and the bills with their attempts (with the test
        # settings: the demo officials' passwords take the fast hasher).
        plan_file, attempts_file = workdir / "plan.json", workdir / "attempts.json"
        plan_file.write_text(
            json.dumps([{"amount": b["amount"], "methods": [m for m, _ in b["attempts"]]}
                        for b in plan])
        )  # fmt: skip
        with (workdir / "driver.log").open("ab") as out:
            subprocess.run(
                [sys.executable, str(DRIVER), str(plan_file), str(attempts_file)],
                cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "motcua.test_settings"},
                stdout=out, stderr=subprocess.STDOUT, timeout=300, check=True,
            )  # fmt: skip
        attempts = [SimpleNamespace(**a) for a in json.loads(attempts_file.read_text())]
        outcome_of = {}
        for attempt in attempts:
            method, outcome = plan[attempt.bill]["attempts"][attempt.k]
            assert (method, attempt.state) == (attempt.method, "pending")
            outcome_of[attempt.reference] = outcome
        setup_seconds = time.monotonic() - began

        processes.start()
        to_settle = [a for a in attempts if outcome_of[a.reference] != "abandoned"]
        random.Random(20).shuffle(to_settle)
        cut = int(len(to_settle) * SETTLED_BEFORE_KILL)

        # 1. Payers pay (or cancel); their callbacks follow, the first are answered ...
        sends.kill_at(ANSWERED_AT_KILL, processes.sigkill)
        for attempt in to_settle[:cut]:
            orders[attempt.reference] = settle(sims, attempt, outcome_of[attempt.reference])
        # ... and the web process and the worker die with callbacks in flight.
        assert sends.killed.wait(30), "the web process was never killed"
        processes.kill()  # (reaps them)
        assert processes.web is not None and processes.web.returncode == -signal.SIGKILL
        assert processes.worker is not None and processes.worker.returncode == -signal.SIGKILL

        # 2. More payers pay while nothing answers (VietQR's and VNPAY's callbacks find
        # the port closed); payOS and DVCQG will try again after the restart.
        sends.hold(HELD)
        for sim in sims.values():
            sim.switches.callback_delay = 0.1
        for attempt in to_settle[cut:]:
            orders[attempt.reference] = settle(sims, attempt, outcome_of[attempt.reference])
        with_callback = {  # orders with a callback, per gateway
            method: sum(
                1
                for a in to_settle
                if a.method == method and sim.callback_for(orders[a.reference]) is not None
            )
            for method, sim in sims.items()
        }
        _wait(
            lambda: sends.settled(with_callback, held_too=True),
            30,
            "the callbacks sent into the outage",
        )
        held = sends.waiting()

        # 3. Both start again on the same port. The held callbacks land while the nightly
        # job reads the statements; then the 15-minute job asks about what is left.
        processes.start()
        restarted_at = time.monotonic()
        sends.release()
        days.add(datetime.now(VN).date().isoformat())
        log = workdir / "reconcile.log"
        nightly = _reconcile(env, 3600, sorted(days), log)
        _wait(
            lambda: sends.settled(with_callback, held_too=False), SPREAD + 30, "the held callbacks"
        )
        sweep = _reconcile(env, 0, sorted(days), log)
        assert processes.alive(), f"a process died after the restart; see {workdir}"
        elapsed = time.monotonic() - began

        payments = query(
            "SELECT a.reference, p.bill_id, p.amount_vnd, p.source FROM payments_payment p "
            "LEFT JOIN payments_attempt a ON a.id = p.attempt_id"
        )
        attempt_rows = {
            reference: (state, bill_id)
            for reference, state, bill_id in query(
                "SELECT reference, state, bill_id FROM payments_attempt"
            )
        }
        bills = query("SELECT id, state, total_vnd, paid_vnd, dossier_id FROM payments_bill")
        refunds = query(
            "SELECT a.reference, r.bill_id, r.amount_vnd, r.reason FROM payments_refund r "
            "LEFT JOIN payments_payment p ON p.id = r.payment_id "
            "LEFT JOIN payments_attempt a ON a.id = p.attempt_id"
        )
        fee_paid = Counter(
            dict(
                query(
                    "SELECT dossier_id, COUNT(*) FROM dossiers_dossierevent "
                    "WHERE action = 'fee_paid' GROUP BY dossier_id"
                )
            )
        )
        callbacks_logged = dict(
            query("SELECT accepted, COUNT(*) FROM payments_callbacklog GROUP BY accepted")
        )
    finally:
        sends.release()
        processes.kill()
        for sim in sims.values():
            sim.stop()

    paid = sorted(r for r, outcome in outcome_of.items() if outcome == "paid")
    failed = [r for r, outcome in outcome_of.items() if outcome == "failed"]
    abandoned = [r for r, outcome in outcome_of.items() if outcome == "abandoned"]
    assert (len(attempts), len(paid), len(failed), len(abandoned)) == (47, 39, 6, 2)
    # The gateways hold those 39 as paid (a payOS order is kept under its orderCode).
    ours = {order.reference: reference for reference, order in orders.items()}
    paid_at_gateways = sorted(
        ours[order.reference]
        for sim in sims.values()
        for order in getattr(sim, "transfers", None) or sim.orders.values()
        if order.status == "paid"
    )
    assert paid_at_gateways == paid

    # Every order the gateways hold as paid is exactly one payment, of its attempt, for
    # its amount; there is no other payment.
    assert len(payments) == len(paid)
    assert sorted(reference for reference, *_ in payments) == paid
    amount_of = {a.reference: a.amount_vnd for a in attempts}
    for reference, bill_id, amount, _source in payments:
        assert attempt_rows[reference] == ("paid", bill_id)
        assert amount == amount_of[reference]
    # A cancelled payment is known as failed; an abandoned one is still waited for.
    assert {attempt_rows[r][0] for r in failed} == {"failed"}
    assert {attempt_rows[r][0] for r in abandoned} == {"pending"}

    # No bill is paid twice: what a bill got above its total is on the refund list, once
    # per extra payment; each dossier moved on once.
    refunded: Counter[int] = Counter()
    for reference, bill_id, amount, reason in refunds:
        assert reference is not None and attempt_rows[reference][1] == bill_id
        assert reason == "duplicate"
        refunded[bill_id] += amount
    got: Counter[int] = Counter()
    for _reference, bill_id, amount, _source in payments:
        got[bill_id] += amount
    for bill_id, state, total_vnd, paid_vnd, dossier_id in bills:
        assert paid_vnd == got[bill_id]
        if got[bill_id]:
            assert (state, paid_vnd - refunded[bill_id], fee_paid[dossier_id]) == (
                "paid",
                total_vnd,
                1,
            )
        else:
            assert (state, paid_vnd, fee_paid[dossier_id]) == ("open", 0, 0)
    assert len(bills) == BILLS and sum(1 for b in bills if got[b[0]]) == 35
    assert len(refunds) == 4  # the 4 bills paid by two methods

    # The run did what it says: answers before the kill, sends cut off by it, callbacks
    # lost in the outage and answered after the restart; and the last reconciliation
    # found nothing left to record.
    after_kill = [(status, at, cut) for _m, status, at, cut in sends.snapshot()]
    after_kill = [entry for entry in after_kill if entry[1] >= sends.killed_at]
    cut_off = sum(cut for _status, _at, cut in after_kill)
    lost = sum(status != 200 for status, _at, _cut in after_kill)
    answered_late = sum(status == 200 for status, at, _cut in after_kill if at > restarted_at)
    assert sends.at_kill["answered"] >= ANSWERED_AT_KILL and sends.at_kill["in_flight"] > 0
    assert cut_off > 0 and lost > cut_off and answered_late == held > 0
    assert nightly["errors"] == sweep["errors"] == 0
    assert (sweep["paid"], sweep["recovered"], sweep["differences"]) == (0, 0, 0)
    sources = Counter(source for *_, source in payments)
    # Recorded by a callback whose every send the kill cut off: the gateway never heard
    # "recorded", and the statements found it already there.
    unanswered = {ours[r] for sim in sims.values() for r, _s in sim.sent} - {
        ours[r] for sim in sims.values() for r, status in sim.sent if status == 200
    }
    committed_unanswered = sum(
        1 for r, *_, source in payments if source == "callback" and r in unanswered
    )
    with capsys.disabled():
        print(
            f"\n[{'postgresql' if _on_postgres() else 'sqlite'}] {len(attempts)} attempts on "
            f"{BILLS} bills, {setup_seconds:.1f}s to set up. Killed after "
            f"{sends.at_kill['answered']} callbacks answered, {sends.at_kill['in_flight']} in "
            f"flight: {cut_off} sends cut off, {lost} unanswered in all; {held} held and "
            f"answered after the restart. Statements recovered {nightly['recovered']}; the "
            f"status queries then found {sweep['failed']} failed, {sweep['paid']} paid. "
            f"{len(payments)} payments {dict(sources)} ({committed_unanswered} recorded by "
            f"a callback the kill left unanswered), {len(refunds)} refunds; callback log "
            f"{callbacks_logged}. {elapsed:.1f}s in all."
        )
