"""Liên thông in sequence: a workflow step held by another agency (the commune police),
each step with its share of the legal time and its own hand-over, all on form 05.

Procedure of 10 working days received Monday 2 March 2026 at 09:00 (no holiday)."""

from __future__ import annotations

import copy

import pytest

from motcua.dossiers.actions.base import ActionNotAllowed
from motcua.dossiers.selectors import dossier_allowed_actions, dossier_step_deadlines
from motcua.dossiers.services import (
    Applicant,
    dossier_act,
    dossier_receive_at_counter,
    dossier_return_result,
)
from motcua.workflows.definitions import (
    COMMUNE_DEFINITION,
    WorkflowDefinitionError,
    workflow_validate,
)
from motcua.workflows.services import workflow_create

from .conftest import LAND, at

DESK = "000.01.32.H37"
COMMITTEE = "000.01.31.H37"
POLICE = "000.01.33.H37"


def sequence_definition() -> dict:
    definition = copy.deepcopy(COMMUNE_DEFINITION)
    definition["states"]["appraising"]["sla_share"] = 0.4
    definition["states"]["police_check"] = {
        "label": "Công an xã xác minh",
        "status": 4,
        "role": "specialist",
        "sla_share": 0.2,
        "agency_type": "cong_an_xa",
    }
    definition["actions"]["propose"]["from"] = ["appraising"]
    definition["actions"]["propose"]["to"] = "police_check"
    definition["actions"]["verified"] = {
        "label": "Đã xác minh, trình phê duyệt",
        "from": ["police_check"],
        "to": "approving",
        "roles": ["specialist"],
    }
    return definition


def test_the_validator_knows_agency_types():
    broken = sequence_definition()
    broken["states"]["police_check"]["agency_type"] = "cong_an_tinh_xyz"
    with pytest.raises(WorkflowDefinitionError, match="agency_type"):
        workflow_validate(broken)
    workflow_validate(sequence_definition())


def test_a_dossier_passes_through_the_police_and_back(world, clock):
    u = world.users
    workflow = workflow_create(
        code="xa-lien-thong", name="Liên thông", definition=sequence_definition()
    )
    version = world.procedures[LAND]
    version.workflow = workflow
    version.save(update_fields=["workflow"])
    clock.set(2026, 3, 2, 9, 0)
    d = dossier_receive_at_counter(
        officer=u["desk"],
        agency=world.agency(DESK),
        procedure_version=version,
        applicant=Applicant(name="Vàng Thị Súa"),
    )
    assert d.due_at == at(2026, 3, 16, 9, 0)
    clock.set(2026, 3, 2, 10, 0)
    d = dossier_act(dossier=d, officer=u["desk"], action="assign", expected_version=1)
    clock.set(2026, 3, 4, 10, 0)
    d = dossier_act(dossier=d, officer=u["specialist"], action="propose", expected_version=2)
    # Handed over to the commune police, who now hold it and see the next action.
    assert (d.state, d.consult_agency) == ("police_check", world.agency(POLICE))
    assert d.events.last().data["handed_to"] == world.agency(POLICE).name
    assert [c.key for c in dossier_allowed_actions(dossier=d, user=u["police"])] == ["verified"]
    with pytest.raises(ActionNotAllowed):  # the approver's step comes after the police's
        dossier_act(dossier=d, officer=u["approver"], action="approve", expected_version=3)
    clock.set(2026, 3, 6, 9, 0)
    d = dossier_act(dossier=d, officer=u["police"], action="verified", expected_version=3)
    assert (d.state, d.consult_agency) == ("approving", None)
    assert d.events.last().agency == world.agency(POLICE)
    clock.set(2026, 3, 9, 9, 0)
    d = dossier_act(dossier=d, officer=u["approver"], action="approve", expected_version=4)
    clock.set(2026, 3, 9, 14, 0)
    d = dossier_return_result(dossier=d, officer=u["desk"], expected_version=5)

    rows = dossier_step_deadlines(dossier=d)
    # Form 05, in order: desk, committee, police, committee, desk (the return); each
    # with its share of the 80 working hours, from its own hand-over.
    assert [(r.step, r.agency.code) for r in rows] == [
        ("received", COMMITTEE),
        ("appraising", COMMITTEE),
        ("police_check", POLICE),
        ("approving", COMMITTEE),
        ("decided", DESK),
    ]
    police = rows[2]
    # 20% of 80 h = 16 h from Wednesday 4/3 10:00: Thursday, then Friday 10:00.
    assert (police.handed_over_at, police.deadline, police.done_at, police.timing) == (
        at(2026, 3, 4, 10, 0),
        at(2026, 3, 6, 10, 0),
        at(2026, 3, 6, 9, 0),
        "on_time",
    )
    assert rows[-1].done_at == at(2026, 3, 9, 14, 0) and rows[-1].timing == "early"
    assert not d.is_late
