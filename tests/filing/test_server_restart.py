"""Stopping the server between two steps loses none of the answers already given.

A real gunicorn serves the app from a temporary SQLite file; a citizen signs in through
the real pages (the one-time code read from the outbox row in that file), answers the
first questions of "Đăng ký khai sinh", and the server is stopped right after a POST:
once with SIGTERM (graceful), once with SIGKILL of the whole process group (no shutdown
at all, the WAL left behind). Each time a new gunicorn starts on the same file with the
same SECRET_KEY; the citizen's session cookie still works, the draft resumes where it
was, every answer is shown again, and the journey goes on to a submitted dossier.

The test always runs on its own SQLite file, whatever DATABASE_URL the suite runs with
(CI also runs the suite on PostgreSQL): the server's environment is built from scratch.
"""

from __future__ import annotations

import html
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest

from motcua.demo.sandbox import Fetched, HttpBrowser, outbox_sign_in_code, sandbox_env

from .birth import DELIVERY, child, person
from .conftest import BIRTH, ID_NUMBER, jpeg_bytes

pytestmark = pytest.mark.live_server

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CODE = "1.001193"
BASE = f"/nop-ho-so/{CODE}/"
PHONE = "0912345678"
CHILD = "Lò Văn An"
STREET = "Thôn Làng Mới"

# What the server's environment must not inherit from the test run (the suite's own
# database, a Redis queue, real gateways...).


# --- a real server on a SQLite file ---------------------------------------------------------


@dataclass
class Site:
    """A throwaway motcua: a SQLite file with the demo loaded, its var/ directory, its key."""

    workdir: Path
    env: dict[str, str]
    port: int = 0
    process: subprocess.Popen | None = None
    starts: int = 0

    @property
    def database(self) -> Path:
        return self.workdir / "motcua.sqlite3"

    def start(self) -> None:
        assert self.process is None
        self.starts += 1
        log = self.workdir / f"gunicorn-{self.starts}.log"
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "motcua.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",  # 0 the first time: the kernel picks
                "--worker-class",
                "gthread",
                "--workers",
                "1",
                "--threads",
                "2",
                "--graceful-timeout",
                "10",
                "--error-logfile",
                str(log),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, for the SIGKILL below
        )
        deadline = time.monotonic() + 20
        while not self.port:
            listening = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", _read(log))
            if listening:
                self.port = int(listening.group(1))
                break
            self._check_alive(log, deadline)
            time.sleep(0.05)
        while True:  # the port is bound before the worker has loaded Django
            try:
                if HttpBrowser(self.port).get("/tra-cuu/").status == 200:
                    return
            except OSError:
                pass
            self._check_alive(log, deadline)
            time.sleep(0.05)

    def _check_alive(self, log: Path, deadline: float) -> None:
        assert self.process is not None
        if self.process.poll() is not None or time.monotonic() > deadline:
            self.kill()
            pytest.fail(f"gunicorn did not start:\n{_read(log)[-3000:]}")

    def terminate(self) -> int:
        """SIGTERM: gunicorn finishes the requests in flight and exits."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=15)
        self.process = None
        return code

    def kill(self) -> None:
        """SIGKILL to the master and its workers at once: nothing gets to clean up."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=15)
        self.process = None

    # Straight from the SQLite file, as an operator would look.
    def query(self, sql: str, *params: object) -> list[tuple]:
        with sqlite3.connect(self.database) as db:
            return db.execute(sql, params).fetchall()

    def sign_in_code(self, phone: str) -> str:
        return outbox_sign_in_code(self.workdir, phone)

    def draft_answers(self, draft_id: int) -> dict:
        rows = self.query("SELECT answers FROM dossiers_draft WHERE id = ?", draft_id)
        return json.loads(rows[0][0])


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def _server_env(workdir: Path) -> dict[str, str]:
    return sandbox_env(
        workdir,
        SECRET_KEY=uuid.uuid4().hex * 2,  # the same for every server of this site
        # Plain static storage: pages render without a collectstatic (30 s) first.
        STATICFILES_STORAGE="django.contrib.staticfiles.storage.StaticFilesStorage",
        PYTHONDONTWRITEBYTECODE="1",
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    workdir = tmp_path_factory.mktemp("restart")
    env = _server_env(workdir)
    # The demo data with the test settings' fast password hasher (the demo officials'
    # passwords cost 7 s of PBKDF2 otherwise): about 5 s for migrate + load_demo.
    loader = (
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('migrate', verbosity=0); "
        "call_command('load_demo', verbosity=0, history_days=0)"
    )
    subprocess.run(
        [sys.executable, "-c", loader],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "motcua.test_settings"},
        check=True,
        timeout=120,
    )
    site = Site(workdir=workdir, env=env)
    yield site
    site.kill()


