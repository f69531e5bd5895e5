#!/usr/bin/env python
"""Benchmark of the payment gateways' callbacks over real HTTP: callbacks handled per
second, beside a bare view measured in the same run.

    .venv/bin/python bench/payments.py [--duration 10] [--concurrency 8] [--workers 2]
                                       [--threads 4] [--per-method 100] [--workdir DIR]

Builds a SQLite demo database in a temporary directory (migrate + load_demo), or reuses
the one in --workdir, starts the four local gateway simulators (VietQR bank, VNPAY,
payOS, the national platform: motcua.payments.simulated) in this process, and gunicorn
the way the demo does (gthread workers) with their PAY_* settings and
MOTCUA_BENCH_HELLO=1, which routes a "hello" view through the same app. No static files
are collected: neither the callbacks nor hello render a page.

Then, in a child process on the same database, --per-method fee-bearing dossiers per
online method (filed online for copies of a birth certificate, 2.000635, received at
the Bát Xát desk by batxat.tiepnhan, a fee of 8,000 VND asked: status 6) and a payment
attempt for each, started at the simulator the way the payment page does. Each is paid
at its simulator with the callback switch "lost", and the signed callback the gateway
would send (URL, method, headers, body) is saved to callbacks.json in the work
directory.

--concurrency clients, each a thread with its own keep-alive connection, then send for
--duration seconds each (hello and forged after a warm-up that is not counted):

1. hello: the bare view, the baseline of this run on this server.
2. first-time callbacks, each sent once, methods interleaved: the callback view checks
   the signature, notice_apply records the payment under the dossier's lock, moves the
   dossier on (fee_paid: event, outbox) and logs the call: the expensive path. Stops
   early when every callback has been sent; the rate is over what was sent. (On SQLite
   some 25 a second go through: the default 400 last about 15 s; a longer --duration
   wants a larger --per-method, each attempt taking some 60 ms to prepare.)
3. replayed callbacks: those of 2, sent again and again: the "already recorded" answer,
   what a gateway's retries cost (it retries whatever it thinks we did not take).
4. forged callbacks: every callback of the run with its signature altered: refused and
   logged, never a payment.

Printed: req/s, the ratio to hello, p50 and p95 latency, and errors (a transport error,
or an answer other than the one expected: accepted for 2 and 3, refused for 4). At the
end the database is asked which of this run's attempts have a payment: they must be
exactly the callbacks sent in 2 (one payment each, none for a replay or a forgery); the
exit status is 1 when they are not.

SQLite takes one writer at a time (IMMEDIATE transactions, motcua/settings.py), so the
first-time rate is the rate of one writer; PostgreSQL is not measured here. The client
runs on the same machine and competes for the same CPUs: compare the ratios, not the
absolute numbers, across machines.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from motcua.demo.sandbox import sandbox_env  # noqa: E402  (after the path is set)

BIN = Path(sys.executable).parent
HELLO = "/_bench/hello/"
METHODS = ["vietqr", "vnpay", "payos", "dvcqg"]
# Copies of civil-status extracts: 8,000 VND a copy, the number of copies unknown at filing,
# so the desk asks for the fee (status 6); the catalog lets citizens pay it online.
PROCEDURE = "2.000635"
FEE_VND = 8000
OFFICER = "batxat.tiepnhan"
SIGNATURE_KEYS = ("vnp_SecureHash", "signature", "MaXacThuc")


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the database and the server ------------------------------------------------------------


def prepare(workdir: Path, env: dict[str, str]) -> None:
    if (workdir / "motcua.sqlite3").exists():
        print(f"reusing the database in {workdir}")
        return
    start = time.perf_counter()
    for args in (["migrate", "--no-input"], ["load_demo"]):
        subprocess.run(
            [sys.executable, "manage.py", *args, "--verbosity", "0"], cwd=ROOT, env=env, check=True
        )
    took = time.perf_counter() - start
    print(f"demo database built in {took:.0f} s (migrate + load_demo) in {workdir}")


@dataclass
class Server:
    """gunicorn on a port chosen beforehand: the simulators need motcua's address (where
    they send their callbacks) before motcua can be given theirs."""

    workdir: Path
    env: dict[str, str]
    port: int
    workers: int
    threads: int
    process: subprocess.Popen | None = None

    def start(self) -> None:
        log = self.workdir / "gunicorn.log"
        log.write_text("")
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "motcua.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--worker-class",
                "gthread",
                "--workers",
                str(self.workers),
                "--threads",
                str(self.threads),
                "--error-logfile",
                str(log),  # no access log: it is not the app's cost
            ],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while log.read_text().count("Booting worker") < self.workers:  # Django loaded
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.05)
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", HELLO)
                if connection.getresponse().status == 200:
                    connection.close()
                    return
                connection.close()
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn does not answer:\n{log.read_text()[-3000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


# --- the attempts (in a child process: Django on the bench's database) ----------------------


def make_attempts(out: Path, per_method: int, site: str, run: str) -> None:
    """Fee-bearing dossiers and one attempt each, started at the simulators (whose PAY_*
    settings are in the environment); written to `out` as JSON."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from motcua.catalog.selectors import procedure_get_current
    from motcua.dossiers.inputs import Applicant
    from motcua.dossiers.services import dossier_file_online, dossier_receive
    from motcua.organizations.models import Agency, AgencyType
    from motcua.payments.bills import Line
    from motcua.payments.services import attempt_start, bill_request

    officer = get_user_model().objects.get(username=OFFICER)
    desk = Agency.objects.get(
        unit__name="Xã Bát Xát",
        unit__valid_to__isnull=True,
        type=AgencyType.COMMUNE_SERVICE_CENTRE,
    )
    version = procedure_get_current(code=PROCEDURE)
    if not version.online_payment:
        raise SystemExit(f"{PROCEDURE}: the catalog does not let citizens pay it online")
    attempts = []
    for n in range(per_method):
        for method in METHODS:  # interleaved: the first-time callbacks mix the methods
            dossier = dossier_file_online(
                procedure_version=version,
                applicant=Applicant(
                    name=f"Người nộp {n}", id_number="010190012345", phone="0912000111"
                ),
                receiving_agency=desk,
            )
            dossier = dossier_receive(
                dossier=dossier, officer=officer, expected_version=dossier.lock_version
            )
            bill = bill_request(
                dossier=dossier,
                officer=officer,
                expected_version=dossier.lock_version,
                lines=[Line("Lệ phí", FEE_VND, 1, FEE_VND)],
            )
            attempt = attempt_start(
                bill=bill,
                method_key=method,
                idempotency_key=f"bench-{run}-{method}-{n}",
                client_ip="127.0.0.1",
                return_url=f"{site}/thanh-toan/tro-ve/{method}/",
                notify_url=f"{site}/api/thanh-toan/{method}/thong-bao/",
            )
            attempts.append(
                {
                    "method": method,
                    "reference": attempt.reference,
                    "amount_vnd": attempt.amount_vnd,
                    "redirect_url": attempt.redirect_url,
                }
            )
    out.write_text(json.dumps(attempts, indent=1))


