"""What the services refuse: stale pages, wrong roles, wrong steps, broken legal rules."""

from __future__ import annotations

import pytest

from motcua.dossiers.models import Dossier, DossierEvent, NationalStatus
from motcua.dossiers.services import (
    ActionNotAllowed,
    Applicant,
    StaleDossier,
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
    dossier_supplement_complete,
)
from motcua.notifications.models import Notification

from .conftest import BIRTH, LAND, at

PAID_ONLINE = {"online": True, "platform": "province"}  # what motcua.payments passes
PAID_AT_DESK = {"online": False, "platform": "counter"}

DESK = "000.01.32.H37"
APPLICANT = Applicant(name="Trần Thị Bích", phone="0987654321")


@pytest.fixture
def received(world, clock) -> Dossier:
    """A birth registration received Friday 13 February 2026 16:10, due 24 February 16:10."""
    return dossier_receive_at_counter(
        officer=world.users["desk"],
        agency=world.agency(DESK),
        procedure_version=world.procedures[BIRTH],
        applicant=APPLICANT,
    )


@pytest.fixture
def appraising(world, clock, received) -> Dossier:
    clock.set(2026, 2, 23, 8, 0)
    return dossier_act(
        dossier=received, officer=world.users["desk"], action="assign", expected_version=1
    )


def test_second_officer_with_a_stale_page_changes_nothing(world, clock, received):
    first_page = Dossier.objects.get(pk=received.pk)
    second_page = Dossier.objects.get(pk=received.pk)
    dossier_act(
        dossier=first_page,
        officer=world.users["desk"],
        action="assign",
        expected_version=first_page.lock_version,
    )
    with pytest.raises(StaleDossier) as error:
        dossier_act(
            dossier=second_page,
            officer=world.users["admin"],
            action="assign",
            expected_version=second_page.lock_version,
        )
    assert "Someone else changed this dossier" in error.value.message
    assert "version 2, your page shows version 1" in str(error.value)
    received.refresh_from_db()
    assert (received.state, received.lock_version) == ("appraising", 2)
    assert list(received.events.values_list("action", flat=True)) == ["receive", "assign"]


@pytest.mark.parametrize(
    "service, kwargs",
    [
        (dossier_request_supplement, {"missing": ["x"]}),
        (dossier_request_fee, {"amount_vnd": 1000}),
        (dossier_refuse, {"reasons": ["x"]}),
        (dossier_request_withdrawal, {"reason": "x"}),
    ],
)
def test_every_service_checks_the_version(world, received, service, kwargs):
    officer = {} if service is dossier_request_withdrawal else {"officer": world.users["admin"]}
    with pytest.raises(StaleDossier):
        service(dossier=received, expected_version=7, **officer, **kwargs)
    assert received.events.count() == 1


def test_wrong_role(world, clock, received):
    u = world.users
    with pytest.raises(ActionNotAllowed) as error:
        dossier_act(dossier=received, officer=u["specialist"], action="assign", expected_version=1)
    assert error.value.message == (
        "Your role does not allow this. It needs: receiving officer of Ủy ban nhân dân "
        "phường Lào Cai; receiving officer of Trung tâm Phục vụ hành chính công phường Lào Cai."
    )
    # A receiving officer of another commune is not this dossier's desk.
    with pytest.raises(ActionNotAllowed, match="receiving officer of Trung tâm"):
        dossier_request_fee(dossier=received, officer=u["desk2"], amount_vnd=1, expected_version=1)
    with pytest.raises(ActionNotAllowed, match="approver of Ủy ban nhân dân phường Lào Cai"):
        dossier_refuse(dossier=received, officer=u["specialist"], reasons=["x"], expected_version=1)
    with pytest.raises(ActionNotAllowed):
        dossier_receive_at_counter(
            officer=u["specialist"],
            agency=world.agency(DESK),
            procedure_version=world.procedures[BIRTH],
            applicant=APPLICANT,
        )
    with pytest.raises(ActionNotAllowed):  # assisted online filing is for the desk only
        dossier_file_online(
            procedure_version=world.procedures[BIRTH],
            applicant=APPLICANT,
            receiving_agency=world.agency(DESK),
            filed_by=u["approver"],
        )
    assert Dossier.objects.count() == 1 and received.events.count() == 1


