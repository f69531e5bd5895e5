"""A first-time citizen on a 360-px phone finds a procedure, in a real Chromium."""

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_site(transactional_db, live_server):
    call_command("load_demo", verbosity=0, history_days=0)
    return live_server.url


def test_citizen_finds_birth_registration_typed_without_diacritics(page, demo_site):
    page.goto(demo_site + "/")
    page.get_by_label("Bạn cần làm thủ tục gì?").fill("dang ky khai sinh")
    page.get_by_role("button", name="Tìm").click()
    page.wait_for_url("**/tim-kiem/?q=dang+ky+khai+sinh")
    first = page.locator("li.hit a").first
    assert first.inner_text() == "Đăng ký khai sinh"
    first.click()
    assert page.locator("h1").inner_text() == "Đăng ký khai sinh"
    assert page.get_by_role("heading", name="Mất bao lâu").is_visible()
    # Nothing sticks out sideways on a 360-px screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_works_with_javascript_off(browser, demo_site):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(demo_site + "/tim-kiem/?q=khai+xinh")
    assert page.locator("li.hit a").first.inner_text() == "Đăng ký khai sinh"
    page.goto(demo_site + "/tim-kiem/?q=" + "x" * 1000)
    assert "Từ khóa quá dài" in page.locator("[role=alert]").inner_text()
    context.close()
