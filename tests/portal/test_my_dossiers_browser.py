""""My dossiers" in a real headless Chromium on a 360-px phone, JavaScript on and off: a
citizen sees what waits for them, sends the missing paper as a photo, and withdraws
another dossier. axe-core (WCAG 2.2 AA) runs on every page, error pages included, and
nothing may scroll sideways.

With MOTCUA_SCREENSHOTS=1 the no-JavaScript run also writes the pages it sees to
var/screenshots/my-dossiers-*.png (to look at them as the citizen does)."""

from __future__ import annotations

import io
import os
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from PIL import Image

from motcua.catalog.selectors import procedure_get_current
from motcua.demo.officials import demo_officials_load
from motcua.dossiers.models import Dossier, NationalStatus
from motcua.dossiers.services import (
    Applicant,
    dossier_file_online,
    dossier_receive,
    dossier_request_supplement,
)
from motcua.organizations.models import Agency, AgencyType
from tests.browsing import phone_context

pytestmark = pytest.mark.browser
SHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


@pytest.fixture
def site(transactional_db, live_server, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("load_demo", verbosity=0, history_days=0)
    demo_officials_load()
    return live_server.url


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 400), "#f0ede4").save(out, "JPEG")
    return out.getvalue()


def two_dossiers(user) -> tuple[Dossier, Dossier]:
    """One waiting for a paper from the citizen, one being processed."""
    desk = Agency.objects.get(
        unit__name="Xã Bát Xát", unit__valid_to__isnull=True,
        type=AgencyType.COMMUNE_SERVICE_CENTRE,
    )
    officer = get_user_model().objects.get(username="batxat.tiepnhan")
    made = []
    for code in ("1.001193", "1.001193"):
        dossier = dossier_file_online(
            procedure_version=procedure_get_current(code=code),
            applicant=Applicant(name="Lò Thị Mai", id_number="010190012345",
                                birth_date=date(1990, 5, 17), phone="0912345678"),
            receiving_agency=desk,
            citizen=user,
        )
        made.append(dossier_receive(dossier=dossier, officer=officer,
                                    expected_version=dossier.lock_version))
    waiting = dossier_request_supplement(
        dossier=made[0], officer=officer, missing=["Giấy chứng sinh (bản chính)"],
        contact="Chị Hoa, 0214 3880 123", expected_version=made[0].lock_version,
    )
    return waiting, made[1]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_citizen_sends_a_missing_paper_and_withdraws_a_dossier(
    browser, site, assert_accessible, javascript
):
    user = get_user_model().objects.create_user(username="0912345678")
    waiting, processing = two_dossiers(user)
    context, _client = phone_context(browser, site, user=user, javascript=javascript)
    page = context.new_page()
    seen: list[str] = []
    shots = os.environ.get("MOTCUA_SCREENSHOTS") == "1" and not javascript

    def visit(what: str) -> None:
        page.wait_for_load_state("load")
        assert_accessible(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{what}: {width}px wide at {page.url}"
        if shots:
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"my-dossiers-{len(seen):02d}.png"), full_page=True)
        seen.append(what)

    def submit(locator) -> None:
        with page.expect_navigation():
            locator.click()

    # From the home page, through the header link.
    page.goto(site + "/")
    submit(page.locator("header a[href='/ho-so-cua-toi/']"))
    assert page.url.endswith("/ho-so-cua-toi/")
    visit("list")
    todo = page.locator("section.todo")
    assert "Cần bổ sung giấy tờ" in todo.inner_text()
    submit(todo.locator("a"))
    assert page.url.endswith(f"/ho-so-cua-toi/{waiting.code}/")
    visit("dossier waiting for a paper")
    assert "Giấy chứng sinh (bản chính)" in page.locator("main").inner_text()

    # The supplement: nothing chosen, then a photo.
    submit(page.get_by_role("link", name="Gửi giấy tờ bổ sung"))
    visit("supplement")
    submit(page.locator("main form button[type=submit]"))
    assert page.locator(".summary a[href='#f-file-0']").count() == 1
    visit("supplement, nothing chosen")
    page.locator("#f-file-0").set_input_files(
        files=[{"name": "giay-chung-sinh.jpg", "mimeType": "image/jpeg", "buffer": photo()}]
    )
    submit(page.locator("main form button[type=submit]"))
    assert page.url.endswith(f"/ho-so-cua-toi/{waiting.code}/")
    assert "Đã gửi giấy tờ bổ sung" in page.locator("main").inner_text()
    visit("dossier after the supplement")
    waiting.refresh_from_db()
    assert waiting.status != NationalStatus.SUPPLEMENT_REQUESTED

    # Withdraw the other dossier: no reason, then a reason.
    page.goto(f"{site}/ho-so-cua-toi/{processing.code}/")
    visit("dossier being processed")
    submit(page.get_by_role("link", name="Rút hồ sơ này"))
    visit("withdraw")
    submit(page.get_by_role("button", name="Gửi đề nghị rút hồ sơ", exact=True))
    assert page.locator("#f-reason").get_attribute("aria-invalid") == "true"
    visit("withdraw, no reason")
    page.locator("#f-reason").fill("Tôi đã nộp ở Trung tâm tỉnh")
    submit(page.get_by_role("button", name="Gửi đề nghị rút hồ sơ", exact=True))
    assert page.url.endswith(f"/ho-so-cua-toi/{processing.code}/")
    visit("withdrawal requested")
    processing.refresh_from_db()
    # Status 7: the desk decides (Decree 118/2025 art. 21); the page says so.
    assert processing.status == NationalStatus.WITHDRAWAL_REQUESTED
    assert "Bạn đã đề nghị rút hồ sơ" in page.locator("main").inner_text()

    page.goto(site + "/ho-so-cua-toi/")
    visit("list afterwards")
    assert page.locator("section.todo").count() == 0
    assert len(seen) == 10, seen
    context.close()


def test_citizen_rates_a_returned_dossier_with_javascript_off(browser, site, assert_accessible):
    """The rating page (five radio groups, each its own fieldset) on a 360-px phone."""
    from motcua.dossiers.models import DossierRating
    from motcua.dossiers.services import dossier_act, dossier_return_result

    user = get_user_model().objects.create_user(username="0912345678")
    _waiting, dossier = two_dossiers(user)
    for name, action in (("tiepnhan", "assign"), ("chuyenvien", "propose"),
                         ("pheduyet", "approve")):
        dossier = dossier_act(
            dossier=dossier, officer=get_user_model().objects.get(username=f"batxat.{name}"),
            action=action, expected_version=dossier.lock_version,
        )
    dossier_return_result(
        dossier=dossier, officer=get_user_model().objects.get(username="batxat.tiepnhan"),
        expected_version=dossier.lock_version,
    )
    context, _client = phone_context(browser, site, user=user, javascript=False)
    page = context.new_page()
    page.goto(f"{site}/ho-so-cua-toi/{dossier.code}/danh-gia/")
    assert page.locator("fieldset").count() == 5
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    with page.expect_navigation():  # nothing chosen: the error summary names each question
        page.locator("main form button[type=submit]").click()
    assert page.locator(".summary a").count() == 5
    assert_accessible(page)
    for field in ("attitude", "contacts", "publication", "agencies_contacted", "satisfaction"):
        page.locator(f"input[name={field}]").first.check()
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.url.endswith(f"/ho-so-cua-toi/{dossier.code}/")
    assert_accessible(page)
    rating = DossierRating.objects.get(dossier=dossier)
    assert rating.satisfaction == 2 and rating.attitude in (1, 2)
    context.close()
