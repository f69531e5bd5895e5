"""The dossier page: summary, history, and the actions the official may take now."""

import re
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from django.utils.translation import gettext

from motcua.core.calendar import next_working_moment
from motcua.dossiers.models import Dossier, DossierEvent, NationalStatus
from tests.files import pdf_bytes

STALE = (
    "This dossier was just updated by someone else. Here is its current state: "
    "check it and act again if still needed."
)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def actions(client, code: str) -> list[str]:
    response = client.get(f"/mot-cua/ho-so/{code}/")
    assert response.status_code == 200
    return [a["choice"].key for a in response.context["actions"]]


def act(client, dossier, action: str, **fields):
    data = {"action": action, "expected_version": dossier.lock_version, **fields}
    return client.post(f"/mot-cua/ho-so/{dossier.code}/xu-ly/", data, follow=True)


def test_the_page_shows_summary_papers_and_history(login, receive):
    dossier = receive("batxat")
    response = login("batxat.tiepnhan").get(f"/mot-cua/ho-so/{dossier.code}/")
    body = text(response)
    assert dossier.code in body
    assert "Đăng ký khai sinh" in body
    assert "Lò Thị Mai" in body and "010190012345" in body
    assert str(NationalStatus.RECEIVED.label) in body
    assert "Chờ chuyển xử lý" in body  # the step, from the workflow
    history = response.context["history"]
    assert [row.actor.username for row in history] == ["batxat.tiepnhan"]
    assert "Nguyễn Thị Hoa" in body  # who received it
    assert len(response.context["papers"]) == dossier.papers.count() >= 1
    assert f"/mot-cua/ho-so/{dossier.code}/phieu/01.pdf" in body


def test_action_buttons_match_the_roles(login, receive, client):
    dossier = receive("batxat")
    desk = actions(login("batxat.tiepnhan"), dossier.code)
    assert "assign" in desk and "request_supplement" in desk
    assert not {"propose", "approve", "refuse"} & set(desk)
    assert actions(login("batxat.chuyenvien"), dossier.code) == []
    assert "refuse" in actions(login("batxat.pheduyet"), dossier.code)
    assert "approve" not in actions(login("batxat.pheduyet"), dossier.code)


def test_a_dossier_goes_through_the_whole_workflow_by_buttons(login, receive):
    dossier = receive("batxat")
    desk = login("batxat.tiepnhan")
    page = act(desk, dossier, "assign", note="Chuyển anh Minh")
    assert page.status_code == 200
    dossier.refresh_from_db()
    assert dossier.state == "appraising"
    specialist = login("batxat.chuyenvien")
    assert actions(specialist, dossier.code)[:1] == ["propose"]
    act(specialist, dossier, "propose")
    dossier.refresh_from_db()
    approver = login("batxat.pheduyet")
    assert {"approve", "send_back", "refuse"} <= set(actions(approver, dossier.code))
    act(approver, dossier, "approve")
    dossier.refresh_from_db()
    assert dossier.status == NationalStatus.DECIDED
    desk = login("batxat.tiepnhan")
    assert "return_result" in actions(desk, dossier.code)
    # "Electronic result" needs the file: without one the return is refused, nothing set.
    refused = act(desk, dossier, "return_result", electronic="on")
    assert refused.status_code == 400
    dossier.refresh_from_db()
    assert dossier.status == NationalStatus.DECIDED and not dossier.electronic_result
    pdf = SimpleUploadedFile("ket-qua.pdf", pdf_bytes(), "application/pdf")
    desk.post(
        f"/mot-cua/ho-so/{dossier.code}/ket-qua/",
        {"expected_version": dossier.lock_version, "result_file": pdf},
    )
    dossier.refresh_from_db()
    assert dossier.electronic_result and dossier.result_file
    page = act(desk, dossier, "return_result", electronic="on")
    dossier.refresh_from_db()
    assert dossier.status == NationalStatus.RETURNED and dossier.electronic_result
    labels = [row.label for row in page.context["history"]]
    assert labels[1:] == [
        "Chuyển chuyên viên xử lý",
        "Trình phê duyệt",
        "Phê duyệt, ban hành kết quả",
        gettext("Electronic result attached"),
        gettext("Result returned"),
    ]