def settle(sims: dict, attempt: dict):
    """The payer pays at the gateway; the order, whose callback is not sent."""
    method, reference = attempt["method"], attempt["reference"]
    sim = sims[method]
    if method == "vietqr":
        return sim.transfer(reference, attempt["amount_vnd"])
    if attempt["redirect_url"]:
        # The browser arrives at the gateway's page (VNPAY creates the order then).
        with urllib.request.urlopen(attempt["redirect_url"], timeout=10) as page:
            page.read()
    sim.pay(reference, "paid")
    return sim.order_for(reference) if method == "payos" else sim.order(reference)


# --- requests -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    method: str  # the payment method ("hello" for the baseline)
    reference: str
    verb: str
    path: str
    headers: dict[str, str]
    body: bytes | None


def request_from(callback: dict, port: int) -> Request:
    parts = urlsplit(callback["url"])
    headers = {"Host": f"127.0.0.1:{port}", **callback["headers"]}
    body = callback["body"].encode("utf-8") if callback["http_method"] == "POST" else None
    return Request(
        callback["method"],
        callback["reference"],
        callback["http_method"],
        parts.path + (f"?{parts.query}" if parts.query else ""),
        headers,
        body,
    )


def flip(value: str) -> str:
    return value[:-1] + ("0" if value[-1] != "0" else "1")


