"""Issue 5's acceptance journey in a real headless Chromium on a 360-px phone, with
JavaScript on and off: a first-time citizen finds "Đăng ký khai sinh" typed without
diacritics, signs in with a one-time code, answers every question, uploads a photo,
checks the answers, sends, and sees the dossier code. axe-core (WCAG 2.2 AA) runs on
every page visited, error pages included, and nothing may scroll sideways."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from PIL import Image, ImageDraw

from motcua.dossiers.models import Dossier, Draft
from motcua.notifications.models import Notification

pytestmark = pytest.mark.browser

PHONE = "0987 654 321"
CODE = "1.001193"


@pytest.fixture
def site(transactional_db, live_server):
    call_command("load_demo", verbosity=0, history_days=0)
    return live_server.url


def photo_jpeg() -> bytes:
    """A small real photo-like JPEG: a sheet of paper with lines of "text" on it."""
    image = Image.new("RGB", (480, 640), "#d9d4c7")
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 440, 600), fill="white")
    for y in range(80, 560, 28):
        draw.line((70, y, 410, y), fill="#333333", width=3)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


class Visit:
    """Checks every page the citizen sees: axe, no sideways scroll; keeps the list."""

    def __init__(self, page, assert_accessible):
        self.page = page
        self.assert_accessible = assert_accessible
        self.seen: list[str] = []

    def __call__(self, what: str) -> None:
        page = self.page
        page.wait_for_load_state("load")
        self.assert_accessible(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{what}: {width}px wide at {page.url}"
        self.seen.append(what)

    def submit(self, locator) -> None:
        """Click a submit button and wait for the page the server answers with."""
        with self.page.expect_navigation():
            locator.click()


def otp_code() -> str:
    return Notification.objects.filter(template="otp").latest("pk").context["code"]


def continue_button(page):
    return page.locator("button[value=continue]")


def answer_person(page, *, name: str, birth: str, sex: str, ethnicity: str) -> None:
    page.locator("#f-full_name").fill(name)
    page.locator("#f-birth_date").fill(birth)
    page.locator("label.radio", has_text=sex).click()
    page.locator("#f-ethnicity").fill(ethnicity)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_first_time_citizen_files_a_birth_registration(
    browser, site, assert_accessible, javascript
):
    context = browser.new_context(
        java_script_enabled=javascript, viewport={"width": 360, "height": 740}, locale="vi-VN"
    )
    page = context.new_page()
    visit = Visit(page, assert_accessible)

    # Home → search typed without diacritics → the procedure.
    page.goto(site + "/")
    visit("home")
    page.locator("#q").fill("dang ky khai sinh")
    visit.submit(page.get_by_role("button", name="Tìm", exact=True))
    assert "/tim-kiem/" in page.url
    visit("search results")
    first = page.locator("li.hit a").first
    assert first.inner_text() == "Đăng ký khai sinh"
    visit.submit(first)
    assert page.url.endswith(f"/thu-tuc/{CODE}/")
    visit("procedure")

    # File online → sign in (a first-time citizen: no account yet).
    visit.submit(page.get_by_role("link", name="Nộp hồ sơ trực tuyến"))
    assert "/dang-nhap/" in page.url
    visit("sign in")
    page.locator("#id_phone").fill("12345")
    visit.submit(page.get_by_role("button", name="Gửi mã cho tôi"))
    assert page.locator("#id_phone").get_attribute("aria-invalid") == "true"
    visit("sign in, bad phone")
    page.locator("#id_phone").fill(PHONE)
    visit.submit(page.get_by_role("button", name="Gửi mã cho tôi"))
    assert page.url.endswith("/dang-nhap/ma/")
    visit("code")
    code = otp_code()
    page.locator("#id_code").fill("000000" if code != "000000" else "111111")
    visit.submit(page.get_by_role("button", name="Đăng nhập", exact=True))
    assert page.locator("#id_code").get_attribute("aria-invalid") == "true"
    visit("code, wrong")
    page.locator("#id_code").fill(code)
    visit.submit(page.get_by_role("button", name="Đăng nhập", exact=True))
    # Sign-in goes straight on to the first question; nothing is said to be prefilled
    # for a first-timer.
    assert page.url.endswith("/nguoi_khai/"), "sign-in brings the citizen to the form"
    assert "hồ sơ trước" not in page.locator("main").inner_text()
    visit("question: applicant")
    visit.submit(continue_button(page))
    assert page.locator(".summary a[href='#f-full_name']").count() == 1
    assert page.locator("#f-full_name").get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "error-summary"
    visit("question: applicant, nothing answered")
    answer_person(page, name="Lò Thị Mai", birth="5-3-90", sex="Nữ", ethnicity="Giáy")
    visit.submit(continue_button(page))

    assert page.url.endswith("/cccd_nguoi_khai/")
    visit("question: citizen id")
    page.locator("#f-value").fill("123")
    visit.submit(continue_button(page))
    assert page.locator("#f-value").get_attribute("aria-invalid") == "true"
    visit("question: citizen id, wrong")
    page.locator("#f-value").fill("010190000123")
    visit.submit(continue_button(page))

    # The phone the code went to is known: not asked again.
    assert page.url.endswith("/noi_o/")
    visit("question: address")
    page.locator("#f-commune").select_option(index=1)
    page.locator("#f-street").fill("Thôn Trung Chải")
    # Stop here and come back later from the list of unfinished forms.
    visit.submit(page.locator("button[value=save]"))
    assert page.url.endswith("/ho-so-cua-toi/nhap/")
    visit("unfinished forms")
    visit.submit(page.locator("li.hit a").first)
    assert page.url.endswith("/noi_o/")
    assert page.locator("#f-street").input_value() == "Thôn Trung Chải"
    visit.submit(continue_button(page))

    assert page.url.endswith("/quan_he/")
    visit("question: relation")
    page.get_by_label("Mẹ", exact=True).check()
    visit.submit(continue_button(page))

    assert page.url.endswith("/tre/")
    visit("question: the baby")
    page.locator("#f-ho_ten").fill("Lò Văn An")
    page.locator("label.radio", has_text="Con trai").click()
    page.locator("#f-ngay_sinh").fill("1-2-26")
    page.locator("label.radio", has_text="Ở bệnh viện hoặc trạm y tế").click()
    page.locator("#f-ten_noi_sinh").fill("Trạm y tế xã Bát Xát")
    page.locator("#f-dan_toc").fill("Giáy")
    if javascript:  # read back in words while typing
        assert "1 tháng 2 năm 2026" in page.locator("#f-ngay_sinh-words").inner_text()
    visit.submit(continue_button(page))

    # The mother declares: only the father is asked, and he is not named now.
    assert page.url.endswith("/cha_me/")
    visit("question: parents")
    assert page.locator("#f-me").count() == 0
    page.locator("label.radio", has_text="Không, để khai sau").click()
    visit.submit(continue_button(page))

    # The photo of the birth certificate.
    assert page.url.endswith("/giay_chung_sinh/")
    visit("upload")
    visit.submit(page.locator("button[value=upload]"))
    assert page.locator("#f-file").get_attribute("aria-invalid") == "true"
    visit("upload, no file chosen")
    page.locator("#f-file").set_input_files(
        files=[{"name": "giay-chung-sinh.jpg", "mimeType": "image/jpeg", "buffer": photo_jpeg()}]
    )
    # "Tiếp tục" instead of "Tải lên": the chosen photo is kept all the same.
    visit.submit(continue_button(page))
    assert page.url.endswith("/nhan_ket_qua/")
    visit("how to receive the result")
    page.locator("label.radio", has_text="Tại Bộ phận Một cửa").click()
    visit.submit(continue_button(page))

    # Check the answers, send, see the code.
    assert page.url.endswith("/kiem-tra/")
    visit("check answers")
    body = page.locator("main").inner_text()
    assert "Lò Văn An" in body and "giay-chung-sinh" in body
    assert "1 tháng 2 năm 2026" in body and "5 tháng 3 năm 1990" in body
    visit.submit(page.get_by_role("button", name="Gửi", exact=True))
    assert page.url.endswith("/da-nop/")
    visit("confirmation")
    dossier = Dossier.objects.get()
    shown = page.locator(".panel .code").inner_text().strip()
    assert shown == dossier.code
    assert Draft.objects.get().dossier_id == dossier.pk
    assert dossier.code in page.locator("main").inner_text()

    # Track it from the public tracking page, as the confirmation says.
    page.goto(site + "/tra-cuu/")
    visit("tracking")
    page.locator("#id_code").fill(shown)
    page.locator("#id_phone_last4").fill("12")
    visit.submit(page.get_by_role("button", name="Tra cứu"))
    visit("tracking, bad digits")
    page.locator("#id_code").fill(shown)
    page.locator("#id_phone_last4").fill("4321")
    visit.submit(page.get_by_role("button", name="Tra cứu"))
    assert shown in page.locator("main").inner_text()
    visit("tracking, found")

    assert len(visit.seen) == 24, visit.seen
    context.close()
