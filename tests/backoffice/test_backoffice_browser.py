"""A receiving officer signs in and receives a dossier at the counter, in a real Chromium.

With MOTCUA_SCREENSHOTS=1 the last test also writes docs/inbox.png and docs/dossier.png
(1366×768) from a small set of demo dossiers.
"""

from __future__ import annotations

import io
import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from motcua.catalog.selectors import procedure_get_current
from motcua.demo.officials import DEMO_PASSWORD, demo_officials_load
from motcua.dossiers.models import Dossier, NationalStatus
from motcua.dossiers.services import (
    Applicant,
    PaperInput,
    dossier_act,
    dossier_file_online,
    dossier_receive_at_counter,
)
from motcua.organizations.models import Agency, AgencyType
from tests.officials import totp_code

pytestmark = pytest.mark.browser
DOCS = Path(__file__).resolve().parents[2] / "docs"
DESK_SIZE = {"width": 1366, "height": 768}


@pytest.fixture
def site(transactional_db, live_server) -> str:
    call_command("load_demo", verbosity=0, history_days=0)
    demo_officials_load()
    return live_server.url


@pytest.fixture
def desk_page(browser):
    context = browser.new_context(viewport=DESK_SIZE, locale="vi-VN")
    page = context.new_page()
    yield page
    context.close()


def sign_in(page, site: str, username: str) -> None:
    page.goto(site + "/mot-cua/")
    assert "/mot-cua/dang-nhap/" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    # The second step: the code the official's authenticator app shows (the demo's secret).
    page.fill("input[name=totp]", totp_code(get_user_model().objects.get(username=username)))
    page.click("main button[type=submit]")
    page.wait_for_url(site + "/mot-cua/")


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), (230, 230, 220)).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_receiving_officer_receives_a_dossier_at_the_counter(desk_page, site):
    page = desk_page
    sign_in(page, site, "batxat.tiepnhan")
    page.click("nav.bo a[href='/mot-cua/tiep-nhan/']")
    page.fill("#procedure-q", "dang ky khai sinh")
    page.press("#procedure-q", "Enter")
    page.click("ul.hits a[href='/mot-cua/tiep-nhan/1.001193/']")
    page.fill("#id_name", "Sùng Thị Dua")
    page.fill("#id_id_number", "010195004321")
    page.fill("#id_birth_date", "1995-03-02")
    page.fill("#id_phone", "0987654321")
    page.fill("#id_address", "Thôn Tòng Sành")
    page.select_option("#id_unit", label="Xã Bát Xát")
    boxes = page.locator("table.papers input[type=checkbox][name$='-received']")
    required = boxes.count() - 1  # the last row is "another paper"
    assert required >= 1
    for n in range(required):
        boxes.nth(n).check()
    page.locator("table.papers input[type=file]").first.set_input_files(
        {"name": "to-khai.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}
    )
    page.click("main form button[type=submit]")
    page.wait_for_url("**/mot-cua/ho-so/**")
    dossier = Dossier.objects.get(applicant_id_number="010195004321")
    assert dossier.status == NationalStatus.RECEIVED
    assert dossier.papers.count() == required
    assert dossier.code in page.locator("h1").inner_text()
    assert page.locator("a[href$='/phieu/01.pdf']").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= DESK_SIZE["width"]


def test_a_refused_upload_shows_its_message_in_the_browser(desk_page, site):
    page = desk_page
    sign_in(page, site, "batxat.tiepnhan")
    page.goto(site + "/mot-cua/tiep-nhan/1.001193/")
    page.fill("#id_name", "Sùng Thị Dua")
    page.fill("#id_id_number", "010195004321")
    page.locator("table.papers input[type=checkbox][name$='-received']").first.check()
    page.locator("table.papers input[type=file]").first.set_input_files(
        {"name": "anh.jpg", "mimeType": "image/jpeg", "buffer": b"not a photo at all"}
    )
    page.click("main form button[type=submit]")
    alert = page.locator("table.papers .errorlist").first
    assert "anh.jpg" in alert.inner_text()
    assert not Dossier.objects.exists()


# --- screenshots for docs/ ------------------------------------------------------------

PEOPLE = [
    ("Lò Thị Mai", "010190012345", "0912345678", "1.001193"),
    ("Giàng A Páo", "010088001234", "0978123456", "1.000894"),
    ("Vàng Thị Sính", "010192004567", "0388456789", "1.001193"),
    ("Phàn Văn Lở", "010085006789", "0868111222", "1.000894"),
    ("Tẩn Thị Mẩy", "010198002468", "0966333444", "1.001193"),
    ("Chảo Láo Tả", "010079001357", "0359555666", "1.001193"),
]


def _make_demo_dossiers() -> Dossier:
    users = {u.username: u for u in get_user_model().objects.filter(username__contains=".")}
    desk = Agency.objects.get(
        unit__name="Xã Bát Xát", unit__valid_to__isnull=True, type=AgencyType.COMMUNE_SERVICE_CENTRE
    )
    officer = users["batxat.tiepnhan"]
    made = []
    for name, id_number, phone, code in PEOPLE:
        version = procedure_get_current(code=code)
        papers = [
            PaperInput(name=p.name, form="original", required_paper=p, scanned_at_counter=True)
            for p in version.papers.all()
        ]
        applicant = Applicant(
            name=name, id_number=id_number, phone=phone, address="Thôn Trung Chải, xã Bát Xát"
        )
        made.append(
            dossier_receive_at_counter(
                officer=officer,
                agency=desk,
                procedure_version=version,
                applicant=applicant,
                papers=papers,
            )
        )
    dossier_file_online(
        procedure_version=procedure_get_current(code="1.001193"),
        applicant=Applicant(name="Sần Thị Chư", id_number="010199003579", phone="0399777888"),
        receiving_agency=desk,
    )
    now = timezone.now()
    Dossier.objects.filter(pk=made[1].pk).update(due_at=now - timedelta(hours=3))
    Dossier.objects.filter(pk=made[3].pk).update(due_at=now + timedelta(hours=2))
    # One dossier further along: assigned, then proposed for approval.
    shown = made[0]
    shown = dossier_act(
        dossier=shown,
        officer=officer,
        action="assign",
        expected_version=shown.lock_version,
        note="Hồ sơ đủ giấy tờ, chuyển chuyên viên thẩm định.",
        assignee=users["batxat.chuyenvien"],
    )
    shown = dossier_act(
        dossier=shown,
        officer=users["batxat.chuyenvien"],
        action="propose",
        expected_version=shown.lock_version,
        note="Đã đối chiếu giấy chứng sinh; đề nghị phê duyệt.",
    )
    return shown


@pytest.mark.skipif(
    not os.environ.get("MOTCUA_SCREENSHOTS"), reason="set MOTCUA_SCREENSHOTS=1 to write docs/"
)
def test_write_screenshots(desk_page, site, settings, tmp_path):
    shown = _make_demo_dossiers()
    page = desk_page
    sign_in(page, site, "batxat.tiepnhan")
    page.goto(site + "/mot-cua/?box=receive")
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / "inbox.png"))
    page.context.clear_cookies()
    sign_in(page, site, "batxat.pheduyet")
    page.goto(site + f"/mot-cua/ho-so/{shown.code}/")
    page.screenshot(path=str(DOCS / "dossier.png"))