def forged(request: Request) -> Request:
    """The same callback with its signature altered (one character)."""
    headers = dict(request.headers)
    if request.verb == "GET":
        path, _, query = request.path.partition("?")
        params = dict(parse_qsl(query, keep_blank_values=True))
        params["vnp_SecureHash"] = flip(params["vnp_SecureHash"])
        return Request(
            request.method,
            request.reference,
            "GET",
            f"{path}?{urlencode(params)}",
            headers,
            None,
        )
    header = next((h for h in headers if h.lower() == "x-signature"), None)
    if header:
        headers[header] = flip(headers[header])
        return Request(
            request.method, request.reference, "POST", request.path, headers, request.body
        )
    data = json.loads(request.body or b"{}")
    key = next((k for k in SIGNATURE_KEYS if isinstance(data.get(k), str) and data[k]), None)
    if key is None:
        raise RuntimeError(f"{request.method}: no signature to alter in {data}")
    data[key] = flip(data[key])
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return Request(request.method, request.reference, "POST", request.path, headers, body)


def accepted(method: str, status: int, body: bytes) -> bool:
    """Whether the answer is the gateway's "recorded" (it stops retrying)."""
    if status != 200:
        return False
    try:
        data = json.loads(body)
    except ValueError:
        return False
    if method == "vnpay":
        return data.get("RspCode") in ("00", "02")
    if method == "dvcqg":
        return data.get("MaLoi") == "00"
    return data.get("success") is True


def expect_accepted(request: Request, status: int, body: bytes) -> bool:
    return accepted(request.method, status, body)


def expect_refused(request: Request, status: int, body: bytes) -> bool:
    return status < 500 and not accepted(request.method, status, body)


def expect_hello(request: Request, status: int, body: bytes) -> bool:
    return status == 200


# --- the load -----------------------------------------------------------------------------


@dataclass
class Result:
    label: str
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    by_method: dict[str, list[float]] = field(default_factory=dict)
    sent: list[Request] = field(default_factory=list)  # every request issued

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


class Pool:
    """The requests the clients take in turn: each once, or round and round."""

    def __init__(self, requests: list[Request], *, cycle: bool) -> None:
        self.requests = requests
        self.cycle = cycle
        self.next = 0
        self.lock = threading.Lock()

    def take(self) -> Request | None:
        with self.lock:
            if self.next >= len(self.requests):
                if not self.cycle:
                    return None
                self.next = 0
            request = self.requests[self.next]
            self.next += 1
            return request


def load(
    port: int,
    label: str,
    pool: Pool,
    judge: Callable[[Request, int, bytes], bool],
    concurrency: int,
    seconds: float,
) -> Result:
    results = [Result(label) for _ in range(concurrency)]
    go = threading.Barrier(concurrency + 1)
    stop_at = [0.0]

    def client(n: int) -> None:
        mine = results[n]
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        go.wait()
        while time.perf_counter() < stop_at[0]:
            request = pool.take()
            if request is None:
                break
            mine.sent.append(request)
            begin = time.perf_counter()
            try:
                connection.request(
                    request.verb, request.path, body=request.body, headers=request.headers
                )
                response = connection.getresponse()
                body = response.read()
                ok = judge(request, response.status, body)
                if response.will_close:
                    connection.close()
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
            if ok:
                took = time.perf_counter() - begin
                mine.latencies.append(took)
                mine.by_method.setdefault(request.method, []).append(took)
            else:
                mine.errors += 1
        connection.close()

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    start = time.perf_counter()
    stop_at[0] = start + seconds
    go.wait()
    for thread in threads:
        thread.join()
    total = Result(label, seconds=time.perf_counter() - start)
    for mine in results:
        total.errors += mine.errors
        total.latencies += mine.latencies
        total.sent += mine.sent
        for method, samples in mine.by_method.items():
            total.by_method.setdefault(method, []).extend(samples)
    total.requests = len(total.latencies)
    return total


# --- the check ----------------------------------------------------------------------------


