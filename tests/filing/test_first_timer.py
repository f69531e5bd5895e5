"""Issue 12's acceptance journey: a first-time citizen, signed in with VNeID (the local
simulator), files Đăng ký khai sinh for a baby born at home on a 360-px phone, with
JavaScript on and off, from the home page to the confirmation. The test counts the
screens (documents the browser shows) and the characters typed, prints both, and holds
them to at most 12 screens and 60 characters; axe-core runs on every screen, the VNeID
page included, and nothing may scroll sideways."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from motcua.accounts.contrib.population.people import demo_person, vneid_default
from motcua.dossiers.models import Dossier, DossierPaper

from .test_e2e import photo_jpeg

pytestmark = pytest.mark.browser

FATHER = "010200006318"  # Nông Văn Hải, in the population database only


@pytest.fixture
def site(transactional_db, live_server):
    call_command("load_demo", verbosity=0, history_days=0)
    return live_server.url


class Journey:
    """The screens the citizen sees and what they type."""

    def __init__(self, page, assert_accessible):
        self.page = page
        self.assert_accessible = assert_accessible
        self.screens: list[str] = []
        self.typed = 0
        self.loads = 0
        page.on("load", lambda _page: self._loaded())

    def _loaded(self) -> None:
        self.loads += 1

    def screen(self, what: str) -> None:
        page = self.page
        page.wait_for_load_state("load")
        self.assert_accessible(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{what}: {width}px wide at {page.url}"
        self.screens.append(what)

    def type(self, selector: str, text: str) -> None:
        self.page.locator(selector).fill(text)
        self.typed += len(text)

    def go(self, locator) -> None:
        with self.page.expect_navigation():
            locator.click()


@pytest.mark.parametrize("vneid", [{"consent_page": True}], indirect=True)
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_first_timer_files_a_home_birth_in_few_screens(
    browser, site, vneid, population, assert_accessible, javascript
):
    mother = vneid_default()
    context = browser.new_context(
        java_script_enabled=javascript, viewport={"width": 360, "height": 740}, locale="vi-VN"
    )
    page = context.new_page()
    trip = Journey(page, assert_accessible)

    page.goto(site + "/")
    trip.screen("home")
    trip.type("#q", "khai sinh")
    trip.go(page.get_by_role("button", name="Tìm", exact=True))
    trip.screen("search results")
    first = page.locator("li.hit a").first
    assert first.inner_text() == "Đăng ký khai sinh"
    trip.go(first)
    trip.screen("procedure")
    trip.go(page.get_by_role("link", name="Nộp hồ sơ trực tuyến"))
    assert "/dang-nhap/" in page.url
    trip.screen("sign in")
    trip.go(page.get_by_role("button", name="Đăng nhập bằng VNeID"))
    assert page.url.startswith(vneid.issuer)
    trip.screen("VNeID: share my details")
    trip.go(page.get_by_role("button", name="Đồng ý và tiếp tục"))

    # VNeID told who she is, where she lives and her phone: the first question is the
    # first thing not known.
    assert page.url.endswith("/quan_he/"), page.url
    assert "Bước 1 trên 5" in page.locator(".progress").inner_text()
    trip.screen("question: who are you to the baby")
    page.get_by_label("Mẹ", exact=True).check()
    trip.go(page.locator("button[value=continue]"))

    assert page.url.endswith("/tre/")
    assert "Bước 2 trên 5" in page.locator(".progress").inner_text()
    trip.screen("question: the baby")
    trip.type("#f-ho_ten", "Nông Văn An")
    page.get_by_label("Con trai", exact=True).check()
    trip.type("#f-ngay_sinh", "2-12-26")
    page.get_by_label("Ở nhà", exact=True).check()
    if javascript:  # the place of birth is asked only for a hospital or elsewhere
        assert page.locator("#f-ten_noi_sinh").is_hidden()
        assert "2 tháng 12 năm 2026" in page.locator("#f-ngay_sinh-words").inner_text()
    trip.type("#f-dan_toc", "Tày")
    trip.go(page.locator("button[value=continue]"))

    # The mother declares: only the father's ID number, looked up with her consent.
    assert page.url.endswith("/cha_me/"), page.url
    trip.screen("question: the parents")
    assert page.locator("#f-me").count() == 0
    page.get_by_label("Có", exact=True).check()
    trip.type("#f-cha", FATHER)
    page.locator("#f-dong_y").check()
    trip.go(page.locator("button[value=continue]"))

    # Born at home: a witness's note instead of a birth certificate.
    assert page.url.endswith("/lam_chung/"), page.url
    assert "Bước 4 trên 5" in page.locator(".progress").inner_text()
    trip.screen("papers: the witness's note")
    page.locator("#f-file").set_input_files(
        files=[{"name": "giay-lam-chung.jpg", "mimeType": "image/jpeg", "buffer": photo_jpeg()}]
    )
    trip.go(page.locator("button[value=continue]"))  # "Tiếp tục", not "Tải lên": kept

    assert page.url.endswith("/nhan_ket_qua/"), page.url
    trip.screen("how to receive the result")
    page.get_by_label("Bản điện tử", exact=False).check()
    trip.go(page.locator("button[value=continue]"))

    assert page.url.endswith("/kiem-tra/"), page.url
    trip.screen("check answers")
    body = page.locator("main").inner_text()
    father = demo_person(FATHER)
    for text in (mother["full_name"], "Nông Văn An", "2 tháng 12 năm 2026", father["full_name"],
                 "Cơ sở dữ liệu quốc gia về dân cư", "giay-lam-chung", "Theo VNeID".lower()):
        assert text.lower() in body.lower(), text
    trip.go(page.get_by_role("button", name="Gửi", exact=True))

    assert page.url.endswith("/da-nop/")
    trip.screen("confirmation")
    dossier = Dossier.objects.get()
    assert dossier.code in page.locator("main").inner_text()
    assert page.get_by_role("link", name="Tải giấy tiếp nhận hồ sơ (PDF)").count() == 1

    print(f"\n[{'js' if javascript else 'no-js'}] {len(trip.screens)} screens, "
          f"{trip.typed} characters typed: {' → '.join(trip.screens)}")
    assert len(trip.screens) <= 12, trip.screens
    assert trip.loads == len(trip.screens), "a screen was not checked"
    assert trip.typed <= 60

    # What reaches the desk: the declarant from VNeID, the father from the database, the
    # witness's note as the paper, the result wanted electronically.
    assert dossier.applicant_name == mother["full_name"]
    assert dossier.applicant_id_number == mother["id_number"]
    assert dossier.receiving_agency.unit.name == "Xã Bát Xát"
    answers = dossier.form_data["answers"]
    assert answers["cha_me"]["cha"]["full_name"] == father["full_name"]
    assert answers["cha_me"]["cha"]["source"] == "population"
    assert answers["cha_me"]["me"]["full_name"] == mother["full_name"]
    assert answers["tre"]["noi_sinh"] == "o_nha" and "Bát Xát" in answers["tre"]["ten_noi_sinh"]
    assert DossierPaper.objects.filter(dossier=dossier).count() == 1
    assert dossier.result_delivery == "electronic"
    assert population.queries and population.queries[-1]
    context.close()
