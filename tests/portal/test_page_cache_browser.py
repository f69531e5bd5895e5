"""The language links of cached public pages, on a 360-px phone without JavaScript."""

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.browser

BIRTH = "/thu-tuc/1.001193/"


@pytest.fixture
def demo_site(transactional_db, live_server):
    call_command("load_demo", verbosity=0, history_days=0)
    return live_server.url


def test_the_language_link_switches_a_cached_page_and_back(browser, demo_site):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(demo_site + BIRTH)
    first_etag = page.reload().headers["etag"]  # served from the cache
    assert page.get_by_role("heading", name="Mất bao lâu").is_visible()
    page.get_by_role("link", name="English").click()
    page.wait_for_url(demo_site + BIRTH)
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="How long it takes").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("link", name="Tiếng Việt").click()
    page.wait_for_url(demo_site + BIRTH)
    assert page.get_by_role("heading", name="Mất bao lâu").is_visible()
    assert page.reload().headers["etag"] == first_etag
    context.close()
