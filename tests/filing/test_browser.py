"""The filing pages in a real Chromium on a 360-px phone: with JavaScript off, and the
autosave with it on."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from motcua.dossiers.models import Draft
from tests.browsing import phone_context

pytestmark = pytest.mark.browser


@pytest.fixture
def site(transactional_db, live_server):
    call_command("load_demo", verbosity=0, history_days=0)
    return live_server.url


def signed_in(browser, site, *, javascript: bool):
    user = get_user_model().objects.create_user(username="0912000111")
    return phone_context(browser, site, user=user, javascript=javascript)[0]


def test_questions_work_with_javascript_off(browser, site):
    context = signed_in(browser, site, javascript=False)
    page = context.new_page()
    page.goto(site + "/nop-ho-so/1.001193/")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url("**/nguoi_khai/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.locator("#f-full_name").fill("Lò Thị Mai")
    page.locator("#f-birth_date").fill("05/03/1990")
    page.locator("label.radio", has_text="Nữ").click()
    page.locator("#f-ethnicity").fill("Giáy")
    page.locator("button[value=continue]").click()
    page.wait_for_url("**/cccd_nguoi_khai/")
    page.locator("#f-value").fill("123")
    page.locator("button[value=continue]").click()
    # The error summary links to the field; the message stands beside it.
    assert page.locator(".summary a[href='#f-value']").count() == 1
    assert page.locator("#f-value-error").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.locator("#f-value").fill("010190000123")
    page.locator("button[value=continue]").click()
    page.wait_for_url("**/dien_thoai/")
    page.locator("#f-value").fill("0912 000 111")
    page.locator("button[value=continue]").click()
    page.wait_for_url("**/noi_o/")
    page.locator("#f-commune").select_option(index=1)
    page.locator("#f-street").fill("Thôn Làng Mới")
    page.locator("button[value=continue]").click()
    page.wait_for_url("**/quan_he/")
    page.get_by_label("Mẹ", exact=True).check()  # not "... cha mẹ nhờ"
    page.locator("button[value=continue]").click()
    page.wait_for_url("**/tre/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # A page of several questions: the place's name, asked only for a birth away from
    # home, is there without JavaScript to show it.
    page.locator("#f-ho_ten").fill("Lò Văn An")
    page.locator("label.radio", has_text="Con trai").click()
    page.locator("#f-ngay_sinh").fill("01/02/2026")
    page.locator("label.radio", has_text="Ở bệnh viện hoặc trạm y tế").click()
    assert page.locator("#f-ten_noi_sinh").is_visible()
    page.locator("#f-ten_noi_sinh").fill("Trạm y tế xã Bát Xát")
    page.locator("#f-dan_toc").fill("Giáy")
    page.locator("button[value=continue]").click()
    page.wait_for_url("**/cha_me/")
    draft = Draft.objects.get()
    assert draft.answers["quan_he"] == "me" and draft.answers["nguoi_khai"]["ethnicity"] == "Giáy"
    assert draft.answers["dien_thoai"] == "0912 000 111"
    assert draft.answers["noi_o"]["street"] == "Thôn Làng Mới"
    assert draft.answers["tre"]["noi_sinh"] == "co_so_y_te"
    assert draft.answers["tre"]["ten_noi_sinh"] == "Trạm y tế xã Bát Xát"
    context.close()


def test_autosave_while_typing(browser, site):
    context = signed_in(browser, site, javascript=True)
    page = context.new_page()
    page.goto(site + "/nop-ho-so/1.001193/")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url("**/nguoi_khai/")
    draft = Draft.objects.get()
    page.goto(f"{site}/nop-ho-so/1.001193/{draft.pk}/tre/")
    log = []
    page.on("request", lambda r: log.append((r.method, r.url)))
    page.on("console", lambda m: log.append(m.text))
    page.on("response", lambda r: log.append((r.status, r.url)))
    page.locator("#f-ho_ten").type("Lò Văn An")
    page.wait_for_timeout(3800)
    draft.refresh_from_db()
    assert (draft.answers.get("tre") or {}).get("ho_ten") == "Lò Văn An", log
    context.close()


def test_photos_are_shrunk_in_the_browser_before_they_are_sent(browser, site):
    """A 4000×3000 phone photo leaves the browser at most 2000 px wide and much lighter;
    the server gets the smaller file (and would shrink it itself without JavaScript)."""
    import io

    from PIL import Image

    context = signed_in(browser, site, javascript=True)
    page = context.new_page()
    page.goto(site + "/nop-ho-so/1.001193/?bat-dau=1")
    page.wait_for_url("**/nguoi_khai/")
    draft = Draft.objects.get()
    from django.test import Client

    client = Client()
    client.force_login(draft.citizen)
    client.post(f"/nop-ho-so/1.001193/{draft.pk}/tre/", {
        "noi_sinh": "co_so_y_te", "action": "autosave"})
    page.goto(f"{site}/nop-ho-so/1.001193/{draft.pk}/giay_chung_sinh/")
    noisy = Image.effect_noise((4000, 3000), 64).convert("RGB")  # a photo, not a flat page
    out = io.BytesIO()
    noisy.save(out, "JPEG", quality=95)
    original = len(out.getvalue())
    page.locator("#f-file").set_input_files(
        files=[{"name": "IMG_2041.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}])
    # A selector, not wait_for_function: its string predicate is eval'd, which the CSP blocks.
    page.locator("#f-file[data-shrunk]").wait_for(state="attached")
    sent = int(page.locator("#f-file").get_attribute("data-shrunk"))
    assert sent < original / 2
    with page.expect_navigation():
        page.locator("button[value=continue]").click()
    draft.refresh_from_db()
    stored = draft.uploads["giay_chung_sinh"][0]
    assert stored["size"] <= sent
    context.close()