def test_a_stale_post_shows_the_message_and_applies_nothing(login, receive):
    dossier = receive("batxat")
    desk = login("batxat.tiepnhan")
    first = act(desk, dossier, "assign")  # dossier still holds the old lock_version
    assert first.status_code == 200
    events = DossierEvent.objects.filter(dossier=dossier).count()
    again = act(desk, dossier, "assign")
    assert again.status_code == 200
    assert again.redirect_chain[-1][0] == f"/mot-cua/ho-so/{dossier.code}/"
    with translation.override("vi"):
        assert gettext(STALE) in text(again)
    assert DossierEvent.objects.filter(dossier=dossier).count() == events
    # Also when the action is still possible, an old version is refused.
    dossier.refresh_from_db()
    specialist = login("batxat.chuyenvien")
    stale = {"action": "propose", "expected_version": dossier.lock_version - 1}
    response = specialist.post(f"/mot-cua/ho-so/{dossier.code}/xu-ly/", stale, follow=True)
    with translation.override("vi"):
        assert gettext(STALE) in text(response)
    dossier.refresh_from_db()
    assert dossier.state == "appraising"


def test_reasons_are_asked_one_per_line_and_errors_stay_beside_the_form(login, receive):
    dossier = receive("batxat")
    desk = login("batxat.tiepnhan")
    empty = act(desk, dossier, "request_supplement", missing="  \n ")
    assert empty.status_code == 400
    form = next(a for a in empty.context["actions"] if a["choice"].key == "request_supplement")
    assert form["open"] and form["form"].errors["missing"]
    done = act(
        desk,
        dossier,
        "request_supplement",
        missing="Tờ khai đăng ký khai sinh: thiếu chữ ký\nGiấy chứng sinh: bản chính",
        contact="Chị Hoa, quầy số 2",
    )
    assert done.status_code == 200
    dossier.refresh_from_db()
    assert dossier.status == NationalStatus.SUPPLEMENT_REQUESTED
    event = DossierEvent.objects.filter(dossier=dossier).last()
    assert event.data["missing"] == [
        "Tờ khai đăng ký khai sinh: thiếu chữ ký",
        "Giấy chứng sinh: bản chính",
    ]


def test_an_action_of_another_step_is_refused_with_a_message(login, receive):
    dossier = receive("batxat")
    act(login("batxat.tiepnhan"), dossier, "assign")
    dossier.refresh_from_db()
    # "consult" belongs to another workflow; "approve" to a later step.
    for action in ["consult", "approve"]:
        response = act(login("batxat.chuyenvien"), dossier, action)
        assert response.status_code == 200
        with translation.override("vi"):
            assert gettext("This action is not possible now for this dossier.") in text(response)
    dossier.refresh_from_db()
    assert dossier.state == "appraising"


