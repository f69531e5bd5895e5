"""The help box and the words explained in a real headless Chromium on a 360-px phone
with JavaScript off: the procedure page and the citizen's dossier page, the box opened,
axe-core (WCAG 2.2 AA) finds nothing and nothing scrolls sideways; a term's link leads
to its explanation."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from motcua.accounts.models import CitizenProfile
from motcua.catalog.selectors import procedure_get_current
from motcua.demo.officials import demo_officials_load
from motcua.dossiers.services import (
    Applicant,
    dossier_act,
    dossier_file_online,
    dossier_receive,
)
from motcua.organizations.models import Agency, AgencyType
from tests.browsing import phone_context

pytestmark = pytest.mark.browser
BIRTH = "1.001193"


@pytest.fixture
def site(transactional_db, live_server, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("load_demo", verbosity=0, history_days=0)
    demo_officials_load()
    return live_server.url


def batxat_desk() -> Agency:
    desk = Agency.objects.get(
        unit__name="Xã Bát Xát", unit__valid_to__isnull=True,
        type=AgencyType.COMMUNE_SERVICE_CENTRE,
    )
    desk.phone = "0214 3880 123"
    desk.address = "Thôn Bản Vền, xã Bát Xát"
    desk.save(update_fields=["phone", "address"])
    return desk


def open_help_and_check(page, assert_accessible) -> None:
    box = page.locator("details.help")
    assert box.count() == 1
    box.locator("summary").click()
    assert box.get_attribute("open") is not None
    assert page.locator("details.help a[href^='tel:']").is_visible()
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_procedure_page_with_the_help_box_open(browser, site, assert_accessible):
    desk = batxat_desk()
    user = get_user_model().objects.create_user(username="0912345678")
    CitizenProfile.objects.update_or_create(
        user=user, defaults={"phone": "84912345678", "commune": desk.unit}
    )
    context, _client = phone_context(browser, site, user=user, javascript=False)
    page = context.new_page()
    page.goto(f"{site}/thu-tuc/{BIRTH}/")
    assert_accessible(page)  # closed
    open_help_and_check(page, assert_accessible)
    assert "tel:+842143880123" in page.locator("details.help").inner_html()
    assert "Thứ Hai" in page.locator("details.help").inner_text() or (
        "Monday" in page.locator("details.help").inner_text()  # before `make messages`
    )
    # A term's link leads to its explanation at the end of the page.
    term = page.locator("a.term").first
    slug = term.get_attribute("href")
    term.click()
    assert page.url.endswith(slug)
    assert page.locator(f"dt{slug}").is_visible()
    assert page.locator(f"dd{slug}-giai-thich").inner_text().strip()
    context.close()


def test_dossier_page_with_the_help_box_open(browser, site, assert_accessible):
    desk = batxat_desk()
    user = get_user_model().objects.create_user(username="0912345678")
    officials = {
        u.username: u for u in get_user_model().objects.filter(username__startswith="batxat.")
    }
    dossier = dossier_file_online(
        procedure_version=procedure_get_current(code=BIRTH),
        applicant=Applicant(name="Lò Thị Mai", birth_date=date(1990, 5, 17), phone="0912345678"),
        receiving_agency=desk,
        citizen=user,
    )
    dossier = dossier_receive(
        dossier=dossier, officer=officials["batxat.tiepnhan"], expected_version=dossier.lock_version
    )
    for name, action in (("tiepnhan", "assign"), ("chuyenvien", "propose")):
        dossier = dossier_act(
            dossier=dossier, officer=officials[f"batxat.{name}"], action=action,
            expected_version=dossier.lock_version,
        )
    context, _client = phone_context(browser, site, user=user, javascript=False)
    page = context.new_page()
    page.goto(f"{site}/ho-so-cua-toi/{dossier.code}/")
    main = page.locator("main").inner_text()
    assert "Trình phê duyệt" not in main and "Chờ phê duyệt" not in main
    open_help_and_check(page, assert_accessible)
    assert desk.name in page.locator("details.help").inner_text()
    context.close()