def paid_references(workdir: Path, references: list[str]) -> list[str]:
    """Which of these attempts have a payment (one row per payment)."""
    with sqlite3.connect(workdir / "motcua.sqlite3") as db:
        db.execute("CREATE TEMP TABLE bench_refs (reference TEXT PRIMARY KEY)")
        db.executemany("INSERT INTO bench_refs VALUES (?)", [(r,) for r in references])
        rows = db.execute(
            "SELECT a.reference FROM payments_payment p "
            "JOIN payments_attempt a ON a.id = p.attempt_id "
            "JOIN bench_refs r ON r.reference = a.reference"
        ).fetchall()
    return [row[0] for row in rows]


def callback_log_counts(workdir: Path, since: float) -> tuple[int, int]:
    with sqlite3.connect(workdir / "motcua.sqlite3") as db:
        rows = dict(
            db.execute(
                "SELECT accepted, COUNT(*) FROM payments_callbacklog WHERE id > ? "
                "GROUP BY accepted",
                (since,),
            ).fetchall()
        )
    return rows.get(1, 0), rows.get(0, 0)


def callback_log_last(workdir: Path) -> int:
    with sqlite3.connect(workdir / "motcua.sqlite3") as db:
        return db.execute("SELECT COALESCE(MAX(id), 0) FROM payments_callbacklog").fetchone()[0]


# --- main -----------------------------------------------------------------------------------


def callbacks_prepare(
    workdir: Path, env: dict[str, str], sims: dict, args: argparse.Namespace, site: str
) -> list[dict]:
    out = workdir / "attempts.json"
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--make-attempts",
            str(out),
            "--per-method",
            str(args.per_method),
            "--site",
            site,
            "--run",
            uuid.uuid4().hex[:8],
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    attempts = json.loads(out.read_text())
    took = time.perf_counter() - start
    print(
        f"{len(attempts)} fee-bearing dossiers received and attempts started "
        f"({args.per_method} per method) in {took:.0f} s"
    )
    start = time.perf_counter()
    callbacks = []
    for attempt in attempts:
        order = settle(sims, attempt)
        callback = sims[attempt["method"]].callback_for(order)
        if callback is None:
            raise RuntimeError(f"{attempt['method']}: no callback for {attempt['reference']}")
        callbacks.append(
            {
                "method": attempt["method"],
                "reference": attempt["reference"],
                "url": callback.url,
                "http_method": callback.method,
                "headers": callback.headers,
                "body": callback.body.decode("utf-8"),
            }
        )
    (workdir / "callbacks.json").write_text(json.dumps(callbacks, indent=1, ensure_ascii=False))
    took = time.perf_counter() - start
    print(f"paid at the simulators, callbacks kept in {workdir / 'callbacks.json'} ({took:.0f} s)")
    return callbacks


