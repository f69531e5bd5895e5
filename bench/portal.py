#!/usr/bin/env python
"""Benchmark of the citizen portal over real HTTP: page weights and requests per second.

    .venv/bin/python bench/portal.py [--duration 10] [--concurrency 8] [--workers 2]
                                     [--threads 4] [--rounds 3] [--workdir DIR]
                                     [--accept-encoding "gzip, deflate"]
                                     [--databases sqlite,postgres]
                                     [--postgres postgres://postgres@127.0.0.1:5432]

Builds a SQLite demo database in a temporary directory (migrate + load_demo, then
collectstatic with the production storage: whitenoise's compressed manifest), or reuses
the one in --workdir; with --databases postgres (or sqlite,postgres: one after the other,
then their ratios side by side) a throwaway PostgreSQL database (bench_portal), created
with the demo and dropped at the end. For each database it starts gunicorn the way the
demo does (gthread workers, see below) with MOTCUA_BENCH_HELLO=1, which routes a "hello"
view through the same app.

1. Weight: a citizen goes through the portal (home, search, procedure, sign-in with the
   one-time code read from the outbox, every question of "Đăng ký khai sinh", an upload,
   check answers, submit, confirmation, tracking). For each page: the bytes transferred
   on a cold first load (response headers + body as sent, HTML and every stylesheet,
   script, image and icon it references, url() inside the CSS, /favicon.ico when no icon
   is declared, each fetched once per page with Accept-Encoding as a browser sends it),
   JS separately, against the budget: 150 KB in all, 75 KB of JS (1 KB = 1,000 bytes).
2. Throughput: --concurrency clients, each a thread with its own keep-alive connection,
   run for --duration seconds (after a warm-up; split into --rounds rounds that take
   the URLs in turn) against each of: the hello view, the procedure page, a question
   page opened by a signed-in citizen (GET) and the answer to it sent (POST, answered
   again and again: it rewrites one draft row per client, so the database does not
   grow). Printed: req/s, the ratio to hello measured in the same run against the same
   server, p50 and p95 latency.

Each run signs in with a new phone number; a reused --workdir still meets the limit of
10 sign-in codes per address per 15 minutes after 10 runs in a row.

Why gthread: it is what `make demo` runs (manage.py demo_server), it keeps connections
alive, and a thread waiting on a slow phone does not hold a whole worker; motcua serves
without nginx in front, where gunicorn's sync workers would be open to slow clients.
The client runs on the same machine and competes for the same CPUs: compare the ratios,
not the absolute numbers, across machines.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from motcua.demo.sandbox import (  # noqa: E402  (after the path is set)
    Fetched,
    HttpBrowser,
    outbox_sign_in_code,
    sandbox_env,
)

BIN = Path(sys.executable).parent
CODE = "1.001193"
BASE = f"/nop-ho-so/{CODE}/"
# A new number each run: a reused database would otherwise hit the 3-codes-per-number limit.
PHONE = f"091{random.randrange(10**7):07d}"
BUDGET_TOTAL = 150_000
BUDGET_JS = 75_000
HELLO = "/_bench/hello/"
REDIS_QUEUE = "motcua_bench"  # the Huey queue of --redis runs (no worker takes it)
BIRTH = "05/03/1990"
# The question page measured: the baby's page (a group of six fields), 6th of the form.
QUESTION = "tre"
CHILD = {
    "ho_ten": "Lò Văn An",
    "gioi_tinh": "nam",
    "ngay_sinh": "01/02/2026",
    "noi_sinh": "co_so_y_te",
    "ten_noi_sinh": "Trạm y tế xã Bát Xát",
    "dan_toc": "Giáy",
}


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- the server -----------------------------------------------------------------------------


def server_env(workdir: Path, database_url: str | None, redis_url: str | None) -> dict[str, str]:
    env = sandbox_env(workdir, MOTCUA_BENCH_HELLO="1")
    if database_url:
        env["DATABASE_URL"] = database_url
    if redis_url:  # production's shape: cache, sessions and queue on Redis
        env.update(REDIS_URL=redis_url, HUEY_NAME=REDIS_QUEUE)
    return env


def redis_clear(redis_url: str) -> None:
    """Delete what the benchmark left on Redis (its cache prefix and its queue)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    for pattern in ("motcua:*", f"huey.*.{REDIS_QUEUE}"):
        keys = list(client.scan_iter(match=pattern, count=1000))
        if keys:
            client.delete(*keys)


def postgres_url(server: str, name: str) -> str:
    return f"{server.rstrip('/')}/{name}"


