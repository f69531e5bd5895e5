"""Every SMS about a dossier carries its short link, whole, whatever the route; the
supplement request names the papers asked for."""

from __future__ import annotations

import pytest

from motcua.catalog.selectors import procedure_get_current
from motcua.dossiers.services import (
    Applicant,
    dossier_file_online,
    dossier_request_supplement,
)
from motcua.notifications.defaults import DEFAULT_TEMPLATES, SAMPLE_CONTEXT
from motcua.notifications.models import MessageTemplate, Notification
from motcua.notifications.rendering import render_sms
from motcua.notifications.templatetags.notify import papers_short

LINK = SAMPLE_CONTEXT["link"]
# The messages written about a dossier (motcua.dossiers.actions.runner.notify).
DOSSIER_TEMPLATES = [
    "filed",
    "received",
    "supplement_requested",
    "fee_requested",
    "payment_received",
    "apology",
    "result_ready",
    "returned",
    "refused",
    "withdrawn",
    "withdrawal_declined",
]
SITE = "https://dichvucong.laocai.gov.vn"


def template(key: str, **changes) -> MessageTemplate:
    return MessageTemplate(**{**DEFAULT_TEMPLATES[key], **changes}, key=key, version=1)


@pytest.mark.parametrize("key", DOSSIER_TEMPLATES)
@pytest.mark.parametrize("unicode", [False, True])
def test_every_dossier_sms_ends_with_the_whole_short_link(key, unicode):
    sms = render_sms(template(key), SAMPLE_CONTEXT, unicode=unicode)
    assert sms.text.endswith(LINK), sms.text
    assert SAMPLE_CONTEXT["code"] in sms.text  # the code is still read in the text
    assert sms.parts <= 2


@pytest.mark.parametrize("key", DOSSIER_TEMPLATES)
def test_without_a_site_address_the_sms_reads_well_and_fits_one_part(key):
    sms = render_sms(template(key), {**SAMPLE_CONTEXT, "link": ""}, unicode=False)
    assert "http" not in sms.text and "None" not in sms.text
    assert not sms.text.rstrip(".").endswith(":"), sms.text
    assert sms.parts == 1 and not sms.shortened, key


def test_a_text_too_long_is_cut_before_the_link_never_through_it(settings):
    settings.NOTIFY_SMS_MAX_PARTS = 1  # a route booked for single parts
    sms = render_sms(template("supplement_requested"), SAMPLE_CONTEXT, unicode=False)
    assert sms.shortened and sms.parts == 1
    assert sms.text.startswith("Ho so 000.00.32.H37-260213-0001 can bo sung: To khai")
    assert sms.text.endswith(f"... {LINK}")
    settings.NOTIFY_SMS_MAX_PARTS = 2  # Unicode: 134 characters in two parts
    sms = render_sms(template("supplement_requested"), SAMPLE_CONTEXT, unicode=True)
    assert sms.shortened and sms.parts == 2
    assert sms.text.startswith("Hồ sơ 000.00.32.H37-260213-0001 cần bổ sung: Tờ khai")
    assert sms.text.endswith(f"… {LINK}")


def test_the_supplement_sms_names_the_papers_asked_for():
    context = {**SAMPLE_CONTEXT, "missing": ["Giấy chứng sinh (bản chính)", "Tờ khai"]}
    sms = render_sms(template("supplement_requested"), context, unicode=True)
    assert sms.text == (
        "Hồ sơ 000.00.32.H37-260213-0001 cần bổ sung: Giấy chứng sinh (bản chính); Tờ khai. "
        f"Xem: {LINK}"
    )
    # Folded for the default route, with the sample's three papers: two, then the count.
    plain = render_sms(template("supplement_requested"), SAMPLE_CONTEXT, unicode=False)
    assert (
        "can bo sung: To khai dang ky khai sinh (ban chinh); Giay chung sinh (ban chinh) "
        "va 1 giay khac." in plain.text
    )
    assert "bi mo" not in plain.text  # the reason stays in the e-mail and on form 02


def test_papers_short_keeps_names_drops_reasons_and_counts_the_rest():
    assert papers_short(["A: thiếu chữ ký", "B - bản mờ", "C", "D"]) == "A; B và 2 giấy khác"
    assert papers_short(["Giấy chứng sinh"]) == "Giấy chứng sinh"
    assert papers_short("Giấy tờ tùy thân: hết hạn") == "Giấy tờ tùy thân"
    assert papers_short(["Hẹn lúc 08:00 mang bản chính"]) == "Hẹn lúc 08:00 mang bản chính"
    long = "Giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở và tài sản khác"
    cut = papers_short([long])
    assert len(cut) == 40 and cut.endswith("…") and long.startswith(cut[:-1])
    assert papers_short([]) == "" and papers_short(None) == ""
    assert papers_short(["A", "B", "C"], 1) == "A và 2 giấy khác"


def test_the_real_lifecycle_sends_the_link_and_the_papers(
    gateways, settings, receive, officials, django_capture_on_commit_callbacks
):
    settings.NOTIFY_SITE_URL = SITE
    with django_capture_on_commit_callbacks(execute=True):
        dossier = receive()
        dossier_request_supplement(
            dossier=dossier,
            officer=officials["batxat.tiepnhan"],
            expected_version=dossier.lock_version,
            missing=[
                "Giấy chứng sinh (bản chính): bản đã nộp bị mờ",
                "Tờ khai đăng ký khai sinh",
                "Giấy tờ tùy thân của người đi khai sinh",
            ],
        )
    link = f"{SITE}/h/{dossier.short_token}"
    texts = {
        row.template: row
        for row in Notification.objects.filter(dossier=dossier).order_by("id")
    }
    assert set(texts) == {"received", "supplement_requested"}
    contents = [m["body"]["content"] for m in gateways.sms.ledger.messages()]
    assert len(contents) == 2 and all(text.endswith(link) for text in contents), contents
    assert (
        "can bo sung: Giay chung sinh (ban chinh); To khai dang ky khai sinh va 1 giay khac."
        in contents[1]
    )


def test_an_online_filing_sends_the_link_too(gateways, settings, agencies,
                                             django_capture_on_commit_callbacks):
    settings.NOTIFY_SITE_URL = SITE
    with django_capture_on_commit_callbacks(execute=True):
        dossier = dossier_file_online(
            procedure_version=procedure_get_current(code="1.001193"),
            applicant=Applicant(name="Lò Thị Mai", phone="0912345678"),
            receiving_agency=agencies["batxat_desk"],
        )
    [message] = gateways.sms.ledger.messages()
    assert message["body"]["content"] == (
        f"Da gui ho so {dossier.code}. Can bo se bao khi tiep nhan. "
        f"{SITE}/h/{dossier.short_token}"
    )