def test_province_administrator_holds_every_role(world, clock, received):
    d = dossier_act(
        dossier=received, officer=world.users["admin"], action="assign", expected_version=1
    )
    d = dossier_act(dossier=d, officer=world.users["admin"], action="propose", expected_version=2)
    assert d.state == "approving"


def test_wrong_step(world, clock, received, appraising):
    u = world.users
    with pytest.raises(ActionNotAllowed) as error:
        dossier_act(dossier=appraising, officer=u["approver"], action="approve", expected_version=2)
    assert error.value.message == (
        "“Phê duyệt, ban hành kết quả” is not possible while the dossier is at the step "
        "“Đang thẩm định”."
    )
    with pytest.raises(ActionNotAllowed, match="no action “consult”"):
        dossier_act(
            dossier=appraising, officer=u["specialist"], action="consult", expected_version=2
        )
    with pytest.raises(ActionNotAllowed, match="at the step “Đang thẩm định”"):
        dossier_receive(dossier=appraising, officer=u["desk"], expected_version=2)
    with pytest.raises(ActionNotAllowed, match="“Return the result” is not possible"):
        dossier_return_result(dossier=appraising, officer=u["desk"], expected_version=2)
    with pytest.raises(ActionNotAllowed, match="“Supplement received” is not possible"):
        dossier_supplement_complete(dossier=appraising, expected_version=2)
    with pytest.raises(ActionNotAllowed, match="“Fee paid at the counter” is not possible"):
        dossier_fee_paid(dossier=appraising, expected_version=2, payment=PAID_ONLINE)
    with pytest.raises(ActionNotAllowed, match="“Refuse to receive” is not possible"):
        dossier_refuse_reception(
            dossier=appraising, officer=u["desk"], reasons=["x"], expected_version=2
        )


def test_no_withdrawal_after_a_decision(world, clock, appraising):
    u = world.users
    d = dossier_act(
        dossier=appraising, officer=u["specialist"], action="propose", expected_version=2
    )
    d = dossier_act(dossier=d, officer=u["approver"], action="approve", expected_version=3)
    with pytest.raises(ActionNotAllowed, match="at the step “Processed”"):
        dossier_request_withdrawal(dossier=d, expected_version=4, reason="Đổi ý")
    d = dossier_return_result(dossier=d, officer=u["desk"], expected_version=4)
    with pytest.raises(ActionNotAllowed, match="at the step “Result returned”"):
        dossier_request_withdrawal(dossier=d, expected_version=5, reason="Đổi ý")


def test_reasons_are_required(world, clock, received, appraising):
    u = world.users
    online = dossier_file_online(
        procedure_version=world.procedures[BIRTH],
        applicant=APPLICANT,
        receiving_agency=world.agency(DESK),
    )
    with pytest.raises(ActionNotAllowed, match="at least one reason"):
        dossier_refuse_reception(
            dossier=online, officer=u["desk"], reasons=[" "], expected_version=1
        )
    with pytest.raises(ActionNotAllowed, match="at least one reason"):
        dossier_refuse(dossier=appraising, officer=u["approver"], reasons=[], expected_version=2)
    with pytest.raises(ActionNotAllowed, match="every missing or incorrect paper"):
        dossier_request_supplement(
            dossier=appraising, officer=u["desk"], missing=[], expected_version=2
        )
    with pytest.raises(ActionNotAllowed, match="reason for the withdrawal"):
        dossier_request_withdrawal(dossier=appraising, expected_version=2, reason="  ")
    assert appraising.events.count() == 2 and online.events.count() == 1


def test_supplement_after_three_working_days_is_noted_and_a_second_request_is_late(
    world, clock, appraising
):
    u = world.users
    clock.set(2026, 2, 26, 9, 0)  # more than 3 working days after receipt (13 Feb 16:10)
    d = dossier_request_supplement(
        dossier=appraising, officer=u["desk"], missing=["Tờ khai"], expected_version=2
    )
    # Decree 61 art. 19(4) wants it within 3 working days; the event says it was not.
    # The dossier was already past its appointment (24/2 16:10) when the papers were
    # asked for: late, and the restart of the legal time does not cure that.
    assert d.is_late
    ask = d.events.last()
    assert ask.data["late"] == ["after_3_working_days"]
    assert ask.note == (
        "Requested more than 3 working days after receipt (Decree 61/2018, art. 19(4))."
    )
    clock.set(2026, 2, 27, 9, 0)
    d = dossier_supplement_complete(dossier=d, expected_version=3)
    # The legal time (2 working days) counts again from the complete dossier.
    assert d.appointment_at == d.due_at == at(2026, 3, 3, 9, 0)
    assert d.is_late
    d = dossier_request_supplement(
        dossier=d, officer=u["desk"], missing=["Giấy chứng sinh"], expected_version=4
    )
    assert d.supplement_requests == 2 and d.status == NationalStatus.SUPPLEMENT_REQUESTED
    assert d.events.last().data["late"] == ["second_request", "after_3_working_days"]