def test_form_and_service_errors_show_beside_the_apology_form(login, receive):
    dossier = receive("batxat")
    due = next_working_moment(timezone.now() + timedelta(days=10))
    Dossier.objects.filter(pk=dossier.pk).update(due_at=due, appointment_at=due)
    dossier.refresh_from_db()
    # Form 04 is the competent agency's: its approver sends it, not the desk.
    assert "apologize" not in actions(login("batxat.tiepnhan"), dossier.code)
    desk = login("batxat.pheduyet")

    def apology(response):
        assert response.status_code == 400
        return next(a for a in response.context["actions"] if a["choice"].key == "apologize")

    past = apology(
        act(desk, dossier, "apologize", reason="Chờ xác minh", new_due_at="2001-01-01T08:00")
    )
    assert past["open"] and past["form"].errors["new_due_at"]
    # A date before the current due moment: the service refuses (ActionNotAllowed).
    earlier = timezone.localtime(due - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    refused = apology(act(desk, dossier, "apologize", reason="Chờ xác minh", new_due_at=earlier))
    assert refused["form"].non_field_errors()
    dossier.refresh_from_db()
    assert dossier.apologies == 0
    # Outside office hours: refused with the rule named.
    sunday = due + timedelta(days=7 - timezone.localtime(due).weekday() - 1)
    night = timezone.localtime(sunday).strftime("%Y-%m-%dT%H:%M")
    assert apology(act(desk, dossier, "apologize", reason="Chờ", new_due_at=night))[
        "form"
    ].non_field_errors()
    moment = next_working_moment(due + timedelta(days=3)).replace(second=0, microsecond=0)
    later = timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")
    done = act(desk, dossier, "apologize", reason="Chờ xác minh thực địa", new_due_at=later)
    assert done.status_code == 200
    dossier.refresh_from_db()
    assert dossier.apologies == 1 and dossier.due_at == due
    assert dossier.apology_due_at == moment


def test_an_unknown_dossier_is_a_404_not_a_500(login):
    client = login("batxat.tiepnhan")
    assert client.get("/mot-cua/ho-so/khong-co/").status_code == 404
    assert client.post("/mot-cua/ho-so/khong-co/xu-ly/", {"action": "x"}).status_code == 404
    assert client.get("/mot-cua/ho-so/" + "9" * 300 + "/").status_code == 404


def test_the_receipt_slip_prints_as_pdf(login, receive):
    dossier = receive("batxat")
    client = login("batxat.tiepnhan")
    response = client.get(f"/mot-cua/ho-so/{dossier.code}/phieu/01.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert client.get(f"/mot-cua/ho-so/{dossier.code}/phieu/09.pdf").status_code == 404
    # Another commune's officer cannot print it.
    other = login("laocai.tiepnhan")
    assert other.get(f"/mot-cua/ho-so/{dossier.code}/phieu/01.pdf").status_code == 404


def test_an_online_dossier_is_received_then_the_fee_is_requested_and_paid(login, file_online):
    dossier = file_online("batxat")
    desk = login("batxat.tiepnhan")
    assert {"receive", "refuse_reception"} <= set(actions(desk, dossier.code))
    act(desk, dossier, "receive")
    dossier.refresh_from_db()
    assert dossier.status == NationalStatus.RECEIVED
    bad = act(desk, dossier, "request_fee", amount_vnd="-5")
    assert bad.status_code == 400
    act(desk, dossier, "request_fee", description="Lệ phí cấp bản sao", amount_vnd="8000")
    dossier.refresh_from_db()
    assert (dossier.status, dossier.fee_amount) == (NationalStatus.FEE_REQUESTED, 8000)
    waiting = desk.get("/mot-cua/", {"box": "waiting"})
    assert [row.dossier.code for row in waiting.context["page"].rows] == [dossier.code]
    page = desk.get(f"/mot-cua/ho-so/{dossier.code}/").content.decode()
    assert "Lệ phí cấp bản sao" in page
    wrong = desk.post(f"/mot-cua/ho-so/{dossier.code}/phi/thu-tai-quay/",
                      {"how": "cash", "amount_vnd": "5000"}, follow=True)
    assert "8000" in wrong.content.decode() and dossier.bills.get().state == "open"
    desk.post(f"/mot-cua/ho-so/{dossier.code}/phi/thu-tai-quay/",
              {"how": "cash", "amount_vnd": "8000"})
    dossier.refresh_from_db()
    assert dossier.fee_paid_at is not None and not dossier.paid_online
    assert dossier.status == NationalStatus.RECEIVED
    payment = dossier.bills.get().payments.get()
    receipt = desk.get(
        f"/mot-cua/ho-so/{dossier.code}/bien-lai/{payment.receipt_series}-{payment.receipt_number}.pdf"
    )
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")


def test_refusing_at_reception_needs_reasons(login, file_online):
    dossier = file_online("batxat")
    desk = login("batxat.tiepnhan")
    empty = act(desk, dossier, "refuse_reception", reasons="\n\n")
    assert empty.status_code == 400
    act(desk, dossier, "refuse_reception", reasons="Sai thủ tục\nThiếu tờ khai")
    dossier.refresh_from_db()
    assert dossier.status == NationalStatus.NOT_RECEIVED
    event = DossierEvent.objects.filter(dossier=dossier).last()
    assert event.data["reasons"] == ["Sai thủ tục", "Thiếu tờ khai"]
