"""The session-expiry warning in a real Chromium on a 360-px phone, with a short idle time."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client

from tests.browsing import phone_context

pytestmark = pytest.mark.browser


def session_row(client: Client) -> Session:
    return Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)



@pytest.fixture
def short_site(settings, transactional_db, live_server):
    settings.SESSION_COOKIE_AGE = 8  # seconds: warned 4 s before, after 4 s idle
    return live_server.url


def signed_in_context(browser, site: str, *, javascript: bool = True):
    user = get_user_model().objects.create_user(username="0912000555")
    return phone_context(browser, site, user=user, javascript=javascript)


def test_warning_before_the_session_ends(browser, short_site, assert_accessible):
    context, client = signed_in_context(browser, short_site)
    page = context.new_page()
    page.goto(short_site + "/tra-cuu/")
    warning = page.get_by_role("alertdialog")
    warning.wait_for(state="visible", timeout=10_000)
    assert warning.get_attribute("aria-labelledby") == "session-warning-title"
    button = warning.locator("button")
    assert button.evaluate("b => b === document.activeElement")
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    before = session_row(client).expire_date
    button.click()
    warning.wait_for(state="hidden", timeout=5_000)
    assert session_row(client).expire_date > before
    # Nothing done again: the warning comes back, then says the session has ended.
    ended = page.locator("#session-warning [data-state=ended]")
    ended.wait_for(state="visible", timeout=15_000)
    assert page.get_by_role("alertdialog").get_attribute("aria-labelledby") == "session-ended-title"
    assert_accessible(page)
    link = ended.get_by_role("link")
    assert link.get_attribute("href") == "/dang-nhap/?next=/tra-cuu/"
    with page.expect_navigation():
        link.click()
    assert page.url.endswith("/dang-nhap/?next=/tra-cuu/")
    assert page.get_by_role("alertdialog").count() == 0  # signed out: no warning
    context.close()


def test_without_javascript_nothing_shows(browser, short_site, assert_accessible):
    context, _client = signed_in_context(browser, short_site, javascript=False)
    page = context.new_page()
    page.goto(short_site + "/tra-cuu/")
    assert page.locator("#session-warning").count() == 1
    assert not page.locator("#session-warning").is_visible()
    assert_accessible(page)
    context.close()