def measure(server: Server, workdir: Path, callbacks: list[dict], args: argparse.Namespace) -> int:
    port = server.port
    genuine = [request_from(c, port) for c in callbacks]
    fakes = [forged(r) for r in genuine]
    hello = Request("hello", "", "GET", HELLO, {"Host": f"127.0.0.1:{port}"}, None)
    warm = min(2.0, args.duration / 4)
    print()
    print(
        f"callbacks per second: gunicorn gthread, {args.workers} workers x {args.threads} "
        f"threads; {args.concurrency} keep-alive clients; up to {args.duration:g} s each "
        f"(hello and forged after {warm:g} s of warm-up)"
    )
    log_before = callback_log_last(workdir)
    # Warm-up: the view, the signature checks and the log, without recording anything.
    load(port, "warm", Pool([hello], cycle=True), expect_hello, args.concurrency, warm)
    load(port, "warm", Pool(fakes, cycle=True), expect_refused, args.concurrency, warm)
    results = [
        load(
            port,
            "hello (same app, no view work)",
            Pool([hello], cycle=True),
            expect_hello,
            args.concurrency,
            args.duration,
        )
    ]
    first = load(
        port,
        "first-time callbacks (recorded)",
        Pool(genuine, cycle=False),
        expect_accepted,
        args.concurrency,
        args.duration,
    )
    results.append(first)
    sent = first.sent
    if not sent:
        raise RuntimeError("no first-time callback was sent")
    results.append(
        load(
            port,
            "replayed callbacks (already)",
            Pool(sent, cycle=True),
            expect_accepted,
            args.concurrency,
            args.duration,
        )
    )
    results.append(
        load(
            port,
            "forged callbacks (refused)",
            Pool(fakes, cycle=True),
            expect_refused,
            args.concurrency,
            args.duration,
        )
    )
    print(f"  {'':<34} {'req/s':>8} {'vs hello':>9} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7}")
    base = results[0].rate if results[0].requests else 0.0
    for result in results:
        if not result.requests:
            print(f"  {result.label:<34} {'-':>8} {'':>9} {'':>8} {'':>8} {result.errors:7d}")
            continue
        print(
            f"  {result.label:<34} {result.rate:8.1f} "
            f"{(result.rate / base if base else 0):8.3f}x "
            f"{statistics.median(result.latencies) * 1000:8.1f} "
            f"{percentile(result.latencies, 0.95) * 1000:8.1f} {result.errors:7d}"
        )
    ran_out = "all of them" if len(sent) == len(genuine) else "time ran out first"
    print(
        f"  first-time: {len(sent)} of {len(genuine)} callbacks sent in {first.seconds:.1f} s "
        f"({ran_out}); p50 by method: "
        + ", ".join(
            f"{m} {statistics.median(first.by_method[m]) * 1000:.1f} ms"
            for m in METHODS
            if first.by_method.get(m)
        )
    )
    accepted_log, refused_log = callback_log_counts(workdir, log_before)
    print(
        f"  callback log rows written (warm-up included): {accepted_log} accepted, "
        f"{refused_log} refused"
    )

    sent_refs = {r.reference for r in sent}
    paid = paid_references(workdir, [r.reference for r in genuine])
    print()
    problems = []
    if len(paid) != len(set(paid)):
        problems.append(f"{len(paid) - len(set(paid))} attempts paid more than once")
    if set(paid) - sent_refs:
        problems.append(f"{len(set(paid) - sent_refs)} payments for callbacks never sent")
    if sent_refs - set(paid):
        problems.append(f"{len(sent_refs - set(paid))} callbacks sent without a payment")
    print(
        f"payments for this run's attempts: {len(paid)}; distinct callbacks sent in (2): "
        f"{len(sent_refs)}: " + ("; ".join(problems) if problems else "OK")
    )
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--duration", type=float, default=10, help="seconds at most per measured kind"
    )
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument(
        "--per-method", type=int, default=100, help="attempts (callbacks) per online method"
    )
    parser.add_argument(
        "--workdir", type=Path, help="keep the database here; reused (and added to) next time"
    )
    # The child process that makes the attempts (see callbacks_prepare).
    parser.add_argument("--make-attempts", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--site", help=argparse.SUPPRESS)
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make_attempts:
        make_attempts(args.make_attempts, args.per_method, args.site, args.run)
        return 0

    from motcua.payments.simulated import simulated_settings, simulators_start

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="motcua-bench-payments-"))
    workdir.mkdir(parents=True, exist_ok=True)
    workdir = workdir.resolve()
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    sims = simulators_start(site_url=site)
    for sim in sims.values():
        sim.switches.callback = "lost"  # the bench sends the callbacks itself
    env = sandbox_env(
        workdir,
        MOTCUA_BENCH_HELLO="1",
        STATICFILES_STORAGE="django.contrib.staticfiles.storage.StaticFilesStorage",
        **simulated_settings(sims),
    )
    server = Server(workdir, env, port, args.workers, args.threads)
    # A SIGTERM to the bench still stops gunicorn (through the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        prepare(workdir, env)
        server.start()
        print(
            f"gunicorn on {site} (pid {server.process.pid}); simulators on ports "
            + ", ".join(f"{name} {sim.port}" for name, sim in sims.items())
        )
        callbacks = callbacks_prepare(workdir, env, sims, args, site)
        return measure(server, workdir, callbacks, args)
    finally:
        server.stop()
        for sim in sims.values():
            sim.stop()
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
