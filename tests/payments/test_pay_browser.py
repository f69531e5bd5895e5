"""Filing a fee-bearing procedure and paying it through a gateway simulator, in a real
headless Chromium on a 360-px phone, JavaScript on and off; the receipt is downloaded.
axe-core (WCAG 2.2 AA) runs on every page of ours, nothing may scroll sideways.

The questions are answered through the draft service (tests/filing/test_e2e.py walks
them in the browser); the browser takes over at "check your answers" and sends."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from motcua.catalog.models import FormDefinition
from motcua.catalog.selectors import procedure_get_current
from motcua.filing.drafts import draft_add_uploads, draft_pages, draft_save_answer, draft_start
from motcua.organizations.models import AdministrativeUnit
from motcua.payments.models import BillState, Payment
from motcua.payments.simulated import simulated_settings, simulators_start
from tests.browsing import phone_context
from tests.filing.test_every_demo_procedure import jpeg_bytes, raw_answer

pytestmark = pytest.mark.browser

BUSINESS = "9.900011"  # "nộp trực tuyến: 50.000 đồng/ hồ sơ"


@pytest.fixture
def site(transactional_db, live_server, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("load_demo", verbosity=0, history_days=0)
    sims = simulators_start(site_url=live_server.url)
    for name, value in simulated_settings(sims).items():
        setattr(settings, name, value)
    settings.PAY_SITE_URL = live_server.url
    yield live_server.url
    for sim in sims.values():
        sim.stop()


def draft_ready(citizen):
    version = procedure_get_current(code=BUSINESS)
    form = FormDefinition.objects.filter(procedure__code=BUSINESS).order_by("-number").first()
    draft = draft_start(citizen=citizen, procedure_version=version, form_definition=form)
    commune = AdministrativeUnit.objects.get(name="Xã Bát Xát", valid_to__isnull=True).code
    for _ in range(3):  # answers can reveal pages (show_if): go round until all are there
        for page in draft_pages(draft):
            if page["type"] == "upload":
                if not draft.uploads.get(page["id"]):
                    photo = SimpleUploadedFile("giay.jpg", jpeg_bytes(), "image/jpeg")
                    assert draft_add_uploads(draft=draft, page_id=page["id"], files=[photo]) == []
                    draft.refresh_from_db()
            elif page["id"] not in draft.answers:
                draft_save_answer(draft=draft, page_id=page["id"], raw=raw_answer(page, commune))
    return draft


@pytest.mark.parametrize(
    ("javascript", "method"), [(True, "vnpay"), (False, "dvcqg")], ids=["js", "no-js"]
)
def test_citizen_files_pays_online_and_downloads_the_receipt(
    browser, site, assert_accessible, javascript, method
):
    citizen = get_user_model().objects.create_user(username="0912555666")
    draft = draft_ready(citizen)
    context, _client = phone_context(browser, site, user=citizen, javascript=javascript)
    page = context.new_page()
    seen: list[str] = []

    def visit(what: str) -> None:
        page.wait_for_load_state("load")
        assert_accessible(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{what}: {width}px wide at {page.url}"
        seen.append(what)

    def submit(locator) -> None:
        with page.expect_navigation():
            locator.click()

    page.goto(site + reverse("filing:check", args=[BUSINESS, draft.pk]))
    visit("check answers")
    submit(page.locator("main form button[type=submit]").last)
    visit("sent")
    fee = page.locator("section.todo")
    assert "50.000" in fee.inner_text()
    submit(fee.get_by_role("link"))
    visit("pay")
    # Nothing chosen: the error names the question.
    submit(page.locator("main form button[type=submit]").first)
    assert page.locator(".summary a[href='#f-method']").count() == 1
    visit("pay, nothing chosen")
    page.locator(f"input[name=method][value={method}]").check()
    submit(page.locator("main form button[type=submit]").first)
    # The gateway's own page (the simulator's): pay there.
    assert page.url.startswith("http://127.0.0.1:") and site not in page.url
    submit(page.get_by_role("button", name="Thanh toán"))
    assert page.url.startswith(site)
    visit("payment result")
    assert "Đã nhận" in page.locator("main").inner_text() or page.locator("p.notice").count() == 1
    payment = Payment.objects.get()
    assert payment.method == method and payment.bill.state == BillState.PAID
    with page.expect_download() as download:
        page.locator(
            f"a[href$='{payment.receipt_series}-{payment.receipt_number}.pdf']"
        ).first.click()
    pdf = download.value.path().read_bytes()
    assert pdf.startswith(b"%PDF")
    page.goto(f"{site}/ho-so-cua-toi/{payment.bill.dossier.code}/")
    visit("dossier after paying")
    assert len(seen) == 6, seen
    context.close()
