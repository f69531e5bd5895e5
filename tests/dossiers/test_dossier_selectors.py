"""The dossier page's buttons, its history and the processing-control slip (form 05)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from motcua.dossiers.models import Dossier
from motcua.dossiers.selectors import (
    dossier_allowed_actions,
    dossier_history,
    dossier_step_deadlines,
)
from motcua.dossiers.services import (
    Applicant,
    dossier_act,
    dossier_fee_paid,
    dossier_file_online,
    dossier_receive_at_counter,
    dossier_request_fee,
)

from .conftest import BIRTH, LAND, SAME_DAY, at

PAID_ONLINE = {"online": True, "platform": "province"}  # what motcua.payments passes

DESK = "000.01.32.H37"
POLICE = "000.01.33.H37"
APPLICANT = Applicant(name="Sùng A Chứ", phone="0912000111")


def counter(world, code: str = BIRTH) -> Dossier:
    return dossier_receive_at_counter(
        officer=world.users["desk"],
        agency=world.agency(DESK),
        procedure_version=world.procedures[code],
        applicant=APPLICANT,
    )


def keys(dossier: Dossier, user) -> list[str]:
    return [choice.key for choice in dossier_allowed_actions(dossier=dossier, user=user)]


def test_buttons_follow_step_and_role(world, clock):
    u = world.users
    online = dossier_file_online(
        procedure_version=world.procedures[BIRTH],
        applicant=APPLICANT,
        receiving_agency=world.agency(DESK),
    )
    assert keys(online, u["desk"]) == [
        "receive",
        "return_incomplete",
        "refuse_reception",
        "request_withdrawal",
    ]
    assert keys(online, u["specialist"]) == []
    assert keys(online, u["desk2"]) == []
    assert keys(online, AnonymousUser()) == []

    d = counter(world)
    assert [(c.key, c.label) for c in dossier_allowed_actions(dossier=d, user=u["desk"])] == [
        ("assign", "Chuyển chuyên viên xử lý"),
        ("request_supplement", "Request a supplement"),
        ("request_fee", "Request the fee"),
        ("request_withdrawal", "Record the applicant's request to withdraw"),
    ]
    # Form 04 is the competent agency's: its approver, while there is a working day left.
    assert keys(d, u["approver"]) == ["apologize", "refuse"]

    clock.set(2026, 2, 24, 9, 0)  # less than a working day before the due moment
    d = dossier_act(dossier=d, officer=u["desk"], action="assign", expected_version=1)
    assert keys(d, u["desk"]) == ["request_supplement", "request_fee", "request_withdrawal"]
    assert keys(d, u["specialist"]) == ["propose"]
    assert keys(d, u["admin"]) == [
        "propose",
        "request_supplement",
        "request_fee",
        "request_withdrawal",
        "refuse",
    ]

    d = dossier_request_fee(dossier=d, officer=u["desk"], amount_vnd=10_000, expected_version=2)
    # Payment is recorded from the bill (motcua.payments), not with an action button.
    assert keys(d, u["desk"]) == ["request_withdrawal"]
    assert keys(d, u["approver"]) == ["refuse"]

    d = dossier_fee_paid(dossier=d, expected_version=3, payment=PAID_ONLINE)
    d = dossier_act(dossier=d, officer=u["specialist"], action="propose", expected_version=4)
    assert keys(d, u["approver"]) == ["approve", "send_back", "refuse"]
    d = dossier_act(dossier=d, officer=u["approver"], action="approve", expected_version=5)
    assert keys(d, u["desk"]) == ["return_result"]
    assert keys(d, u["approver"]) == []


def test_buttons_during_a_consultation(world, clock):
    u = world.users
    d = counter(world, LAND)
    d = dossier_act(dossier=d, officer=u["desk"], action="assign", expected_version=1)
    assert keys(d, u["specialist"]) == ["consult", "propose"]
    d = dossier_act(
        dossier=d,
        officer=u["specialist"],
        action="consult",
        expected_version=2,
        consult_agency=world.agency(POLICE),
    )
    assert keys(d, u["police"]) == ["consultation_answered"]
    assert keys(d, u["specialist"]) == ["consultation_answered"]


def test_history_oldest_first(world, clock):
    d = counter(world)
    d = dossier_act(dossier=d, officer=world.users["desk"], action="assign", expected_version=1)
    history = dossier_history(dossier=d)
    assert [(e.action, e.actor.username, e.agency.code) for e in history] == [
        ("receive", "desk", DESK),
        ("assign", "desk", DESK),
    ]


def test_step_deadlines_of_a_dossier_with_a_fee(world, clock):
    """2 working days = 16 h: 'received' gets 10% (1 h 36), 'appraising' 60% (9 h 36),
    'approving' 30% (4 h 48), each from its own hand-over."""
    u = world.users
    d = counter(world)  # Friday 13 February 16:10: transferred Monday 23 February 07:00
    clock.set(2026, 2, 23, 8, 0)
    d = dossier_act(dossier=d, officer=u["desk"], action="assign", expected_version=1)
    clock.set(2026, 2, 23, 9, 0)
    d = dossier_request_fee(dossier=d, officer=u["desk"], amount_vnd=50_000, expected_version=2)
    clock.set(2026, 2, 25, 10, 0)
    d = dossier_fee_paid(dossier=d, expected_version=3, payment=PAID_ONLINE)
    clock.set(2026, 2, 25, 14, 0)
    d = dossier_act(dossier=d, officer=u["specialist"], action="propose", expected_version=4)
    clock.set(2026, 2, 25, 15, 0)
    d = dossier_act(dossier=d, officer=u["approver"], action="approve", expected_version=5)

    rows = dossier_step_deadlines(dossier=d)
    assert [
        (r.step, r.handed_over_at, r.counted_from, r.deadline, r.done_at, r.timing) for r in rows
    ] == [
        (
            "received",
            at(2026, 2, 13, 16, 10),
            at(2026, 2, 23, 7, 0),
            at(2026, 2, 23, 8, 36),
            at(2026, 2, 23, 8, 0),
            "on_time",
        ),
        (
            "appraising",
            at(2026, 2, 23, 8, 0),
            at(2026, 2, 23, 8, 0),
            at(2026, 2, 24, 9, 36),
            at(2026, 2, 23, 9, 0),
            "early",
        ),
        ("fee", at(2026, 2, 23, 9, 0), at(2026, 2, 23, 9, 0), None, at(2026, 2, 25, 10, 0), ""),
        (
            "appraising",
            at(2026, 2, 25, 10, 0),
            at(2026, 2, 25, 10, 0),
            at(2026, 2, 26, 13, 36),
            at(2026, 2, 25, 14, 0),
            "early",
        ),
        (
            "approving",
            at(2026, 2, 25, 14, 0),
            at(2026, 2, 25, 14, 0),
            at(2026, 2, 26, 8, 48),
            at(2026, 2, 25, 15, 0),
            "early",
        ),
        # Back to the desk to return the result, by the legal due moment: the
        # appointment (24/2 16:10) + the fee wait (Mon 6 h, Tue 8 h, Wed 3 h).
        (
            "decided",
            at(2026, 2, 25, 15, 0),
            at(2026, 2, 25, 15, 0),
            at(2026, 2, 27, 7, 10),
            None,
            "",
        ),
    ]
    assert [r.label for r in rows] == [
        "Chờ chuyển xử lý",
        "Đang thẩm định",
        "Waiting for the fee to be paid",
        "Đang thẩm định",
        "Chờ phê duyệt",
        "Returning the result",
    ]
    assert rows[0].handed_over_by == u["desk"] and rows[0].done_by == u["desk"]
    assert rows[0].agency.code == "000.01.31.H37" and rows[2].agency is None


def test_running_step_turns_late_after_its_deadline(world, clock):
    clock.set(2026, 3, 2, 9, 0)  # Monday, before 15:00: transferred at once
    d = counter(world)
    assert d.events.get().data["transfer_at"] == "2026-03-02T09:00:00+07:00"
    clock.set(2026, 3, 2, 10, 0)
    (row,) = dossier_step_deadlines(dossier=d)
    assert (row.deadline, row.done_at, row.timing) == (at(2026, 3, 2, 10, 36), None, "")
    clock.set(2026, 3, 2, 10, 37)
    assert dossier_step_deadlines(dossier=d)[0].timing == "late"


def test_a_saturday_open_desks_deadline_skips_saturday(world, clock):
    """The consultation deadline counts in the consulted agency's office hours, but only
    on the calendar's working days: the police desk opening on Saturday 7/3/2026 does
    not make Saturday count (Decision 188/1999/QĐ-TTg; Decree 61/2018 art. 19)."""
    u = world.users
    police = world.agency(POLICE)
    police.working_weekdays = "012345"  # the commune police also receives on Saturdays
    police.save(update_fields=["working_weekdays"])
    clock.set(2026, 3, 2, 9, 0)
    d = counter(world, LAND)
    d = dossier_act(dossier=d, officer=u["desk"], action="assign", expected_version=1)
    clock.set(2026, 3, 6, 9, 0)  # Friday
    d = dossier_act(
        dossier=d,
        officer=u["specialist"],
        action="consult",
        expected_version=2,
        consult_agency=police,
    )
    # 3 working days: Friday 6 h, (not Saturday 7/3), Monday 8 h, Tuesday 8 h, Wednesday 2 h.
    assert d.events.last().data["consult_deadline"] == "2026-03-11T09:00:00+07:00"
    clock.set(2026, 3, 11, 10, 0)
    d = dossier_act(
        dossier=d, officer=u["police"], action="consultation_answered", expected_version=3
    )
    consulting = [r for r in dossier_step_deadlines(dossier=d) if r.step == "consulting"]
    assert [(r.agency, r.deadline, r.done_at, r.timing) for r in consulting] == [
        (police, at(2026, 3, 11, 9, 0), at(2026, 3, 11, 10, 0), "late")
    ]


def test_same_day_procedure(world, clock):
    clock.set(2026, 3, 2, 14, 0)
    d = counter(world, SAME_DAY)
    assert d.due_at == at(2026, 3, 2, 17, 0)
    clock.set(2026, 3, 2, 15, 30)  # after 15:00: due at the close of the next working day
    d = counter(world, SAME_DAY)
    assert d.due_at == at(2026, 3, 3, 17, 0)
    assert d.events.get().data["transfer_at"] == "2026-03-03T07:00:00+07:00"
