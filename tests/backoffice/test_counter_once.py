"""One-use form keys in the back office (motcua.core.once): five officers' clicks on
"Receive the dossier" at once make one dossier; a repeated action makes one event; a key
is refused to another user, and given back when the view fails."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client
from PIL import Image

from motcua.backoffice import views as backoffice_views
from motcua.catalog.selectors import procedure_get_current
from motcua.core.models import FormKey
from motcua.demo.officials import demo_officials_load
from motcua.demo.sandbox import HttpBrowser, sandbox_env
from motcua.dossiers.models import Dossier, DossierEvent
from motcua.organizations.models import AdministrativeUnit
from tests.officials import official_login

BIRTH = "1.001193"
COUNTER = f"/mot-cua/tiep-nhan/{BIRTH}/"
ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ID_NUMBER = "010195004321"
KEY = re.compile(r'name="_once" value="([A-Za-z0-9_-]{32})"')


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 200, 190)).save(buffer, format="JPEG")
    return buffer.getvalue()


def filled_form(paper_ids: list[int], unit_id: int) -> dict[str, str]:
    """The counter form filled in as an officer would, every paper handed in."""
    data = {
        "name": "Sùng Thị Dua",
        "id_number": ID_NUMBER,
        "birth_date": "1995-03-02",
        "phone": "0987 654 321",
        "email": "",
        "address": "Thôn Tòng Sành",
        "unit": str(unit_id),
        "result_delivery": "desk",
    }
    for pk in paper_ids:
        data[f"paper-{pk}-received"] = "on"
        data[f"paper-{pk}-form"] = "original"
        data[f"paper-{pk}-count"] = "1"
    return data


def counter_fields() -> tuple[dict[str, str], list]:
    papers = list(procedure_get_current(code=BIRTH).papers.all())
    unit = AdministrativeUnit.objects.get(name="Xã Bát Xát", valid_to__isnull=True)
    return filled_form([p.pk for p in papers], unit.pk), papers


def multipart(fields: dict[str, str], files: dict[str, bytes]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    for name, content in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            'filename="to-khai.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), (
        f"multipart/form-data; boundary={boundary}"
    )


# --- five at once, over real HTTP ---------------------------------------------------------
# Five identical POSTs of one filled counter form (one key) sent at the same moment, each
# on its own connection, as five clicks or five retries would be. Twice: against a real
# gunicorn (two worker processes of three threads) on a SQLite file of its own, as
# production runs on SQLite, whatever database the suite uses; and through live_server
# on the suite's database when that is not SQLite in memory (CI's PostgreSQL run): for
# an in-memory SQLite, Django hands every live_server thread the test's one connection,
# whose transactions then interleave, so that run would test nothing real.


def send_five_at_once(
    port: int, path: str, cookies: dict[str, str], body: bytes, content_type: str
) -> list[tuple[int, str]]:
    start = threading.Barrier(5)
    answers: list[tuple[int, str]] = []

    def send() -> None:
        browser = HttpBrowser(port=port, accept_encoding="identity", cookies=dict(cookies))
        start.wait()
        answer = browser.request("POST", path, body, content_type)
        answers.append((answer.status, answer.location))

    threads = [threading.Thread(target=send) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def counter_post(desk: HttpBrowser, fields: dict[str, str], scan_field: str):
    """The counter form as the officer's browser sends it: GET for the key and the CSRF
    token, then one multipart body to be sent five times."""
    page = desk.get(COUNTER)
    assert page.status == 200, page.text[:500]
    keys = KEY.findall(page.text)
    # The reception form only: the walk-in slip form next to it prints, records nothing.
    assert len(keys) == 1
    body, content_type = multipart(
        {**fields, "csrfmiddlewaretoken": page.csrf(), "_once": keys[0]}, {scan_field: jpeg()}
    )
    return keys[0], body, content_type


@dataclass
class Gunicorn:
    workdir: Path
    env: dict[str, str]
    process: subprocess.Popen | None = None
    port: int = 0

    def run(self, code: str) -> str:
        """Python with Django set up on this site's database (the test settings' fast
        password hasher); returns what it prints."""
        done = subprocess.run(
            [sys.executable, "-c", f"import django; django.setup()\n{code}"],
            cwd=ROOT,
            env={**self.env, "DJANGO_SETTINGS_MODULE": "motcua.test_settings"},
            check=True,
            timeout=180,
            capture_output=True,
            text=True,
        )
        return done.stdout.strip()

    def start(self) -> None:
        log = self.workdir / "gunicorn.log"
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "motcua.wsgi:application",
                "--bind",
                "127.0.0.1:0",
                "--worker-class",
                "gthread",
                "--workers",
                "2",
                "--threads",
                "3",
                "--error-logfile",
                str(log),
            ],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while True:
            text = log.read_text(errors="replace") if log.exists() else ""
            listening = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", text)
            booted = len(re.findall(r"Booting worker", text)) == 2
            if listening and booted:
                self.port = int(listening.group(1))
                try:
                    if HttpBrowser(self.port).get("/tra-cuu/").status == 200:
                        return
                except OSError:
                    pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"gunicorn did not start:\n{text[-3000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
            self.process = None

    def query(self, sql: str, *params: object) -> list[tuple]:
        with contextlib.closing(sqlite3.connect(self.workdir / "motcua.sqlite3")) as db:
            return db.execute(sql, params).fetchall()


@pytest.fixture
def gunicorn(tmp_path) -> Iterator[Gunicorn]:
    env = sandbox_env(
        tmp_path,
        SECRET_KEY=uuid.uuid4().hex * 2,
        STATICFILES_STORAGE="django.contrib.staticfiles.storage.StaticFilesStorage",
        PYTHONDONTWRITEBYTECODE="1",
    )
    server = Gunicorn(workdir=tmp_path, env=env)
    server.run(
        "from django.core.management import call_command\n"
        "call_command('migrate', verbosity=0)\n"
        "call_command('load_demo', verbosity=0, history_days=0)"
    )
    server.start()
    yield server
    server.stop()


# The officer's session, made in the site's database as a sign-in would make it.
SESSION = """
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from tests.officials import official_login  # with the second factor, as the desk requires
client = Client()
official_login(client, get_user_model().objects.get(username="batxat.tiepnhan"))
print(client.cookies[settings.SESSION_COOKIE_NAME].value)
"""

# The filled form, with the primary keys of the site's database.
FIELDS = """
import json
from motcua.catalog.selectors import procedure_get_current
from motcua.organizations.models import AdministrativeUnit
papers = list(procedure_get_current(code="1.001193").papers.all())
unit = AdministrativeUnit.objects.get(name="Xã Bát Xát", valid_to__isnull=True)
print(json.dumps({"papers": [p.pk for p in papers], "unit": unit.pk}))
"""


@pytest.mark.live_server
def test_five_parallel_counter_receptions_make_one_dossier(gunicorn):
    session = gunicorn.run(SESSION).splitlines()[-1]
    ids = json.loads(gunicorn.run(FIELDS).splitlines()[-1])
    fields = filled_form(ids["papers"], ids["unit"])
    desk = HttpBrowser(
        port=gunicorn.port,
        accept_encoding="identity",
        cookies={django_settings.SESSION_COOKIE_NAME: session},
    )
    key, body, content_type = counter_post(desk, fields, f"paper-{ids['papers'][0]}-file")
    answers = send_five_at_once(gunicorn.port, COUNTER, desk.cookies, body, content_type)

    codes = gunicorn.query(
        "SELECT code FROM dossiers_dossier WHERE applicant_id_number = ?", ID_NUMBER
    )
    assert len(codes) == 1
    assert answers == [(302, f"/mot-cua/ho-so/{codes[0][0]}/")] * 5
    assert gunicorn.query("SELECT finished, path FROM core_formkey WHERE key = ?", key) == [
        (1, COUNTER)
    ]


@pytest.fixture
def site(transactional_db, live_server):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip(
            "live_server shares one connection between its threads on SQLite in "
            "memory; the gunicorn test above covers SQLite"
        )
    call_command("load_demo", verbosity=0, history_days=0)
    demo_officials_load()
    return live_server


def test_five_parallel_counter_receptions_make_one_dossier_live(site, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    officer = get_user_model().objects.get(username="batxat.tiepnhan")
    client = Client()
    official_login(client, officer)
    port = int(site.url.rsplit(":", 1)[1])
    desk = HttpBrowser(
        port=port,
        accept_encoding="identity",
        cookies={settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value},
    )
    papers = [p.pk for p in procedure_get_current(code=BIRTH).papers.all()]
    unit = AdministrativeUnit.objects.get(name="Xã Bát Xát", valid_to__isnull=True)
    key, body, content_type = counter_post(
        desk, filled_form(papers, unit.pk), f"paper-{papers[0]}-file"
    )
    answers = send_five_at_once(port, COUNTER, desk.cookies, body, content_type)

    dossiers = list(Dossier.objects.filter(applicant_id_number=ID_NUMBER))
    assert len(dossiers) == 1
    assert answers == [(302, f"/mot-cua/ho-so/{dossiers[0].code}/")] * 5
    assert dossiers[0].papers.count() == len(papers)
    row = FormKey.objects.get(pk=key)
    assert row.finished and row.user_id == officer.pk and row.path == COUNTER


# --- one request after another, with the Django client ------------------------------------


def test_the_counter_form_carries_a_new_key_each_time(login):
    client = login("batxat.tiepnhan")
    first = KEY.findall(client.get(f"/mot-cua/tiep-nhan/{BIRTH}/").content.decode())
    second = KEY.findall(client.get(f"/mot-cua/tiep-nhan/{BIRTH}/").content.decode())
    assert len(first) == len(second) == 1 and first != second


def test_a_repeated_action_makes_one_event_and_gets_the_first_answer(
    login, file_online, monkeypatch
):
    dossier = file_online("batxat")
    client = login("batxat.tiepnhan")
    page = client.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert KEY.search(page)
    runs = []
    real_run = backoffice_views.action_run

    def counted(**kwargs):
        runs.append(kwargs["key"])
        return real_run(**kwargs)

    monkeypatch.setattr(backoffice_views, "action_run", counted)
    key = KEY.findall(page)[0]
    data = {"action": "receive", "expected_version": dossier.lock_version, "_once": key}
    first = client.post(f"/mot-cua/ho-so/{dossier.code}/xu-ly/", data)
    again = client.post(f"/mot-cua/ho-so/{dossier.code}/xu-ly/", data)
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == f"/mot-cua/ho-so/{dossier.code}/"
    assert runs == ["receive"]  # the view ran once; the repeat was answered from the key
    assert DossierEvent.objects.filter(dossier=dossier, action="receive").count() == 1


def test_a_form_shown_again_with_its_errors_is_replayed_not_redone(login):
    client = login("batxat.tiepnhan")
    key = KEY.findall(client.get(f"/mot-cua/tiep-nhan/{BIRTH}/").content.decode())[0]
    data, _papers = counter_fields()
    data.update(id_number="12345", _once=key)
    first = client.post(f"/mot-cua/tiep-nhan/{BIRTH}/", data)
    again = client.post(f"/mot-cua/tiep-nhan/{BIRTH}/", data)
    assert first.status_code == again.status_code == 400
    assert again.content == first.content
    # The page shown with the errors carries a fresh key: the corrected form is sent anew.
    fresh = KEY.findall(first.content.decode())
    assert fresh and key not in fresh
    data.update(id_number=ID_NUMBER, _once=fresh[0])
    assert client.post(f"/mot-cua/tiep-nhan/{BIRTH}/", data).status_code == 302
    assert Dossier.objects.filter(applicant_id_number=ID_NUMBER).count() == 1


def test_the_form_changed_after_it_was_sent_makes_no_second_dossier(login):
    """Back to the sent counter form (its key used), another applicant typed in, sent:
    the officer is told nothing was sent, in the back office's layout."""
    client = login("batxat.tiepnhan")
    key = KEY.findall(client.get(COUNTER).content.decode())[0]
    data, _papers = counter_fields()
    data["_once"] = key
    assert client.post(COUNTER, data).status_code == 302
    changed = client.post(COUNTER, {**data, "id_number": "010195004322"})
    assert changed.status_code == 409
    assert "backoffice/office.css" in changed.content.decode()
    assert Dossier.objects.filter(applicant_id_number="010195004322").count() == 0
    assert Dossier.objects.filter(applicant_id_number=ID_NUMBER).count() == 1