def test_a_second_supplement_request_makes_a_dossier_late(world, clock, appraising):
    u = world.users
    clock.set(2026, 2, 23, 9, 0)  # within 3 working days, before the appointment
    d = dossier_request_supplement(
        dossier=appraising, officer=u["desk"], missing=["Tờ khai"], expected_version=2
    )
    assert not d.is_late and d.events.last().data["late"] == []
    clock.set(2026, 2, 23, 14, 0)
    d = dossier_supplement_complete(dossier=d, expected_version=3)
    # Restarted: 2 working days from Monday 14:00.
    assert d.due_at == at(2026, 2, 25, 14, 0) and not d.is_late
    clock.set(2026, 2, 24, 9, 0)
    d = dossier_request_supplement(
        dossier=d, officer=u["desk"], missing=["Giấy chứng sinh"], expected_version=4
    )
    # More than one supplement request: late for Decision 766, and for good, even if
    # the result then comes well before the appointment.
    assert d.is_late
    clock.set(2026, 2, 24, 10, 0)
    d = dossier_supplement_complete(dossier=d, expected_version=5)
    d = dossier_act(dossier=d, officer=u["specialist"], action="propose", expected_version=6)
    d = dossier_act(dossier=d, officer=u["approver"], action="approve", expected_version=7)
    assert d.decided_at < d.due_at and d.is_late


def test_supplement_within_three_working_days_is_not_late(world, clock, appraising):
    clock.set(2026, 2, 24, 16, 0)  # before the appointment, within 3 working days
    d = dossier_request_supplement(
        dossier=appraising, officer=world.users["desk"], missing=["Tờ khai"], expected_version=2
    )
    assert not d.is_late


def test_apology_rules(world, clock, appraising):
    u = world.users
    clock.set(2026, 2, 23, 16, 0)
    with pytest.raises(ActionNotAllowed, match="approver"):
        dossier_apologize(
            dossier=appraising,
            officer=u["desk"],  # the desk does not apologise for the competent agency
            expected_version=2,
            reason="Chờ xác minh",
            new_due_at=at(2026, 3, 2, 9, 0),
        )
    kwargs = {"dossier": appraising, "officer": u["approver"], "expected_version": 2}
    with pytest.raises(ActionNotAllowed, match="reason for the delay"):
        dossier_apologize(reason=" ", new_due_at=at(2026, 3, 2, 9, 0), **kwargs)
    with pytest.raises(ActionNotAllowed) as error:
        dossier_apologize(reason="Chờ xác minh", new_due_at=at(2026, 2, 24, 9, 0), **kwargs)
    assert error.value.message == (
        "The new due moment must be after the current one (16:10 24/02/2026)."
    )
    # Exactly one working day before the due moment is still in time.
    clock.set(2026, 2, 23, 16, 10)
    with pytest.raises(ActionNotAllowed, match="within office hours"):
        dossier_apologize(reason="Chờ xác minh", new_due_at=at(2026, 2, 28, 9, 0), **kwargs)
    with pytest.raises(ActionNotAllowed, match="at most 10 working days"):
        dossier_apologize(reason="Chờ xác minh", new_due_at=at(2026, 3, 11, 9, 0), **kwargs)
    d = dossier_apologize(reason="Chờ xác minh", new_due_at=at(2026, 3, 2, 9, 0), **kwargs)
    assert (d.appointment_at, d.due_at, d.apology_due_at) == (
        at(2026, 2, 24, 16, 10),
        at(2026, 2, 24, 16, 10),
        at(2026, 3, 2, 9, 0),
    )
    with pytest.raises(ActionNotAllowed, match="law allows one apology"):
        dossier_apologize(
            dossier=d,
            officer=u["approver"],
            expected_version=3,
            reason="Lần nữa",
            new_due_at=at(2026, 3, 9, 9, 0),
        )


