"""A returning citizen in Chromium at 360 px, JavaScript off: the applicant's pages come
prefilled with a notice, the upload page offers the paper sent last time; both pass
axe-core, and reusing the paper takes one tap."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import call_command

from motcua.dossiers.models import DossierPaper, Draft
from motcua.organizations.selectors import unit_list_communes
from tests.browsing import phone_context

from .birth import child
from .conftest import english_client
from .test_journey import BASE, submitted_draft

pytestmark = pytest.mark.browser


def test_prefill_and_reuse_in_the_browser(
    browser, transactional_db, live_server, assert_accessible, citizen_user
):
    call_command("load_demo", verbosity=0, history_days=0)
    client = english_client()
    client.force_login(citizen_user)
    commune = unit_list_communes(province_code=settings.MOTCUA_PROVINCE_CODE).first().code
    first = submitted_draft(client, commune)
    client.post(f"{BASE}{first.pk}/kiem-tra/", {"key": first.idempotency_key})
    stored = DossierPaper.objects.get(dossier__draft__pk=first.pk)

    context, same_session = phone_context(browser, live_server.url, user=citizen_user,
                                          javascript=False)
    page = context.new_page()
    page.goto(live_server.url + BASE)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/nguoi_khai/")
    assert page.locator("#f-full_name").input_value() == "Lò Thị Mai"
    assert page.locator("p.notice").count() == 1
    assert "hồ sơ trước" in page.locator("p.notice").inner_text()  # the last dossier
    assert_accessible(page)
    draft = Draft.objects.filter(dossier__isnull=True).latest("pk")
    # The birth certificate is asked once the baby was born at a health station.
    response = same_session.post(f"{BASE}{draft.pk}/tre/", {**child(), "action": "autosave"})
    assert response.status_code == 204
    page.goto(f"{live_server.url}{BASE}{draft.pk}/giay_chung_sinh/")
    assert page.url.endswith("/giay_chung_sinh/")
    reuse = page.locator(f"button[value='reuse-paper-{stored.pk}']")
    assert reuse.count() == 1
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    reuse.click()
    page.wait_for_load_state()
    draft.refresh_from_db()
    assert [f["reused"] for f in draft.uploads["giay_chung_sinh"]] == [f"paper-{stored.pk}"]
    assert page.locator(f"button[value='reuse-paper-{stored.pk}']").count() == 0
    context.close()


@pytest.fixture
def citizen_user(transactional_db, django_user_model):
    return django_user_model.objects.create_user(username="0912345678")
