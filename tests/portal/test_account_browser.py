"""The account and contact pages in Chromium at 360 px with JavaScript off: they pass
axe-core, fit the screen, and the choice is saved with an error shown beside the field."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from motcua.accounts.models import CitizenProfile
from motcua.notifications.selectors import contact_preference_for
from tests.browsing import phone_context

pytestmark = pytest.mark.browser


def test_account_and_contact_pages(browser, transactional_db, live_server, assert_accessible):
    user = get_user_model().objects.create_user(username="citizen_acc")
    CitizenProfile.objects.create(user=user, phone="84912000666", full_name="Sùng Thị Dợ")
    context, _client = phone_context(browser, live_server.url, user=user, javascript=False)
    page = context.new_page()

    def check() -> None:
        assert_accessible(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.goto(live_server.url + "/tai-khoan/")
    assert "0912000666" in page.content()
    check()
    page.locator("a[href='/tai-khoan/lien-lac/']").click()
    check()
    page.locator("input[name=channel][value=email]").check()
    page.locator("main form button[type=submit]").click()  # no e-mail given
    assert page.locator("#f-email[aria-invalid=true]").count() == 1
    assert page.locator(".summary a[href='#f-email']").count() == 1
    check()
    page.locator("#f-email").fill("do@example.vn")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/tai-khoan/")
    check()
    assert contact_preference_for(phone="0912000666", email="") == "email"
    context.close()