# --- the journey ----------------------------------------------------------------------------


def answer(browser: HttpBrowser, url: str, data: dict[str, str]) -> Fetched:
    """Open a question page, send the answer; returns the POST's response (not followed)."""
    page = browser.get(url)
    assert page.status == 200, (url, page.status, page.location)
    response = browser.post(url, page, {**data, "action": "continue"})
    assert response.status == 302, (url, response.status, response.text[:3000])
    return response


def resume_link(browser: HttpBrowser, draft_id: int) -> str:
    """Where "continue" leads for this draft on the procedure's start page."""
    start = browser.get(BASE)
    assert start.status == 200
    links = re.findall(rf'href="({re.escape(BASE)}{draft_id}/[^"/]+/)"', start.text)
    assert links, "the start page offers no way back into the draft"
    return html.unescape(links[0])


def page_id(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def test_answers_survive_sigterm_and_sigkill_between_steps(site):
    site.start()
    browser = HttpBrowser(site.port, cookies={"django_language": "en"})

    # Sign in through the real pages; the code comes from the outbox in the file.
    phone_page = browser.get(f"/dang-nhap/?{urlencode({'next': BASE})}")
    assert phone_page.status == 200
    sent = browser.post("/dang-nhap/", phone_page, {"phone": PHONE, "next": BASE})
    assert sent.status == 302 and sent.location == "/dang-nhap/ma/", sent.text[:2000]
    code_page = browser.get("/dang-nhap/ma/")
    signed_in = browser.post("/dang-nhap/ma/", code_page, {"code": site.sign_in_code(PHONE)})
    assert signed_in.status == 302 and signed_in.location == BASE, signed_in.text[:2000]

    start_page = browser.get(BASE)
    started = browser.post(BASE, start_page, {})
    assert started.status == 302 and started.location.endswith("/nguoi_khai/"), started.location
    draft_id = int(started.location.split("/")[3])
    url = f"{BASE}{draft_id}/{{}}/".format

    answer(browser, url("nguoi_khai"), person("Lò Thị Mai"))
    sent = answer(browser, url("cccd_nguoi_khai"), {"value": ID_NUMBER})
    # The phone the sign-in code went to is known: the form does not ask it (a change of
    # design; it used to be asked), the next question is the address.
    assert sent.location == url("noi_o")
    address_page = browser.get(url("noi_o"))
    assert "Step 3 of 8" in address_page.text
    commune = re.search(r'<option value="(\d+)"', address_page.text).group(1)
    sent = answer(browser, url("noi_o"), {"commune": commune, "street": STREET})
    assert sent.location == url("quan_he")

    # 1. SIGTERM right after the POST, before the browser follows the redirect.
    assert site.terminate() == 0
    answers = site.draft_answers(draft_id)
    assert answers["cccd_nguoi_khai"] == ID_NUMBER and answers["noi_o"]["street"] == STREET
    assert answers["dien_thoai"] == PHONE and answers["_known"] == ["dien_thoai"]
    site.start()

    # The same session cookie still works; the redirect the browser was following leads
    # to the next question, and "continue" on the start page now leads there too.
    page = browser.get(sent.location)
    assert page.status == 200, (page.status, page.location)
    assert "Step 4 of 8" in page.text  # 9 steps, less the phone, known
    assert resume_link(browser, draft_id) == url("quan_he")
    # Every answer given before the stop is shown again.
    first = browser.get(url("nguoi_khai")).text
    assert 'value="Lò Thị Mai"' in first and f'value="{BIRTH}"' in first
    assert f'value="{ID_NUMBER}"' in browser.get(url("cccd_nguoi_khai")).text
    address = browser.get(url("noi_o")).text
    assert f'<option value="{commune}" selected>' in address and f'value="{STREET}"' in address

    answer(browser, url("quan_he"), {"value": "me"})
    sent = answer(browser, url("tre"), child(ho_ten=CHILD))
    assert sent.location == url("cha_me")

    # 2. SIGKILL of master and worker right after the POST: no graceful anything, the
    # SQLite write-ahead log is left as it was.
    site.kill()
    assert site.draft_answers(draft_id)["tre"]["ho_ten"] == CHILD
    site.start()

    # "Continue" leads to the question just answered (shown filled in) or to the next
    # one: never to an earlier page, never past an unanswered one.
    resumed = resume_link(browser, draft_id)
    assert page_id(resumed) in {"tre", "cha_me"}, resumed
    baby = browser.get(url("tre")).text
    assert f'value="{CHILD}"' in baby and 'value="01/02/2026"' in baby
    assert re.search(r'value="me"[^>]*checked', browser.get(url("quan_he")).text)
    address = browser.get(url("noi_o")).text
    assert f'<option value="{commune}" selected>' in address and f'value="{STREET}"' in address
    assert 'value="Lò Thị Mai"' in browser.get(url("nguoi_khai")).text
    # The phone page is not asked, but can still be opened (from the check page).
    assert f'value="{PHONE}"' in browser.get(url("dien_thoai")).text

    # The journey goes on to the end from the page the browser was sent to.
    page = browser.get(sent.location)
    assert page.status == 200 and "Step 6 of 8" in page.text
    sent = answer(browser, url("cha_me"), {"co_cha": "khong"})
    assert sent.location == url("giay_chung_sinh")
    upload_page = browser.get(url("giay_chung_sinh"))
    uploaded = browser.upload(url("giay_chung_sinh"), upload_page, "giay.jpg", jpeg_bytes())
    assert uploaded.status == 302, uploaded.text[:3000]
    sent = browser.post(
        url("giay_chung_sinh"), browser.get(url("giay_chung_sinh")), {"action": "continue"}
    )
    assert sent.location == url(DELIVERY[0])
    sent = answer(browser, url(DELIVERY[0]), DELIVERY[1])
    assert sent.location == f"{BASE}{draft_id}/kiem-tra/"

    check = browser.get(sent.location)
    assert check.status == 200
    for given in ("Lò Thị Mai", ID_NUMBER, PHONE, STREET, CHILD, "1 February 2026"):
        assert given in check.text, given
    key = re.search(r'name="key" value="([^"]+)"', check.text).group(1)
    submitted = browser.post(sent.location, check, {"key": key})
    assert submitted.location == f"{BASE}{draft_id}/da-nop/", submitted.text[:3000]
    done = browser.get(submitted.location)
    assert done.status == 200

    dossier_code, applicant, phone, form_data = site.query(
        "SELECT code, applicant_name, applicant_phone, form_data FROM dossiers_dossier"
    )[0]
    assert dossier_code in done.text and applicant == "Lò Thị Mai" and phone == PHONE
    given = json.loads(form_data)["answers"]
    assert given["cccd_nguoi_khai"] == ID_NUMBER and given["tre"]["ho_ten"] == CHILD
    assert given["noi_o"]["street"] == STREET
    assert site.terminate() == 0


def test_bench_hello_view_is_off_unless_asked_for():
    from django.urls import Resolver404, resolve

    with pytest.raises(Resolver404):
        resolve("/_bench/hello/")
