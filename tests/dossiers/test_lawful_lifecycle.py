"""The lifecycle records lawful facts, each checked with real dates of 2026.

Calendar: Monday 2 March 2026 is an ordinary working week (no holiday until 30/4);
Saturday 7 March is not a working day, whatever a desk's opening hours.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.dossiers.actions.base import ActionNotAllowed
from motcua.dossiers.importing import COLUMNS, dossiers_import_csv
from motcua.dossiers.models import Channel, Dossier, NationalStatus, Outcome
from motcua.dossiers.results import dossier_attach_result
from motcua.dossiers.services import (
    Applicant,
    PaperInput,
    dossier_act,
    dossier_apologize,
    dossier_decline_withdrawal,
    dossier_fee_paid,
    dossier_file_online,
    dossier_receive,
    dossier_receive_at_counter,
    dossier_request_fee,
    dossier_request_supplement,
    dossier_request_withdrawal,
    dossier_resubmit,
    dossier_return_incomplete,
    dossier_return_result,
    dossier_stop,
    dossier_supplement_complete,
)
from motcua.dossiers.slip_contexts import slip_forms
from motcua.dossiers.timing import dossiers_mark_overdue
from tests.files import pdf_bytes

from .conftest import BIRTH, LAND, at

PAID_ONLINE = {"online": True, "platform": "province"}  # what motcua.payments passes

DESK = "000.01.32.H37"
COMMITTEE = "000.01.31.H37"
APPLICANT = Applicant(name="Giàng Thị Dua", phone="0912000222")


def online(world) -> Dossier:
    return dossier_file_online(
        procedure_version=world.procedures[BIRTH],
        applicant=APPLICANT,
        receiving_agency=world.agency(DESK),
    )


def counter(world, code: str = BIRTH) -> Dossier:
    return dossier_receive_at_counter(
        officer=world.users["desk"],
        agency=world.agency(DESK),
        procedure_version=world.procedures[code],
        applicant=APPLICANT,
    )


def decide(world, d: Dossier) -> Dossier:
    u = world.users
    d = dossier_act(dossier=d, officer=u["desk"], action="assign", expected_version=d.lock_version)
    d = dossier_act(
        dossier=d, officer=u["specialist"], action="propose", expected_version=d.lock_version
    )
    return dossier_act(
        dossier=d, officer=u["approver"], action="approve", expected_version=d.lock_version
    )


def test_an_apology_keeps_a_late_dossier_late(world, clock):
    """Received Mon 2/3 10:00, 10 working days: appointment Mon 16/3 10:00. The approver
    apologises on Fri 13/3 and promises Fri 20/3; the decision on Wed 18/3 keeps that
    promise but is late by Decree 61 art. 19(9) and Decision 766."""
    u = world.users
    clock.set(2026, 3, 2, 10, 0)
    d = counter(world, LAND)
    assert d.appointment_at == d.due_at == at(2026, 3, 16, 10, 0)
    clock.set(2026, 3, 13, 9, 0)
    d = dossier_apologize(
        dossier=d,
        officer=u["approver"],
        reason="Chờ đo đạc lại",
        new_due_at=at(2026, 3, 20, 10, 0),
        expected_version=1,
    )
    assert (d.due_at, d.promised_at, d.is_late) == (
        at(2026, 3, 16, 10, 0),
        at(2026, 3, 20, 10, 0),
        False,
    )
    # Past the appointment, the overdue job marks it late although the promise is later.
    assert dossiers_mark_overdue(now=at(2026, 3, 16, 10, 1)) == 1
    clock.set(2026, 3, 18, 9, 0)
    d.refresh_from_db()
    d = decide(world, d)
    assert d.decided_at == at(2026, 3, 18, 9, 0) and d.is_late
    clock.set(2026, 3, 19, 9, 0)
    d = dossier_return_result(dossier=d, officer=u["desk"], expected_version=d.lock_version)
    assert d.is_late and d.events.last().data["timing"] == "early"  # before the promise


def test_a_withdrawal_passes_through_status_7(world, clock):
    """Decree 118/2025 art. 21: the request (7), then the desk's stop (8) or answer."""
    u = world.users
    clock.set(2026, 3, 2, 9, 0)
    d = counter(world)
    clock.set(2026, 3, 2, 10, 0)
    d = dossier_request_withdrawal(
        dossier=d, expected_version=1, reason="Đổi ý", actor=world.users["citizen"]
    )
    assert (d.status, d.state) == (NationalStatus.WITHDRAWAL_REQUESTED, "withdrawal_requested")
    # The desk answers why not: processing goes on where it was.
    d = dossier_decline_withdrawal(
        dossier=d, officer=u["desk"], reasons=["Hồ sơ đã trình ký"], expected_version=2
    )
    assert (d.status, d.state, d.outcome) == (NationalStatus.RECEIVED, "received", "")
    clock.set(2026, 3, 2, 11, 0)
    d = dossier_request_withdrawal(dossier=d, expected_version=3, reason="Vẫn muốn rút")
    d = dossier_stop(dossier=d, officer=u["desk"], expected_version=4)
    assert (d.status, d.outcome, d.stopped_at) == (
        NationalStatus.STOPPED,
        Outcome.WITHDRAWN,
        at(2026, 3, 2, 11, 0),
    )
    assert list(d.events.values_list("status", flat=True)) == [2, 7, 2, 7, 8]
    assert list(d.notifications.order_by("id").values_list("template", flat=True)) == [
        "received",
        "withdrawal_declined",
        "withdrawn",
    ]
    # Never after a decision.
    clock.set(2026, 3, 3, 9, 0)
    decided = decide(world, counter(world))
    with pytest.raises(ActionNotAllowed, match="not possible"):
        dossier_request_withdrawal(
            dossier=decided, expected_version=decided.lock_version, reason="Muộn"
        )


