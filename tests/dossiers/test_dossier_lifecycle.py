"""A dossier of each workflow walked through every path, with exact due moments.

Tết 2026: Saturday 14 to Sunday 22 February are not working days, so a dossier
received on Friday 13 February 16:10 with 2 working days is due on Tuesday 24
February 16:10 (50 minutes on Friday, 8 hours on Monday, 7 h 10 on Tuesday).
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.signals import post_save

from motcua.dossiers.actions.base import ActionNotAllowed
from motcua.dossiers.models import Dossier, NationalStatus, Outcome
from motcua.dossiers.results import dossier_attach_result
from motcua.dossiers.services import (
    Applicant,
    PaperInput,
    dossier_act,
    dossier_apologize,
    dossier_fee_paid,
    dossier_file_online,
    dossier_receive,
    dossier_receive_at_counter,
    dossier_refuse,
    dossier_refuse_reception,
    dossier_request_fee,
    dossier_request_supplement,
    dossier_request_withdrawal,
    dossier_return_result,
    dossier_stop,
    dossier_supplement_complete,
)
from motcua.notifications.models import Notification
from tests.files import pdf_bytes

from .conftest import BIRTH, CUSTOM, LAND, at

DESK = "000.01.32.H37"  # service centre of commune 1 (receives)
COMMITTEE = "000.01.31.H37"  # People's Committee of commune 1 (competent)
POLICE = "000.01.33.H37"  # commune police (consulted)

APPLICANT = Applicant(
    name="Nguyễn Văn An",
    id_number="010090001234",
    phone="+84 912 345 678",
    email="an@example.vn",
    address="Tổ 5, phường Lào Cai",
)

PAID_ONLINE = {"online": True, "platform": "province"}  # what motcua.payments passes
PAID_AT_DESK = {"online": False, "platform": "counter"}


def trail(dossier: Dossier) -> list[tuple[str, str, str, int]]:
    return list(
        dossier.events.order_by("id").values_list("action", "from_state", "to_state", "status")
    )


def templates(dossier: Dossier) -> list[str]:
    return list(
        Notification.objects.filter(dossier=dossier)
        .order_by("id")
        .values_list("template", flat=True)
    )


def counter(world, code: str = BIRTH, **kwargs) -> Dossier:
    return dossier_receive_at_counter(
        officer=world.users["desk"],
        agency=world.agency(DESK),
        procedure_version=world.procedures[code],
        applicant=kwargs.pop("applicant", APPLICANT),
        **kwargs,
    )


def test_default_workflow_fee_pause_and_early_return(world, clock, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    u = world.users
    d = counter(
        world,
        form_data={"child": "Nguyễn Văn Bình"},
        papers=[
            PaperInput(
                "Tờ khai đăng ký khai sinh",
                form="original",
                scanned_at_counter=True,
                file=ContentFile(b"%PDF-1.4", name="to-khai.pdf"),
                required_paper=world.procedures[BIRTH].papers.first(),
            ),
        ],
    )
    assert d.code == "000.01.32.H37-260213-0001"
    assert (d.state, d.status, d.lock_version) == ("received", NationalStatus.RECEIVED, 1)
    assert d.competent_agency == world.agency(COMMITTEE)
    assert d.filed_by == u["desk"] and d.channel == 1
    assert d.applicant_phone == "0912345678"
    assert d.received_at == d.clock_started_at == at(2026, 2, 13, 16, 10)
    assert d.due_at == at(2026, 2, 24, 16, 10)
    assert d.scanned_at_counter and d.papers.get().file.read() == b"%PDF-1.4"
    receive = d.events.get()
    # Received after 15:00: transferred on the next working morning, after Tết.
    assert receive.data["transfer_at"] == "2026-02-23T07:00:00+07:00"
    assert receive.data["due_at"] == "2026-02-24T16:10:00+07:00"
    assert receive.actor == u["desk"] and receive.agency == world.agency(DESK)
    note = Notification.objects.get(dossier=d, template="received")
    assert (note.template, note.recipient_phone, note.recipient_email, note.status) == (
        "received",
        "0912345678",
        "an@example.vn",
        "created",
    )
    assert note.context["code"] == d.code and note.event == receive

    clock.set(2026, 2, 23, 8, 0)
    d = dossier_act(
        dossier=d, officer=u["desk"], action="assign", expected_version=1, assignee=u["specialist"]
    )
    assert (d.state, d.status, d.assignee, d.lock_version) == (
        "appraising",
        NationalStatus.PROCESSING,
        u["specialist"],
        2,
    )

    clock.set(2026, 2, 23, 9, 0)
    d = dossier_request_fee(dossier=d, officer=u["desk"], amount_vnd=50_000, expected_version=2)
    assert (d.state, d.status, d.resume_state) == (
        "fee",
        NationalStatus.FEE_REQUESTED,
        "appraising",
    )
    assert d.paused_at == at(2026, 2, 23, 9, 0) and d.fee_amount == 50_000

    clock.set(2026, 2, 25, 10, 0)
    d = dossier_fee_paid(dossier=d, expected_version=3, payment=PAID_ONLINE)
    # The fee wait does not count: Monday 6 h, Tuesday 8 h, Wednesday 3 h of office
    # time are added to the appointment (24/2 16:10): Tue 50 min, Wed 8 h, Thu 8 h,
    # Fri 10 minutes. The receipt's appointment stays as it was.
    assert d.fee_seconds == 17 * 3600
    assert d.due_at == at(2026, 2, 27, 7, 10)
    assert d.appointment_at == at(2026, 2, 24, 16, 10)
    assert (d.state, d.status, d.paid_online, d.fee_paid_at) == (
        "appraising",
        NationalStatus.PROCESSING,
        True,
        at(2026, 2, 25, 10, 0),
    )
    assert d.paused_at is None

    clock.set(2026, 2, 25, 14, 0)
    d = dossier_act(dossier=d, officer=u["specialist"], action="propose", expected_version=4)
    clock.set(2026, 2, 25, 15, 0)
    d = dossier_act(
        dossier=d, officer=u["approver"], action="approve", expected_version=5, note="Đủ điều kiện"
    )
    assert (d.state, d.status, d.outcome) == ("decided", NationalStatus.DECIDED, Outcome.GRANTED)
    assert d.decided_at == at(2026, 2, 25, 15, 0) and not d.is_late

    clock.set(2026, 2, 25, 16, 0)
    d = dossier_attach_result(
        dossier=d,
        officer=u["approver"],
        expected_version=6,
        upload=SimpleUploadedFile("ket-qua.pdf", pdf_bytes(), "application/pdf"),
    )
    clock.set(2026, 2, 26, 8, 0)
    d = dossier_return_result(dossier=d, officer=u["desk"], expected_version=7, electronic=True)
    assert (d.state, d.status, d.returned_at, d.electronic_result) == (
        "returned",
        NationalStatus.RETURNED,
        at(2026, 2, 26, 8, 0),
        True,
    )
    returned = d.events.last()
    assert returned.data["timing"] == "early" and returned.data["early"] is True
    assert not d.is_late and d.lock_version == 8
    # Filed at the counter: not handled fully online, whatever was electronic.
    assert not d.full_online and returned.data["full_online"] is False

    assert trail(d) == [
        ("receive", "", "received", 2),
        ("assign", "received", "appraising", 4),
        ("request_fee", "appraising", "fee", 6),
        ("fee_paid", "fee", "appraising", 4),
        ("propose", "appraising", "approving", 4),
        ("approve", "approving", "decided", 9),
        ("attach_result", "decided", "decided", 9),
        ("return_result", "decided", "returned", 10),
    ]
    assert templates(d) == [
        "received",
        "fee_requested",
        "payment_received",
        "result_ready",
        "returned",
    ]


def test_consultation_workflow_online_supplement_apology_and_send_back(world, clock):
    u = world.users
    clock.set(2026, 3, 2, 9, 0)
    d = dossier_file_online(
        procedure_version=world.procedures[LAND],
        applicant=APPLICANT,
        receiving_agency=world.agency(DESK),
    )
    assert d.code == "000.01.32.H37-260302-0001"
    assert (d.state, d.status, d.channel, d.filed_by) == (
        "submitted",
        NationalStatus.FILED,
        2,
        None,
    )
    assert d.submitted_at == at(2026, 3, 2, 9, 0) and d.received_at is None and d.due_at is None
    assert templates(d) == ["filed"]  # told at once that it was sent

    clock.set(2026, 3, 2, 10, 0)
    d = dossier_receive(dossier=d, officer=u["desk"], expected_version=1)
    assert (d.state, d.status) == ("received", NationalStatus.RECEIVED)
    assert d.due_at == at(2026, 3, 16, 10, 0)  # 10 working days, no holiday in March
    assert d.events.last().data["transfer_at"] == "2026-03-02T10:00:00+07:00"  # before 15:00

    clock.set(2026, 3, 2, 10, 30)
    d = dossier_act(dossier=d, officer=u["desk"], action="assign", expected_version=2)

    clock.set(2026, 3, 3, 9, 0)
    d = dossier_request_supplement(
        dossier=d,
        officer=u["desk"],
        expected_version=3,
        contact="Chị Lan, 0214 3840 000",
        missing=["Bản sao giấy chứng nhận quyền sử dụng đất", " ", "Sơ đồ thửa đất"],
    )
    assert (d.state, d.status, d.resume_state) == (
        "supplement",
        NationalStatus.SUPPLEMENT_REQUESTED,
        "appraising",
    )
    assert d.supplement_requests == 1 and not d.is_late
    ask = d.events.last()
    assert ask.data["missing"] == ["Bản sao giấy chứng nhận quyền sử dụng đất", "Sơ đồ thửa đất"]
    assert ask.data["late"] == [] and ask.note == ""

    clock.set(2026, 3, 5, 14, 0)
    d = dossier_supplement_complete(
        dossier=d, expected_version=4, papers=[PaperInput("Sơ đồ thửa đất", count=2)]
    )
    # The clock restarts for the full 10 working days from the complete dossier.
    assert d.clock_started_at == at(2026, 3, 5, 14, 0)
    assert d.due_at == at(2026, 3, 19, 14, 0)
    assert (d.state, d.status) == ("appraising", NationalStatus.PROCESSING)
    # Tuesday 09:00 → Thursday 14:00: 6 h + 8 h + 5 h of office time waited.
    assert d.supplement_seconds == 19 * 3600
    assert d.papers.get().count == 2

    clock.set(2026, 3, 6, 9, 0)
    d = dossier_act(
        dossier=d,
        officer=u["specialist"],
        action="consult",
        expected_version=5,
        consult_agency=world.agency(POLICE),
        note="Xin ý kiến về cư trú",
    )
    assert (d.state, d.status, d.consult_agency) == ("consulting", 4, world.agency(POLICE))
    consult = d.events.last()
    assert consult.data["consult_agency"] == world.agency(POLICE).pk
    assert consult.data["consult_deadline"] == "2026-03-11T09:00:00+07:00"  # 3 working days

    clock.set(2026, 3, 10, 15, 0)
    # The consulted agency records its own answer: the dossier goes back to appraisal.
    d = dossier_act(
        dossier=d,
        officer=u["police"],
        action="consultation_answered",
        expected_version=6,
        note="Đúng nơi cư trú",
    )
    assert (d.state, d.consult_agency) == ("appraising", None)
    answer = d.events.last()
    assert answer.agency == world.agency(POLICE) and answer.data["consulted_agency"] == (
        world.agency(POLICE).pk
    )

    clock.set(2026, 3, 12, 10, 0)
    # Form 04 is the competent agency's: the desk cannot send it.
    with pytest.raises(ActionNotAllowed):
        dossier_apologize(
            dossier=d,
            officer=u["desk"],
            reason="Chờ đo đạc lại thửa đất",
            new_due_at=at(2026, 3, 26, 10, 0),
            expected_version=7,
        )
    d = dossier_apologize(
        dossier=d,
        officer=u["approver"],
        reason="Chờ đo đạc lại thửa đất",
        new_due_at=at(2026, 3, 26, 10, 0),
        expected_version=7,
    )
    assert (d.appointment_at, d.due_at, d.apology_due_at, d.apologies) == (
        at(2026, 3, 19, 14, 0),
        at(2026, 3, 19, 14, 0),
        at(2026, 3, 26, 10, 0),
        1,
    )
    assert d.promised_at == at(2026, 3, 26, 10, 0)
    assert d.events.last().data["new_due_at"] == "2026-03-26T10:00:00+07:00"

    clock.set(2026, 3, 13, 9, 0)
    d = dossier_act(dossier=d, officer=u["specialist"], action="propose", expected_version=8)
    clock.set(2026, 3, 13, 10, 0)
    d = dossier_act(
        dossier=d,
        officer=u["approver"],
        action="send_back",
        expected_version=9,
        note="Bổ sung biên bản",
    )
    assert d.state == "appraising"
    clock.set(2026, 3, 16, 9, 0)
    d = dossier_act(dossier=d, officer=u["specialist"], action="propose", expected_version=10)
    clock.set(2026, 3, 25, 16, 0)
    d = dossier_act(dossier=d, officer=u["approver"], action="approve", expected_version=11)
    # Decided on 25/3, after the appointment of 19/3 14:00: late, apology or not
    # (Decree 61/2018 art. 19(9); Decision 766 measures against the appointment).
    assert d.is_late

    clock.set(2026, 3, 26, 9, 0)
    d = dossier_return_result(dossier=d, officer=u["desk"], expected_version=12)
    # The return itself kept the apology's new date (on the day, before the moment).
    assert d.events.last().data["timing"] == "on_time"
    assert not d.electronic_result

    assert trail(d) == [
        ("file", "", "submitted", 1),
        ("receive", "submitted", "received", 2),
        ("assign", "received", "appraising", 4),
        ("request_supplement", "appraising", "supplement", 5),
        ("supplement_complete", "supplement", "appraising", 4),
        ("consult", "appraising", "consulting", 4),
        ("consultation_answered", "consulting", "appraising", 4),
        ("apologize", "appraising", "appraising", 4),
        ("propose", "appraising", "approving", 4),
        ("send_back", "approving", "appraising", 4),
        ("propose", "appraising", "approving", 4),
        ("approve", "approving", "decided", 9),
        ("return_result", "decided", "returned", 10),
    ]
    assert templates(d) == [
        "filed",
        "received",
        "supplement_requested",
        "received",
        "apology",
        "result_ready",
        "returned",
    ]
    supplement_note = Notification.objects.get(template="supplement_requested")
    assert supplement_note.context["missing"] == ask.data["missing"]


def test_refusal_at_reception(world, clock):
    d = dossier_file_online(
        procedure_version=world.procedures[BIRTH],
        applicant=APPLICANT,
        receiving_agency=world.agency(DESK),
        filed_by=world.users["desk"],
    )
    assert d.filed_by == world.users["desk"] and d.events.get().data["assisted"] is True
    d = dossier_refuse_reception(
        dossier=d,
        officer=world.users["desk"],
        expected_version=1,
        reasons=["Không thuộc thẩm quyền của xã"],
    )
    assert (d.state, d.status, d.outcome) == (
        "not_received",
        NationalStatus.NOT_RECEIVED,
        Outcome.NOT_RECEIVED,
    )
    assert d.events.last().data == {"reasons": ["Không thuộc thẩm quyền của xã"]}
    note = Notification.objects.get(dossier=d, template="refused")
    assert note.template == "refused" and note.context["at_reception"] is True
    assert trail(d) == [
        ("file", "", "submitted", 1),
        ("refuse_reception", "submitted", "not_received", 3),
    ]


def test_refusal_during_processing_then_return(world, clock):
    u = world.users
    d = counter(world)
    clock.set(2026, 2, 23, 8, 0)
    d = dossier_act(dossier=d, officer=u["desk"], action="assign", expected_version=1)
    clock.set(2026, 2, 25, 9, 0)  # after the due moment (24 February 16:10)
    d = dossier_refuse(
        dossier=d,
        officer=u["approver"],
        expected_version=2,
        reasons=["Người yêu cầu không có quan hệ với trẻ", ""],
    )
    assert (d.state, d.status, d.outcome) == ("decided", NationalStatus.DECIDED, Outcome.REFUSED)
    assert d.decided_at == at(2026, 2, 25, 9, 0) and d.is_late
    assert d.events.last().data["reasons"] == ["Người yêu cầu không có quan hệ với trẻ"]
    d = dossier_return_result(dossier=d, officer=u["desk"], expected_version=3)
    assert d.status == NationalStatus.RETURNED and d.is_late
    assert d.events.last().data["timing"] == "late"
    assert templates(d) == ["received", "refused", "returned"]


def test_withdrawal_while_waiting_for_a_supplement(world, clock):
    u = world.users
    d = counter(world)
    clock.set(2026, 2, 23, 9, 0)
    d = dossier_request_supplement(
        dossier=d, officer=u["desk"], missing=["Giấy chứng sinh"], expected_version=1
    )
    clock.set(2026, 2, 23, 10, 0)
    d = dossier_request_withdrawal(dossier=d, expected_version=2, reason="Nộp lại sau")
    # Status 7: the desk decides; the wait for the supplement goes on meanwhile.
    assert (d.state, d.status, d.before_withdrawal) == (
        "withdrawal_requested",
        NationalStatus.WITHDRAWAL_REQUESTED,
        "supplement",
    )
    assert d.paused_at == at(2026, 2, 23, 9, 0)
    request = d.events.last()
    assert request.actor is None and request.agency == world.agency(DESK)
    clock.set(2026, 2, 23, 11, 0)
    d = dossier_stop(dossier=d, officer=u["desk"], expected_version=3)
    assert (d.state, d.status, d.outcome) == ("stopped", NationalStatus.STOPPED, Outcome.WITHDRAWN)
    assert d.supplement_seconds == 2 * 3600 and d.paused_at is None and d.resume_state == ""
    assert d.stopped_at == at(2026, 2, 23, 11, 0)
    assert [row[0] for row in trail(d)][-2:] == ["request_withdrawal", "stop"]
    assert [row[3] for row in trail(d)][-2:] == [7, 8]
    assert templates(d) == ["received", "supplement_requested", "withdrawn"]


def test_withdrawal_of_an_online_dossier_by_the_citizen(world, clock):
    d = dossier_file_online(
        procedure_version=world.procedures[BIRTH],
        applicant=APPLICANT,
        receiving_agency=world.agency(DESK),
    )
    d = dossier_request_withdrawal(
        dossier=d, expected_version=1, reason="Nhầm thủ tục", actor=world.users["citizen"]
    )
    assert d.status == NationalStatus.WITHDRAWAL_REQUESTED
    assert d.events.last().actor == world.users["citizen"]
    # The citizen cannot stop it: the desk checks the request.
    with pytest.raises(ActionNotAllowed):
        dossier_stop(dossier=d, officer=world.users["citizen"], expected_version=2)
    d = dossier_stop(dossier=d, officer=world.users["desk"], expected_version=2)
    assert d.status == NationalStatus.STOPPED and d.outcome == Outcome.WITHDRAWN


def test_fee_paid_at_the_counter(world, clock):
    u = world.users
    d = counter(world)
    clock.set(2026, 2, 13, 16, 40)
    d = dossier_request_fee(dossier=d, officer=u["desk"], amount_vnd=8_000, expected_version=1)
    clock.set(2026, 2, 23, 7, 0)
    d = dossier_fee_paid(dossier=d, expected_version=2, payment=PAID_AT_DESK, actor=u["desk"])
    # The wait was Friday 16:40–17:00 (Tết, then Monday 07:00): 20 minutes added.
    assert d.fee_seconds == 20 * 60
    assert d.due_at == at(2026, 2, 24, 16, 30)
    assert not d.paid_online and d.events.last().data["online"] is False
    assert d.events.last().actor == u["desk"]


def test_procedure_without_structured_time_needs_the_officers_appointment(world, clock):
    # The receipt slip must carry an appointment (form 01): nothing is received without.
    with pytest.raises(ValidationError) as refused:
        counter(world, code=CUSTOM)
    assert "appointment" in refused.value.message_dict
    assert not Dossier.objects.exists()
    d = counter(world, code=CUSTOM, appointment=at(2026, 2, 27, 10, 0))
    assert d.appointment_at == d.due_at == at(2026, 2, 27, 10, 0)
    assert d.clock_started_at == at(2026, 2, 13, 16, 10)
    assert d.events.get().data["appointment_set_by_officer"] is True


def test_applicant_without_contact_gets_no_notification_row(world, clock):
    d = counter(world, applicant=Applicant(name="Lò Văn Páo"))
    assert d.status == NationalStatus.RECEIVED
    assert not Notification.objects.exists()


def test_nothing_is_written_when_the_transaction_fails(world, clock):
    """The outbox row fails once the dossier, its event and the row itself are written
    (after the one statement on PostgreSQL): all three go back."""

    def explode(*args, **kwargs):
        raise RuntimeError("outbox down")

    d = dossier_file_online(
        procedure_version=world.procedures[BIRTH],
        applicant=APPLICANT,
        receiving_agency=world.agency(DESK),
    )
    outbox = Notification.objects.count()
    post_save.connect(explode, sender=Notification, dispatch_uid="test-outbox-down")
    try:
        with pytest.raises(RuntimeError):
            dossier_receive(dossier=d, officer=world.users["desk"], expected_version=1)
    finally:
        post_save.disconnect(sender=Notification, dispatch_uid="test-outbox-down")
    d.refresh_from_db()
    assert (d.state, d.lock_version, d.events.count()) == ("submitted", 1, 1)
    assert Notification.objects.count() == outbox