def test_another_officials_key_is_refused(login):
    desk = login("batxat.tiepnhan")
    key = KEY.findall(desk.get(f"/mot-cua/tiep-nhan/{BIRTH}/").content.decode())[0]
    data, _papers = counter_fields()
    data["_once"] = key
    assert desk.post(f"/mot-cua/tiep-nhan/{BIRTH}/", data).status_code == 302
    other = login("laocai.tiepnhan")  # another officer, the same page's key
    response = other.post(f"/mot-cua/tiep-nhan/{BIRTH}/", {**data, "id_number": "010195004322"})
    assert response.status_code == 400
    assert Dossier.objects.filter(applicant_id_number="010195004322").count() == 0


def test_a_key_sent_to_another_form_is_refused(login, file_online):
    client = login("batxat.tiepnhan")
    key = KEY.findall(client.get(f"/mot-cua/tiep-nhan/{BIRTH}/").content.decode())[0]
    data, _papers = counter_fields()
    data["_once"] = key
    assert client.post(f"/mot-cua/tiep-nhan/{BIRTH}/", data).status_code == 302
    dossier = file_online("batxat")
    response = client.post(
        f"/mot-cua/ho-so/{dossier.code}/xu-ly/",
        {"action": "receive", "expected_version": dossier.lock_version, "_once": key},
    )
    assert response.status_code == 400
    assert not DossierEvent.objects.filter(dossier=dossier, action="receive").exists()