def recreate_postgres(server: str, name: str) -> None:
    """A throwaway database `name` on the PostgreSQL server at `server` (postgres://…)."""
    import psycopg

    with psycopg.connect(postgres_url(server, "postgres"), autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{name}"')


def drop_postgres(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(postgres_url(server, "postgres"), autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare(workdir: Path, env: dict[str, str], *, fresh: bool, static: bool) -> None:
    def manage(*args: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)
        return time.perf_counter() - start

    if not fresh:
        print(f"reusing the database in {workdir}")
    else:
        took = manage("migrate", "--no-input", "--verbosity", "0")
        took += manage("load_demo", "--verbosity", "0")
        print(f"demo database built in {took:.0f} s (migrate + load_demo)")
    if static:
        took = manage("collectstatic", "--no-input", "--verbosity", "0")
        print(f"static files collected and compressed in {took:.0f} s in {workdir}")


def sign_in_code(workdir: Path, database_url: str | None, phone: str) -> str:
    """The code of the latest sign-in SMS to `phone`, from the outbox (no worker runs)."""
    if not database_url:
        return outbox_sign_in_code(workdir, phone)
    import psycopg

    with psycopg.connect(database_url) as db:
        row = db.execute(
            "SELECT context FROM notifications_notification WHERE template = 'otp' "
            "AND recipient_phone = %s ORDER BY id DESC LIMIT 1",
            ("84" + phone.lstrip("0"),),
        ).fetchone()
    if row is None:
        raise LookupError(f"no sign-in code for {phone} in the outbox")
    context = row[0]
    return (context if isinstance(context, dict) else json.loads(context))["code"]


@dataclass
class Server:
    workdir: Path
    env: dict[str, str]
    database_url: str | None
    workers: int
    threads: int
    process: subprocess.Popen | None = None
    port: int = 0

    def start(self) -> None:
        log = self.workdir / "gunicorn.log"
        log.write_text("")
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "motcua.wsgi:application",
                "--bind",
                "127.0.0.1:0",  # a free port, read back from the log
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
        while not self.port:
            found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", log.read_text())
            if found:
                self.port = int(found.group(1))
            elif self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.05)
        booted = 0
        while booted < self.workers:  # every worker has loaded Django
            booted = log.read_text().count("Booting worker")
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.05)
        while True:
            try:
                if HttpBrowser(self.port).get(HELLO).status == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn does not answer")
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


# --- 1. weight of each page -----------------------------------------------------------------


class AssetParser(HTMLParser):
    """What a browser fetches to show the page: stylesheets, scripts, images, icons."""

    def __init__(self) -> None:
        super().__init__()
        self.assets: list[tuple[str, str]] = []  # (kind, url)
        self.has_icon = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "link" and a.get("href"):
            rel = a.get("rel", "").lower().split()
            if "stylesheet" in rel:
                self.assets.append(("css", a["href"]))
            elif "icon" in rel or "apple-touch-icon" in rel:
                self.has_icon = True
                self.assets.append(("img", a["href"]))
            elif "modulepreload" in rel or ("preload" in rel and a.get("as") == "script"):
                self.assets.append(("js", a["href"]))
            elif "preload" in rel or "manifest" in rel:
                self.assets.append(("other", a["href"]))
        elif tag == "script" and a.get("src"):
            self.assets.append(("js", a["src"]))
        elif tag in ("img", "source", "input") and a.get("src"):
            self.assets.append(("img", a["src"]))


CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")


@dataclass
class Weight:
    label: str
    path: str
    status: int
    encoding: str
    html: int
    html_gzip: int  # what the HTML would weigh gzipped, for comparison
    by_kind: dict[str, int]
    missing: list[str]

    @property
    def total(self) -> int:
        return self.html + sum(self.by_kind.values())


def weigh(browser: HttpBrowser, label: str, page: Fetched, path: str) -> Weight:
    """`page` is the HTML response just received; fetch what it references, cold."""
    parser = AssetParser()
    text = page.text
    parser.feed(text)
    wanted = list(dict.fromkeys((kind, urljoin(path, url)) for kind, url in parser.assets))
    if not parser.has_icon:
        wanted.append(("other", "/favicon.ico"))  # every browser asks for it
    by_kind = {"css": 0, "js": 0, "img": 0, "other": 0}
    missing, seen = [], set()
    while wanted:
        kind, url = wanted.pop(0)
        parts = urlsplit(url)
        if parts.scheme == "data":
            continue  # inline (the empty icon): no request, its bytes are in the HTML
        if parts.netloc and parts.netloc != f"127.0.0.1:{browser.port}":
            missing.append(f"{url} (other site, not counted)")
            continue
        local = parts.path + (f"?{parts.query}" if parts.query else "")
        if local in seen:
            continue
        seen.add(local)
        fetched = browser.get(local)
        by_kind[kind] += fetched.wire
        if fetched.status != 200 and not local.endswith("favicon.ico"):
            missing.append(f"{local} ({fetched.status})")
        if kind == "css" and fetched.status == 200:
            for match in CSS_URL.finditer(fetched.text):
                ref = match.group(1) or match.group(2)
                if not ref.startswith("data:"):
                    wanted.append(("css" if match.group(2) else "other", urljoin(local, ref)))
    return Weight(
        label=label,
        path=path,
        status=page.status,
        encoding=page.headers.get("Content-Encoding", "identity"),
        html=page.wire,
        html_gzip=len(gzip.compress(text.encode(), 6)),
        by_kind=by_kind,
        missing=missing,
    )


def jpeg() -> bytes:
    import io

    from PIL import Image  # Pillow comes with WeasyPrint

    out = io.BytesIO()
    Image.new("RGB", (1200, 900), "white").save(out, "JPEG", quality=80)
    return out.getvalue()


def person(name: str) -> dict[str, str]:
    return {
        "full_name": name,
        "birth_date": BIRTH,
        "sex": "nu",
        "ethnicity": "Kinh",
        "nationality": "Việt Nam",
    }


def expect(response: Fetched, status: int, what: str) -> Fetched:
    if response.status != status:
        raise RuntimeError(
            f"{what}: HTTP {response.status}, expected {status}\n{response.text[:2000]}"
        )
    return response


def citizen_journey(server: Server, accept_encoding: str) -> tuple[list[Weight], HttpBrowser]:
    """Walk the portal as a citizen; weigh each page; return the signed-in browser."""
    b = HttpBrowser(server.port, accept_encoding)
    weights: list[Weight] = []

    def page(label: str, path: str) -> Fetched:
        fetched = expect(b.get(path), 200, label)
        weights.append(weigh(HttpBrowser(server.port, accept_encoding), label, fetched, path))
        return fetched

    page("home", "/")
    page("search results: khai sinh", "/tim-kiem/?q=khai+sinh")
    page("procedure page", f"/thu-tuc/{CODE}/")
    sign_in = page("sign-in (phone number)", f"/dang-nhap/?{urlencode({'next': BASE})}")
    expect(b.post("/dang-nhap/", sign_in, {"phone": PHONE, "next": BASE}), 302, "phone")
    code_page = page("sign-in (code)", "/dang-nhap/ma/")
    code = sign_in_code(server.workdir, server.database_url, PHONE)
    expect(b.post("/dang-nhap/ma/", code_page, {"code": code}), 302, "code")
    start = page("start of the form", BASE)
    draft_url = expect(b.post(BASE, start, {}), 302, "start").location
    draft = draft_url.rstrip("/").rsplit("/", 1)[0] + "/"

    def answer(page_id: str, data: dict[str, str], label: str = "") -> None:
        url = f"{draft}{page_id}/"
        form = page(label, url) if label else expect(b.get(url), 200, page_id)
        expect(b.post(url, form, {**data, "action": "continue"}), 302, page_id)

    answer("nguoi_khai", person("Lò Thị Mai"), "first question page")
    answer("cccd_nguoi_khai", {"value": "010190000123"})
    # The phone page is skipped: the citizen signed in with that number.
    address = expect(b.get(f"{draft}noi_o/"), 200, "address")
    commune = re.search(r'<option value="(\d+)"', address.text).group(1)
    answer("noi_o", {"commune": commune, "street": "Thôn Làng Mới"})
    answer("quan_he", {"value": "me"})
    answer(QUESTION, CHILD, "the baby (6th question)")
    answer("cha_me", {"co_cha": "khong"})  # the mother declares: her ID is already known
    upload_url = f"{draft}giay_chung_sinh/"
    upload_page = page("upload page", upload_url)
    expect(b.upload(upload_url, upload_page, "giay.jpg", jpeg()), 302, "upload")
    form = expect(b.get(upload_url), 200, "upload page with its photo")
    expect(b.post(upload_url, form, {"action": "continue"}), 302, "upload")
    answer("nhan_ket_qua", {"how": "desk"})
    check_url = f"{draft}kiem-tra/"
    check = page("check answers", check_url)
    key = re.search(r'name="key" value="([^"]+)"', check.text).group(1)
    done_url = expect(b.post(check_url, check, {"key": key}), 302, "submit").location
    done = page("confirmation", done_url)
    dossier = re.search(r"/tra-cuu/\?ma=([A-Z0-9.\-]+)", done.text).group(1)
    track = page("tracking (form)", f"/tra-cuu/?{urlencode({'ma': dossier})}")
    result = expect(
        b.post("/tra-cuu/", track, {"code": dossier, "phone_last4": PHONE[-4:]}), 200, "tracking"
    )
    if dossier not in result.text:
        raise RuntimeError(f"the tracking page does not show {dossier}")
    weights.append(
        weigh(HttpBrowser(server.port, accept_encoding), "tracking (result)", result, "/tra-cuu/")
    )
    return weights, b


def print_weights(weights: list[Weight], accept_encoding: str) -> None:
    print()
    print(f"weight of a cold first load (Accept-Encoding: {accept_encoding}), bytes:")
    print(
        f"  {'page':<28} {'html':>7} {'(gzip)':>8} {'css':>6} {'js':>6} {'img':>6} "
        f"{'other':>6} {'total':>7}  budget 150 KB / JS 75 KB"
    )
    for w in weights:
        k = w.by_kind
        verdict = "OK" if w.total <= BUDGET_TOTAL and k["js"] <= BUDGET_JS else "OVER"
        print(
            f"  {w.label:<28} {w.html:>7} {w.html_gzip:>8} {k['css']:>6} {k['js']:>6} "
            f"{k['img']:>6} {k['other']:>6} {w.total:>7}  {verdict}"
            f" ({w.total / BUDGET_TOTAL:.0%}, JS {k['js'] / BUDGET_JS:.0%})"
        )
        for problem in w.missing:
            print(f"      not loaded: {problem}")
    encodings = sorted({w.encoding for w in weights})
    print(
        f"  HTML served as: {', '.join(encodings)}; (gzip) = the same HTML gzipped, for "
        "comparison; other = /favicon.ico (no icon declared) and url() in the CSS"
    )


# --- 2. requests per second ---------------------------------------------------------------


@dataclass
class Target:
    label: str
    method: str
    paths: list[str]  # one per client (the POST writes the client's own draft)
    cookies: dict[str, str] = field(default_factory=dict)
    body: list[bytes] = field(default_factory=list)
    expect: int = 200


@dataclass
class Result:
    label: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def load(port: int, target: Target, concurrency: int, seconds: float) -> Result:
    headers = {"Host": f"127.0.0.1:{port}", "Accept-Encoding": "gzip"}
    if target.cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in target.cookies.items())
    if target.method == "POST":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    go = threading.Barrier(concurrency + 1)
    stop_at = [0.0]

    def client(n: int) -> None:
        path = target.paths[n % len(target.paths)]
        body = target.body[n % len(target.body)] if target.body else None
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = latencies[n]
        go.wait()
        while True:
            begin = time.perf_counter()
            if begin >= stop_at[0]:
                break
            try:
                connection.request(target.method, path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                ok = response.status == target.expect
                if response.will_close:
                    connection.close()
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
            if ok:
                mine.append(time.perf_counter() - begin)
            else:
                errors[n] += 1
        connection.close()

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    start = time.perf_counter()
    stop_at[0] = start + seconds
    go.wait()
    for thread in threads:
        thread.join()
    took = time.perf_counter() - start
    samples = [s for mine in latencies for s in mine]
    return Result(target.label, len(samples), sum(errors), took, samples)


def throughput(
    server: Server, citizen: HttpBrowser, args: argparse.Namespace, database: str
) -> dict[str, float]:
    """Measures each target; returns its ratio to hello."""
    # One draft per client, all of the signed-in citizen, each at its 6th question (the baby).
    post_paths, bodies = [], []
    for _ in range(args.concurrency):
        start = expect(citizen.get(BASE), 200, "start")
        draft = expect(citizen.post(BASE, start, {}), 302, "new draft").location
        url = draft.rstrip("/").rsplit("/", 1)[0] + f"/{QUESTION}/"
        form = expect(citizen.get(url), 200, "question page")
        post_paths.append(url)
        bodies.append(
            urlencode({"csrfmiddlewaretoken": form.csrf(), **CHILD, "action": "continue"}).encode()
        )
    targets = [
        Target("hello (same app, no view work)", "GET", [HELLO]),
        Target("procedure page", "GET", [f"/thu-tuc/{CODE}/"]),
        Target("question page (GET, signed in)", "GET", post_paths, dict(citizen.cookies)),
        Target(
            "answer sent (POST, signed in)",
            "POST",
            post_paths,
            dict(citizen.cookies),
            bodies,
            expect=302,
        ),
    ]
    warm = min(2.0, args.duration / 4)
    print()
    print(
        f"requests per second on {database}: gunicorn gthread, {args.workers} workers x "
        f"{args.threads} "
        f"threads; {args.concurrency} keep-alive clients; {args.duration:g} s each "
        f"({args.rounds} interleaved rounds) after {warm:g} s of warm-up"
    )
    for target in targets:
        load(server.port, target, args.concurrency, warm)
    # Interleaved rounds: a change of the machine's load over the run hits every URL alike.
    results = {target.label: Result(target.label, 0, 0, 0.0, []) for target in targets}
    for _ in range(args.rounds):
        for target in targets:
            part = load(server.port, target, args.concurrency, args.duration / args.rounds)
            total = results[target.label]
            total.requests += part.requests
            total.errors += part.errors
            total.seconds += part.seconds
            total.latencies += part.latencies
    print(f"  {'':<34} {'req/s':>8} {'vs hello':>9} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7}")
    hello = None
    ratios = {}
    for result in results.values():
        if not result.requests:
            raise RuntimeError(f"{result.label}: no request succeeded")
        hello = hello or result.rate
        ratios[result.label] = result.rate / hello
        print(
            f"  {result.label:<34} {result.rate:8.1f} {result.rate / hello:8.3f}x "
            f"{statistics.median(result.latencies) * 1000:8.1f} "
            f"{percentile(result.latencies, 0.95) * 1000:8.1f} {result.errors:7d}"
        )
    return ratios


# --- main -----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds per measured URL")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument(
        "--rounds", type=int, default=3, help="interleaved rounds the duration is split into"
    )
    parser.add_argument(
        "--workdir", type=Path, help="keep the database and static files here; reused next time"
    )
    parser.add_argument(
        "--accept-encoding",
        default="gzip, deflate",
        help="as the browser sends it (Chrome on plain HTTP: 'gzip, deflate'; "
        "brotli is only offered over HTTPS and is not decoded here)",
    )
    parser.add_argument(
        "--databases",
        default="sqlite",
        help="comma-separated, run one after the other: sqlite (a file in the workdir), "
        "postgres (a throwaway database on --postgres, created and dropped)",
    )
    parser.add_argument(
        "--postgres",
        default="postgres://postgres@127.0.0.1:5432",
        help="the PostgreSQL server for --databases postgres (no database name)",
    )
    parser.add_argument(
        "--postgres-name", default="bench_portal", help="the throwaway database's name"
    )
    parser.add_argument(
        "--redis",
        help="run as production does, with REDIS_URL (cache, sessions, queue) set to this "
        "Redis database, e.g. redis://127.0.0.1:6379/14; its motcua keys are deleted",
    )
    args = parser.parse_args()
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    if not databases or set(databases) - {"sqlite", "postgres"}:
        parser.error("--databases: sqlite, postgres or both")

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="motcua-bench-portal-"))
    workdir.mkdir(parents=True, exist_ok=True)
    workdir = workdir.resolve()
    # A SIGTERM to the bench still stops gunicorn (through the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    summary: dict[str, dict[str, float]] = {}
    try:
        for number, database in enumerate(databases):
            print(f"\n=== {database} ===")
            url = None
            if database == "postgres":
                url = postgres_url(args.postgres, args.postgres_name)
            if url:
                recreate_postgres(args.postgres, args.postgres_name)
            env = server_env(workdir, url, args.redis)
            if args.redis:
                redis_clear(args.redis)
            server = Server(workdir, env, url, args.workers, args.threads)
            try:
                fresh = bool(url) or not (workdir / "motcua.sqlite3").exists()
                prepare(workdir, env, fresh=fresh, static=number == 0)
                server.start()
                print(f"gunicorn on 127.0.0.1:{server.port} (pid {server.process.pid})")
                weights, citizen = citizen_journey(server, args.accept_encoding)
                if number == 0:  # the same bytes whatever the database
                    print_weights(weights, args.accept_encoding)
                summary[database] = throughput(server, citizen, args, database)
            finally:
                server.stop()
                if args.redis:
                    redis_clear(args.redis)
                if url:
                    drop_postgres(args.postgres, args.postgres_name)
        if len(summary) > 1:
            print("\nratio to hello, side by side:")
            print(f"  {'':<34}" + "".join(f" {d:>9}" for d in summary))
            for label in next(iter(summary.values())):
                print(f"  {label:<34}" + "".join(f" {r[label]:8.3f}x" for r in summary.values()))
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
