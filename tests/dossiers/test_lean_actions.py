"""What issue 14 (lean actions) takes out of the hot path must stay exact: reference rows
read from per-process memos see an edit at once in the process that made it, roles are
read with the lock on every action, and the contact preference computed inside the
outbox row's INSERT is the one contact_preference_for gives."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from motcua.accounts.models import RoleAssignment
from motcua.core.calendar import Duration, DurationKind
from motcua.core.models import CalendarDay, CalendarDayKind
from motcua.core.selectors import due_at
from motcua.core.services import calendar_day_save
from motcua.dossiers.actions.base import ActionNotAllowed
from motcua.dossiers.services import dossier_act
from motcua.notifications.models import Notification
from motcua.notifications.selectors import contact_preference_for
from motcua.notifications.services import contact_preference_set
from motcua.workflows.definitions import COMMUNE_DEFINITION, COMMUNE_WORKFLOW
from motcua.workflows.services import workflow_create

from .test_dossier_lifecycle import APPLICANT, COMMITTEE, counter


def test_a_day_off_saved_reaches_the_next_reception(world, clock):
    clock.set(2026, 3, 4, 10, 0)  # Wednesday; 2 working days
    first = counter(world)
    calendar_day_save(
        day=CalendarDay(date=date(2026, 3, 5), kind=CalendarDayKind.DAY_OFF, name="Nghỉ")
    )
    second = counter(world)
    exact = due_at(
        start=clock.now,
        duration=Duration(DurationKind.WORKING_DAYS, 2),
        agency=second.competent_agency,
    )
    assert second.due_at == exact > first.due_at


def test_a_new_workflow_version_reaches_the_next_reception(world):
    first = counter(world)
    definition = copy.deepcopy(COMMUNE_DEFINITION)
    definition["states"]["received"]["label"] += " (mới)"
    new = workflow_create(code=COMMUNE_WORKFLOW, name="Quy trình mới", definition=definition)
    second = counter(world)
    assert first.workflow_id != new.pk
    assert second.workflow_id == new.pk


def test_a_deactivated_agency_is_no_longer_chosen(world):
    first = counter(world)
    assert first.competent_agency.code == COMMITTEE
    committee = world.agency(COMMITTEE)
    committee.is_active = False
    committee.save()
    assert counter(world).competent_agency_id != committee.pk


def test_roles_are_read_with_the_lock_on_every_action(world):
    u = world.users
    d = counter(world)
    RoleAssignment.objects.filter(user=u["specialist"]).delete()
    with pytest.raises(ActionNotAllowed, match="cannot be assigned"):
        dossier_act(
            dossier=d,
            officer=u["desk"],
            action="assign",
            expected_version=d.lock_version,
            assignee=u["specialist"],
        )
    RoleAssignment.objects.filter(user=u["desk"]).delete()
    with pytest.raises(ActionNotAllowed, match="role does not allow"):
        dossier_act(dossier=d, officer=u["desk"], action="assign", expected_version=1)


@pytest.mark.parametrize(
    ("preferences", "expected"),
    [
        ([], ""),
        ([{"email": APPLICANT.email, "channel": "email"}], "email"),
        ([{"phone": APPLICANT.phone, "channel": "sms"}], "sms"),
        (
            [
                {"email": APPLICANT.email, "channel": "email"},
                {"phone": APPLICANT.phone, "channel": "sms"},
            ],
            "sms",
        ),
    ],
)
def test_the_outbox_row_carries_the_contact_preference(world, preferences, expected):
    for preference in preferences:
        contact_preference_set(**preference)
    assert contact_preference_for(phone=APPLICANT.phone, email=APPLICANT.email) == expected
    d = counter(world)
    row = Notification.objects.get(dossier=d)
    assert row.preferred_channel == expected
