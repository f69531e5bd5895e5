"""Every Circular 01 slip from the back office: forms 01–05 of a dossier once they
apply, and the tracking register (form 06) of the official's agency for a period."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from django.utils.translation import gettext
from pypdf import PdfReader

from motcua.core.calendar import VN_TZ, next_working_moment
from motcua.dossiers.models import Dossier
from motcua.dossiers.services import (
    dossier_act,
    dossier_apologize,
    dossier_refuse,
    dossier_refuse_reception,
    dossier_request_supplement,
)
from motcua.dossiers.slip_contexts import slip_forms
from motcua.reporting.register import RegisterPeriod, register_context

FORMS = ("01", "02", "03", "04", "05")
REGISTER = "/mot-cua/so-theo-doi.pdf"


def slip(client, dossier: Dossier, form: str):
    return client.get(f"/mot-cua/ho-so/{dossier.code}/phieu/{form}.pdf")


def pdf_text(response, *, pages: int = 1) -> str:
    """The text of a PDF response (its first pages), whitespace collapsed."""
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(page.extract_text() for page in reader.pages[:pages])
    return re.sub(r"\s+", " ", text)


def not_found(client, dossier: Dossier, forms) -> None:
    for form in forms:
        assert slip(client, dossier, form).status_code == 404, form


def page_slips(client, dossier: Dossier) -> list[str]:
    """The slips the dossier page offers, by form number."""
    body = client.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    return re.findall(rf"/mot-cua/ho-so/{re.escape(dossier.code)}/phieu/(\d\d)\.pdf", body)


def local(year: int, month: int, day: int, hour: int = 9) -> datetime:
    return datetime(year, month, day, hour, tzinfo=VN_TZ)


# --- forms 01 and 05 --------------------------------------------------------------


def test_a_received_dossier_prints_the_receipt_and_the_control_slip(login, receive, officials):
    dossier = receive("batxat")
    dossier = dossier_act(
        dossier=dossier,
        officer=officials["batxat.tiepnhan"],
        action="assign",
        expected_version=dossier.lock_version,
    )
    desk = login("batxat.tiepnhan")
    assert page_slips(desk, dossier) == ["01", "05"] == slip_forms(dossier=dossier)
    assert dossier.code in pdf_text(slip(desk, dossier, "01"))
    control = pdf_text(slip(desk, dossier, "05"))
    # Each hand-over: the desk's own step, done, then the appraisal at the committee.
    assert "Chờ chuyển xử lý" in control and "Đang thẩm định" in control
    assert "UBND" in control or "Ủy ban" in control
    assert re.search(r"Trước hạn|Đúng hạn|Quá hạn", control)
    not_found(desk, dossier, ["02", "03", "04", "06", "09"])


def test_an_official_of_another_agency_gets_404(login, receive):
    dossier = receive("batxat")
    not_found(login("laocai.tiepnhan"), dossier, FORMS)


def test_an_online_dossier_not_yet_received_has_no_slip(login, file_online):
    dossier = file_online("batxat")
    desk = login("batxat.tiepnhan")
    assert page_slips(desk, dossier) == []
    not_found(desk, dossier, FORMS)


# --- forms 02, 03, 04 -------------------------------------------------------------


def test_the_supplement_request_lists_each_missing_paper_and_why(login, receive, officials):
    dossier = receive("batxat")
    dossier_request_supplement(
        dossier=dossier,
        officer=officials["batxat.tiepnhan"],
        missing=["Giấy chứng sinh: bản đã nộp bị tẩy xóa", "Tờ khai đăng ký khai sinh"],
        contact="Chị Hoa, quầy số 2",
        expected_version=dossier.lock_version,
    )
    dossier.refresh_from_db()
    desk = login("batxat.tiepnhan")
    assert page_slips(desk, dossier) == ["01", "02", "05"]
    text = pdf_text(slip(desk, dossier, "02"))
    assert "Giấy chứng sinh" in text and "Bản đã nộp bị tẩy xóa" in text
    assert "Tờ khai đăng ký khai sinh" in text
    assert "Chị Hoa, quầy số 2" in text
    not_found(desk, dossier, ["03", "04"])


def test_a_refusal_at_reception_prints_its_reasons(login, file_online, officials):
    dossier = file_online("batxat")
    dossier_refuse_reception(
        dossier=dossier,
        officer=officials["batxat.tiepnhan"],
        reasons=["Thủ tục không thuộc thẩm quyền của xã"],
        expected_version=dossier.lock_version,
    )
    dossier.refresh_from_db()
    desk = login("batxat.tiepnhan")
    assert page_slips(desk, dossier) == ["03"]
    assert "Thủ tục không thuộc thẩm quyền của xã" in pdf_text(slip(desk, dossier, "03"))
    not_found(desk, dossier, ["01", "02", "04", "05"])


def test_a_refusal_during_processing_prints_its_reasons(login, receive, officials):
    dossier = receive("batxat")
    dossier_refuse(
        dossier=dossier,
        officer=officials["batxat.pheduyet"],
        reasons=["Người yêu cầu không đủ điều kiện"],
        expected_version=dossier.lock_version,
    )
    dossier.refresh_from_db()
    desk = login("batxat.tiepnhan")
    assert page_slips(desk, dossier) == ["01", "03", "05"]
    assert "Người yêu cầu không đủ điều kiện" in pdf_text(slip(desk, dossier, "03"))


def test_the_apology_prints_the_reason_and_the_new_date(login, receive, officials):
    dossier = receive("batxat")
    due = next_working_moment(timezone.now() + timedelta(days=10))
    Dossier.objects.filter(pk=dossier.pk).update(due_at=due, appointment_at=due)
    dossier.refresh_from_db()
    new_due = timezone.localtime(next_working_moment(due + timedelta(days=3)), VN_TZ).replace(
        hour=15, minute=30, second=0, microsecond=0
    )
    dossier_apologize(
        dossier=dossier,
        officer=officials["batxat.pheduyet"],  # form 04 is the competent agency's
        reason="Chờ xác minh thực địa",
        new_due_at=new_due,
        expected_version=dossier.lock_version,
    )
    dossier.refresh_from_db()
    desk = login("batxat.tiepnhan")
    assert page_slips(desk, dossier) == ["01", "04", "05"]
    text = pdf_text(slip(desk, dossier, "04"))
    assert "Chờ xác minh thực địa" in text
    assert f"15 giờ 30 phút, ngày {new_due:%d/%m/%Y}" in text
    # The appointment it replaces is the one of the receipt.
    assert f"ngày {timezone.localtime(due, VN_TZ):%d/%m/%Y}" in text


# --- form 06 ---------------------------------------------------------------------


@pytest.fixture
def february(receive) -> dict[str, Dossier]:
    """Dossiers received in February 2026 by Bát Xát (two), by Lào Cai ward (one), and
    one by Bát Xát just after midnight on 1 March, Vietnam time (still February in UTC)."""
    moments = {
        "second": ("batxat", local(2026, 2, 20)),
        "first": ("batxat", local(2026, 2, 10)),
        "other_agency": ("laocai", local(2026, 2, 15)),
        "march": ("batxat", local(2026, 3, 1, 0).replace(minute=30)),
    }
    made = {}
    for key, (team, moment) in moments.items():
        dossier = receive(team)
        Dossier.objects.filter(pk=dossier.pk).update(received_at=moment)
        made[key] = dossier
    return made


def test_the_register_of_a_month_lists_the_agencys_dossiers_in_order(login, february):
    text = pdf_text(login("batxat.tiepnhan").get(REGISTER, {"thang": "2026-02"}), pages=2)
    assert "SỔ THEO DÕI HỒ SƠ" in text and "Tháng 02 năm 2026" in text
    first, second = february["first"].code, february["second"].code
    assert first in text and second in text
    assert text.index(first) < text.index(second)
    assert february["other_agency"].code not in text
    assert february["march"].code not in text


def test_the_register_of_a_range_of_days(login, february):
    client = login("batxat.tiepnhan")
    text = pdf_text(
        client.get(REGISTER, {"thang": "2026-02", "tu": "2026-02-15", "den": "2026-03-01"})
    )
    assert "Từ ngày 15/02/2026 đến ngày 01/03/2026" in text
    assert february["second"].code in text and february["march"].code in text
    assert february["first"].code not in text


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"thang": "2026-13"},
        {"thang": "tháng hai"},
        {"thang": "9999-12"},
        {"tu": "2026-02-01"},
        {"tu": "2026-03-01", "den": "2026-02-01"},
        {"tu": "2026-02-30", "den": "2026-03-01"},
        {"tu": "2020-01-01", "den": "2026-01-01"},
        {"tu": "9999-12-31", "den": "9999-12-31"},
    ],
)
def test_a_bad_or_missing_period_gives_a_message(login, query):
    response = login("batxat.tiepnhan").get(REGISTER, query, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [("/mot-cua/", 302)]
    shown = [str(m) for m in response.context["messages"]]
    prefix = gettext("The tracking register cannot be printed: %(error)s") % {"error": ""}
    assert shown and all(m.startswith(prefix) and len(m) > len(prefix) for m in shown)


def test_the_register_stops_at_its_cap_and_says_so(agencies, february):
    period = RegisterPeriod(first=local(2026, 2, 1).date(), last=local(2026, 2, 28).date())
    context = register_context(agency=agencies["batxat_desk"], period=period, max_rows=1)
    assert [row.code for row in context.register_rows] == [february["first"].code]
    assert "chỉ in 1 hồ sơ đầu tiên" in context.period_label


def test_the_inbox_offers_the_register_form(login):
    body = login("batxat.tiepnhan").get("/mot-cua/").content.decode()
    assert f'action="{REGISTER}"' in body and 'name="thang"' in body