@pytest.mark.parametrize("bad", ["short", "x" * 33, "a" * 31 + "!", "é" * 32])
def test_a_malformed_key_is_refused(login, bad):
    client = login("batxat.tiepnhan")
    data, _papers = counter_fields()
    data["_once"] = bad
    assert client.post(f"/mot-cua/tiep-nhan/{BIRTH}/", data).status_code == 400
    assert not Dossier.objects.filter(applicant_id_number=ID_NUMBER).exists()
    assert not FormKey.objects.exists()


def test_a_failing_view_gives_the_key_back(login, monkeypatch):
    client = login("batxat.tiepnhan")
    client.raise_request_exception = False
    key = KEY.findall(client.get(f"/mot-cua/tiep-nhan/{BIRTH}/").content.decode())[0]
    data, _papers = counter_fields()
    data["_once"] = key
    real = backoffice_views._receive_at_counter
    calls = []

    def fails_once(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        return real(**kwargs)

    monkeypatch.setattr(backoffice_views, "_receive_at_counter", fails_once)
    assert client.post(f"/mot-cua/tiep-nhan/{BIRTH}/", data).status_code == 500
    assert not FormKey.objects.filter(pk=key).exists()
    retry = client.post(f"/mot-cua/tiep-nhan/{BIRTH}/", data)  # the same page sent again
    assert retry.status_code == 302
    assert Dossier.objects.filter(applicant_id_number=ID_NUMBER).count() == 1
    assert len(calls) == 2