def test_apology_less_than_one_working_day_before_due_is_refused(world, clock, appraising):
    clock.set(2026, 2, 23, 16, 11)
    with pytest.raises(ActionNotAllowed) as error:
        dossier_apologize(
            dossier=appraising,
            officer=world.users["approver"],
            expected_version=2,
            reason="Chờ xác minh",
            new_due_at=at(2026, 3, 2, 9, 0),
        )
    assert error.value.message == (
        "An apology must be sent at least 1 working day before the due moment "
        "(16:10 24/02/2026); it is too late now."
    )


def test_fee_rules(world, clock, received):
    u = world.users
    for amount in (0, -5, 1.5, True):
        with pytest.raises(ActionNotAllowed, match="positive whole number of VND"):
            dossier_request_fee(
                dossier=received, officer=u["desk"], amount_vnd=amount, expected_version=1
            )
    d = dossier_request_fee(
        dossier=received, officer=u["desk"], amount_vnd=100_000, expected_version=1
    )
    with pytest.raises(ActionNotAllowed, match="must be recorded by a receiving officer"):
        dossier_fee_paid(dossier=d, expected_version=2, payment=PAID_AT_DESK)
    with pytest.raises(ActionNotAllowed, match="must be recorded by a receiving officer"):
        dossier_fee_paid(dossier=d, expected_version=2, payment=PAID_AT_DESK, actor=u["citizen"])
    with pytest.raises(ActionNotAllowed):  # an official of another desk
        dossier_fee_paid(dossier=d, expected_version=2, payment=PAID_ONLINE, actor=u["desk2"])
    d = dossier_fee_paid(dossier=d, expected_version=2, payment=PAID_ONLINE)
    with pytest.raises(ActionNotAllowed, match="already been paid"):
        dossier_request_fee(dossier=d, officer=u["desk"], amount_vnd=1, expected_version=3)


def test_consultation_rules(world, clock):
    u = world.users
    d = dossier_receive_at_counter(
        officer=u["desk"],
        agency=world.agency(DESK),
        procedure_version=world.procedures[LAND],
        applicant=APPLICANT,
    )
    d = dossier_act(dossier=d, officer=u["desk"], action="assign", expected_version=1)
    with pytest.raises(ActionNotAllowed, match="Choose the agency to consult"):
        dossier_act(dossier=d, officer=u["specialist"], action="consult", expected_version=2)
    with pytest.raises(ActionNotAllowed, match="not the competent agency itself"):
        dossier_act(
            dossier=d,
            officer=u["specialist"],
            action="consult",
            expected_version=2,
            consult_agency=d.competent_agency,
        )
    with pytest.raises(ActionNotAllowed, match="does not consult another agency"):
        dossier_act(
            dossier=d,
            officer=u["specialist"],
            action="propose",
            expected_version=2,
            consult_agency=world.agency("000.01.33.H37"),
        )
    # Before the consultation, the police specialist has no say on this dossier.
    with pytest.raises(ActionNotAllowed):
        dossier_act(dossier=d, officer=u["police"], action="propose", expected_version=2)
    assert d.events.count() == 2


def test_assignee_must_hold_the_role_of_the_next_step(world, clock, received):
    with pytest.raises(ActionNotAllowed) as error:
        dossier_act(
            dossier=received,
            officer=world.users["desk"],
            action="assign",
            expected_version=1,
            assignee=world.users["desk2"],
        )
    assert error.value.message == (
        "desk2 cannot be assigned: the step “Đang thẩm định” needs a specialist."
    )


def test_no_delivery_is_enqueued_before_commit(
    world, clock, monkeypatch, django_capture_on_commit_callbacks
):
    from motcua.dossiers.actions import runner

    sent: list[list[int]] = []
    monkeypatch.setattr(runner, "_enqueue_delivery", sent.append)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        d = dossier_receive_at_counter(
            officer=world.users["desk"],
            agency=world.agency(DESK),
            procedure_version=world.procedures[BIRTH],
            applicant=APPLICANT,
        )
    assert len(callbacks) == 1
    assert sent == [[Notification.objects.get(dossier=d).pk]]
    assert DossierEvent.objects.filter(dossier=d).count() == 1