def test_a_pre_reception_supplement_leaves_the_clock_unstarted(world, clock):
    """Decree 61 art. 18(2)(b): an incomplete online dossier goes back with form 02
    before reception; the clock starts only when it is received, complete."""
    u = world.users
    clock.set(2026, 3, 2, 9, 0)
    d = online(world)
    clock.set(2026, 3, 2, 10, 0)
    d = dossier_return_incomplete(
        dossier=d,
        officer=u["desk"],
        missing=["Giấy chứng sinh: ảnh bị mờ, chụp lại"],
        expected_version=1,
    )
    assert (d.state, d.status) == ("incomplete", NationalStatus.SUPPLEMENT_REQUESTED)
    assert (d.received_at, d.clock_started_at, d.appointment_at, d.due_at) == (
        None,
        None,
        None,
        None,
    )
    assert d.supplement_requests == 0  # not an appraisal supplement (Decision 766)
    clock.set(2026, 3, 4, 15, 0)
    d = dossier_resubmit(
        dossier=d,
        expected_version=2,
        actor=world.users["citizen"],
        papers=[PaperInput("Giấy chứng sinh")],
    )
    assert (d.status, d.received_at) == (NationalStatus.FILED, None)
    clock.set(2026, 3, 5, 8, 0)
    d = dossier_receive(dossier=d, officer=u["desk"], expected_version=3)
    # 2 working days from the reception on Thursday 08:00, not from the first filing.
    assert d.received_at == at(2026, 3, 5, 8, 0)
    assert d.due_at == at(2026, 3, 9, 8, 0)
    # Form 02 was issued before reception and can still be printed.
    assert slip_forms(dossier=d) == ["01", "02", "05"]


def test_a_saturday_open_desks_deadline_skips_saturday(world, clock):
    """A desk open on Saturday receives; the clock runs only on working days."""
    desk = world.agency(DESK)
    committee = world.agency(COMMITTEE)
    for agency in (desk, committee):
        agency.working_weekdays = "012345"
        agency.save(update_fields=["working_weekdays"])
    clock.set(2026, 3, 7, 9, 0)  # Saturday
    d = counter(world)
    assert d.received_at == at(2026, 3, 7, 9, 0)
    # 2 working days (16 h) from Monday 07:00: Monday, Tuesday → Tuesday 17:00.
    assert d.due_at == at(2026, 3, 10, 17, 0)
    clock.set(2026, 3, 6, 16, 0)  # Friday 16:00: 1 h on Friday, not Saturday
    d = counter(world)
    assert d.due_at == at(2026, 3, 10, 16, 0)


def test_an_online_dossier_received_at_16_00_is_transferred_at_once(world, clock):
    """Decree 61 art. 19(1): paper after 15:00 goes over the next working morning; an
    online dossier passes electronically at once."""
    u = world.users
    clock.set(2026, 3, 2, 15, 30)
    d = online(world)
    clock.set(2026, 3, 2, 16, 0)
    d = dossier_receive(dossier=d, officer=u["desk"], expected_version=1)
    assert d.events.last().data["transfer_at"] == "2026-03-02T16:00:00+07:00"
    paper = counter(world)
    assert paper.channel == Channel.IN_PERSON
    assert paper.events.get().data["transfer_at"] == "2026-03-03T07:00:00+07:00"


