"""The leaders' reports in a real Chromium: the overview passes axe-core (WCAG 2.2 AA)
on a 360-px phone and on a desk screen, with JavaScript off as well; its charts fit
the phone's width; the period form works without JavaScript.

With MOTCUA_SCREENSHOTS=1 the phone test also writes docs/reports-360.png.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from motcua.accounts.models import Role, RoleAssignment
from motcua.catalog.selectors import procedure_get_current
from motcua.dossiers.services import Applicant, PaperInput, dossier_receive_at_counter
from motcua.organizations.models import Agency, AgencyType
from motcua.reporting.services import reporting_rebuild
from tests.browsing import phone_context
from tests.officials import official_login

pytestmark = pytest.mark.browser
DOCS = Path(__file__).resolve().parents[2] / "docs"
DESK_SIZE = {"width": 1366, "height": 768}


@pytest.fixture
def site(transactional_db, live_server, monkeypatch) -> str:
    """The demo with a few dossiers in two communes, one of them late."""
    from django.contrib.auth import get_user_model

    call_command("load_demo", verbosity=0, history_days=0)
    users = get_user_model().objects
    real_now = timezone.now()
    for unit, count, late in (("Xã Bát Xát", 3, 1), ("Phường Lào Cai", 2, 0)):
        desk = Agency.objects.get(
            unit__name=unit, unit__valid_to__isnull=True, type=AgencyType.COMMUNE_SERVICE_CENTRE
        )
        officer = RoleAssignment.objects.filter(agency=desk, role=Role.RECEIVING_OFFICER).first()
        version = procedure_get_current(code="1.001193")
        for n in range(count):
            # A late one was received ten days ago: its due moment has passed.
            moment = real_now - timedelta(days=10 if n < late else 0)
            monkeypatch.setattr(timezone, "now", lambda moment=moment: moment)
            dossier_receive_at_counter(
                officer=users.get(pk=officer.user_id),
                agency=desk,
                procedure_version=version,
                applicant=Applicant(name=f"Lò Thị Mai {n}", phone="0912345678"),
                papers=[
                    PaperInput(name=p.name, form="original", required_paper=p)
                    for p in version.papers.all()
                ],
            )
            monkeypatch.undo()
    reporting_rebuild()
    return live_server.url


def leader():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="tinh.lanhdaotinh")


def test_the_overview_on_a_phone_passes_axe_with_and_without_javascript(
    browser, site, assert_accessible
):
    for javascript in (True, False):
        context, _client = phone_context(browser, site, user=leader(), javascript=javascript)
        page = context.new_page()
        page.goto(site + "/mot-cua/bao-cao/")
        assert page.locator("h1").inner_text()
        assert page.locator("svg.chart").count() == 2
        # Nothing wider than the phone but the tables' own scroll regions.
        wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > 361)
            .slice(0, 8).map(e => e.tagName + '.' + e.className + '#' + e.id + ' '
            + Math.round(e.getBoundingClientRect().right))""")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, wide
        box = page.locator("svg.chart").first.bounding_box()
        assert box and box["width"] <= 360
        assert_accessible(page)
        if not javascript:
            # The period form works with JavaScript off.
            page.select_option("#r-period", value=str(timezone.now().year))
            page.click("form.report-filters button[type=submit]")
            page.wait_for_url("**period=*")
            assert f"{timezone.now().year}" in page.locator("p.subtitle").inner_text()
            assert_accessible(page)
        elif os.environ.get("MOTCUA_SCREENSHOTS") == "1":
            DOCS.mkdir(exist_ok=True)
            page.screenshot(path=str(DOCS / "reports-360.png"), full_page=True)
        context.close()


def test_the_overview_on_a_desk_passes_axe(browser, site, assert_accessible):
    from django.conf import settings
    from django.test import Client

    context = browser.new_context(viewport=DESK_SIZE, locale="vi-VN")
    client = Client()
    official_login(client, leader())
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": site}])
    page = context.new_page()
    page.goto(site + "/mot-cua/bao-cao/")
    assert page.locator("a[href^='/mot-cua/bao-cao/ho-so/'][href*='chi_so=late']").count() >= 1
    assert_accessible(page)
    # A unit's page, and the late dossiers one tap from the overview.
    page.click("p.slowest a")
    page.wait_for_url("**/bao-cao/don-vi/**")
    assert_accessible(page)
    page.goto(site + "/mot-cua/bao-cao/")
    page.locator(".keyfigs a[href*='chi_so=late']").click()
    page.wait_for_url("**/bao-cao/ho-so/**")
    assert page.locator("table.report tbody tr").count() == 1
    assert_accessible(page)
    context.close()