def test_an_electronic_result_cannot_be_recorded_without_a_file(world, clock, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    u = world.users
    clock.set(2026, 3, 2, 9, 0)
    d = decide(world, counter(world))
    clock.set(2026, 3, 3, 9, 0)
    with pytest.raises(ActionNotAllowed, match="Attach the signed electronic result"):
        dossier_return_result(
            dossier=d, officer=u["desk"], expected_version=d.lock_version, electronic=True
        )
    d.refresh_from_db()
    assert (d.status, d.electronic_result) == (NationalStatus.DECIDED, False)
    with pytest.raises(ActionNotAllowed, match="PDF"):
        dossier_attach_result(
            dossier=d,
            officer=u["approver"],
            expected_version=d.lock_version,
            upload=SimpleUploadedFile("ket-qua.pdf", b"not a pdf at all", "application/pdf"),
        )
    d.refresh_from_db()
    assert not d.electronic_result and not d.result_file
    d = dossier_attach_result(
        dossier=d,
        officer=u["approver"],
        expected_version=d.lock_version,
        upload=SimpleUploadedFile("ket-qua.pdf", pdf_bytes(), "application/pdf"),
    )
    assert d.electronic_result and d.result_file
    d = dossier_return_result(
        dossier=d, officer=u["desk"], expected_version=d.lock_version, electronic=True
    )
    assert d.status == NationalStatus.RETURNED and d.events.last().data["electronic"] is True


def test_handled_fully_online_is_recorded_when_it_becomes_true(world, clock, settings, tmp_path):
    """Decision 766: filed online, no paper at the counter, fee paid online (or none),
    result delivered electronically — recorded at the return, not before."""
    settings.MEDIA_ROOT = str(tmp_path)
    u = world.users
    clock.set(2026, 3, 2, 9, 0)
    d = dossier_receive(dossier=online(world), officer=u["desk"], expected_version=1)
    d = dossier_act(dossier=d, officer=u["desk"], action="assign", expected_version=2)
    d = dossier_request_fee(dossier=d, officer=u["desk"], amount_vnd=8000, expected_version=3)
    clock.set(2026, 3, 2, 10, 0)
    d = dossier_fee_paid(dossier=d, expected_version=4, payment=PAID_ONLINE)
    assert d.paid_online and not d.full_online
    d = dossier_act(dossier=d, officer=u["specialist"], action="propose", expected_version=5)
    d = dossier_act(dossier=d, officer=u["approver"], action="approve", expected_version=6)
    assert not d.full_online
    d = dossier_attach_result(
        dossier=d,
        officer=u["approver"],
        expected_version=7,
        upload=SimpleUploadedFile("kq.pdf", pdf_bytes(), "application/pdf"),
    )
    d = dossier_return_result(dossier=d, officer=u["desk"], expected_version=8, electronic=True)
    assert d.full_online and d.events.last().data["full_online"] is True


# --- the importer and the lifecycle judge lateness alike --------------------------------


def _export_row(d: Dossier, code: str) -> dict[str, str]:
    """The dossier as another system would export it (docs/import_dossiers.md)."""

    def moment(value) -> str:
        return value.isoformat() if value else ""

    return {
        "code": code,
        "procedure_code": d.procedure_version.procedure.code,
        "receiving_agency_code": d.receiving_agency.code,
        "competent_agency_code": d.competent_agency.code,
        "unit_code": "",
        "channel": str(d.channel),
        "applicant_type": "person",
        "received_at": moment(d.received_at),
        "due_at": moment(d.appointment_at),
        "finished_at": moment(d.decided_at),
        "returned_at": moment(d.returned_at),
        "status": str(d.status),
        "full_online": "0",
        "fee_amount": str(d.fee_amount),
        "paid_online": "1" if d.paid_online else "0",
        "supplement_requests": str(d.supplement_requests),
        "supplement_days": str(d.supplement_seconds / 28800),
        "fee_days": str(d.fee_seconds / 28800),
        "e_result": "0",
        "digitized": "0",
        "reused_data": "0",
        "rating": "",
    }


def test_the_importer_and_the_lifecycle_agree_on_lateness(world, clock):
    u = world.users
    made: dict[str, Dossier] = {}

    clock.set(2026, 3, 2, 9, 0)  # on time: decided the next day
    d = counter(world)
    clock.set(2026, 3, 3, 9, 0)
    made["on_time"] = decide(world, d)

    clock.set(2026, 3, 2, 9, 0)  # late: due Wed 4/3 09:00, decided Thu
    d = counter(world)
    clock.set(2026, 3, 5, 9, 0)
    made["late"] = decide(world, d)

    clock.set(2026, 3, 2, 9, 0)  # a fee wait of Tue–Wed does not count: on time Thursday
    d = counter(world)
    d = dossier_act(dossier=d, officer=u["desk"], action="assign", expected_version=1)
    clock.set(2026, 3, 3, 9, 0)
    d = dossier_request_fee(dossier=d, officer=u["desk"], amount_vnd=5000, expected_version=2)
    clock.set(2026, 3, 5, 9, 0)
    d = dossier_fee_paid(dossier=d, expected_version=3, payment=PAID_ONLINE)
    d = dossier_act(dossier=d, officer=u["specialist"], action="propose", expected_version=4)
    clock.set(2026, 3, 5, 16, 0)
    made["fee_wait"] = dossier_act(
        dossier=d, officer=u["approver"], action="approve", expected_version=5
    )

    clock.set(2026, 3, 2, 9, 0)  # one supplement, restarted clock, decided in time
    d = counter(world)
    d = dossier_act(dossier=d, officer=u["desk"], action="assign", expected_version=1)
    clock.set(2026, 3, 3, 9, 0)
    d = dossier_request_supplement(
        dossier=d, officer=u["desk"], missing=["Tờ khai"], expected_version=2
    )
    clock.set(2026, 3, 6, 9, 0)
    d = dossier_supplement_complete(dossier=d, expected_version=3)
    d = dossier_act(dossier=d, officer=u["specialist"], action="propose", expected_version=4)
    clock.set(2026, 3, 9, 9, 0)
    made["supplement"] = dossier_act(
        dossier=d, officer=u["approver"], action="approve", expected_version=5
    )

    clock.set(2026, 3, 2, 9, 0)  # two supplement requests: late however fast
    d = counter(world)
    d = dossier_act(dossier=d, officer=u["desk"], action="assign", expected_version=1)
    for version in (2, 4):
        d = dossier_request_supplement(
            dossier=d, officer=u["desk"], missing=["Tờ khai"], expected_version=version
        )
        d = dossier_supplement_complete(dossier=d, expected_version=version + 1)
    d = dossier_act(dossier=d, officer=u["specialist"], action="propose", expected_version=6)
    made["twice"] = dossier_act(
        dossier=d, officer=u["approver"], action="approve", expected_version=7
    )

    clock.set(2026, 3, 2, 9, 0)  # apology: still late
    d = counter(world, LAND)
    clock.set(2026, 3, 12, 9, 0)
    d = dossier_apologize(
        dossier=d,
        officer=u["approver"],
        reason="Chờ xác minh",
        new_due_at=at(2026, 3, 20, 9, 0),
        expected_version=1,
    )
    clock.set(2026, 3, 18, 9, 0)
    made["apology"] = decide(world, d)

    lifecycle = {key: d.is_late for key, d in made.items()}
    assert lifecycle == {
        "on_time": False,
        "late": True,
        "fee_wait": False,
        "supplement": False,
        "twice": True,
        "apology": True,
    }
    clock.set(2026, 4, 1, 9, 0)
    text = io.StringIO()
    columns = [*COLUMNS, "fee_days"]
    writer = csv.DictWriter(text, fieldnames=columns)
    writer.writeheader()
    for key, d in made.items():
        writer.writerow(_export_row(d, f"IMPORT-{key}"))
    text.seek(0)
    dossiers_import_csv(file=text, source_name="export.csv")
    imported = {
        code.removeprefix("IMPORT-"): late
        for code, late in Dossier.objects.filter(imported=True).values_list("code", "is_late")
    }
    assert imported == lifecycle
    for key, d in made.items():
        twin = Dossier.objects.get(code=f"IMPORT-{key}")
        assert (twin.appointment_at, twin.due_at) == (d.appointment_at, d.due_at), key
    assert timedelta(seconds=made["fee_wait"].fee_seconds) == timedelta(hours=16)
