"""A step of a procedure's own workflow (assign, propose, approve, consult, …): the
generic action for every action a workflow document defines (not registered by key:
the key and its rules come from the data, motcua.workflows.definitions).

A consultation action needs `consult_agency`; the consulted agency keeps the dossier
until an action leaves the consulting step. A step whose definition names an
`agency_type` is held by that agency (liên thông in sequence): the dossier is handed
over to it on entry and back on leaving, each hand-over an event of its own, and the
step has its share of the legal time (form 05). An action leading to "decided" grants the
request (a refusal is the built-in `refuse`). `assignee` hands the next step to a
named official who holds the step's role.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from motcua.core.calendar import Duration, DurationKind
from motcua.core.selectors import due_at as calendar_due_at
from motcua.dossiers import timing
from motcua.dossiers.actions.base import (
    Action,
    ActionNotAllowed,
    Context,
    Effect,
    Party,
    iso,
    set_state,
)
from motcua.dossiers.models import Dossier, Outcome
from motcua.dossiers.routing import step_agency_for
from motcua.workflows.definitions import DECIDED


class WorkflowTransition(Action):
    party = Party.WORKFLOW
    form = "workflow"

    def __init__(self, key: str, entry: dict[str, Any]) -> None:
        self.key = key
        self.label = self.done = self.citizen = str(entry.get("label") or key)
        self.entry = entry
        self.from_steps = tuple(entry.get("from", ()))
        self.to = entry.get("to", "")
        self.template = "result_ready" if self.to == DECIDED else ""

    @property
    def consult(self) -> bool:
        return bool(self.entry.get("consult"))

    def apply(self, ctx: Context) -> Effect:
        dossier = ctx.dossier
        consult_agency = ctx.params.get("consult_agency")
        assignee = ctx.params.get("assignee")
        data: dict[str, Any] = {"kind": "workflow", "label": self.label}
        if self.consult:
            if consult_agency is None:
                raise ActionNotAllowed(_("Choose the agency to consult."))
            if consult_agency.pk == dossier.competent_agency_id or not consult_agency.is_active:
                raise ActionNotAllowed(
                    _("Consult another active agency, not the competent agency itself.")
                )
        elif consult_agency is not None:
            raise ActionNotAllowed(
                _("“%(action)s” does not consult another agency.") % {"action": self.label}
            )
        if dossier.consult_agency_id:  # leaving the consultation: the answer is in
            data["consulted_agency"] = dossier.consult_agency_id
            dossier.consult_agency = None
        if self.consult:
            dossier.consult_agency = consult_agency
            data["consult_agency"] = consult_agency.pk
            days = ctx.definition["states"][self.to].get("sla_working_days")
            if days:
                data["consult_deadline"] = iso(
                    calendar_due_at(
                        start=ctx.now,
                        duration=Duration(DurationKind.WORKING_DAYS, days),
                        agency=consult_agency,
                    )
                )
        if assignee is not None:
            _check_assignee(dossier, ctx, self.to, assignee)
            dossier.assignee = assignee
            data["assignee"] = assignee.pk
        holder_type = (ctx.definition["states"].get(self.to) or {}).get("agency_type")
        if holder_type:
            # A liên thông step held by another agency: hand the dossier over to it.
            holder = step_agency_for(
                competent_agency=dossier.competent_agency, agency_type=holder_type
            )
            if holder is None:
                raise ActionNotAllowed(
                    _("No active agency of the kind this step needs can take the dossier.")
                )
            dossier.consult_agency = holder
            data["consult_agency"] = holder.pk
            data["handed_to"] = holder.name
        note = str(ctx.params.get("note") or "").strip()
        set_state(ctx, self.to)
        if self.to != DECIDED:
            return Effect(data=data, note=note)
        dossier.outcome = Outcome.GRANTED
        dossier.decided_at = ctx.now
        data["timing"] = timing.deadline_timing(done_at=ctx.now, deadline=dossier.due_at)
        return Effect(data=data, note=note, notify={})


def _check_assignee(dossier: Dossier, ctx: Context, target: str, assignee: Any) -> None:
    from motcua.accounts.models import Role
    from motcua.dossiers.actions.runner import roles_lookup

    step = ctx.definition["states"].get(target) or {}
    role = step.get("role")
    if not role:
        raise ActionNotAllowed(_("No one can be assigned once the dossier is decided."))
    roles_in = ctx.roles.get(assignee.pk) or roles_lookup(assignee)
    agencies = [dossier.competent_agency, dossier.consult_agency]
    if role == Role.RECEIVING_OFFICER:
        agencies.append(dossier.receiving_agency)
    if not any(role in roles_in(agency) for agency in agencies):
        raise ActionNotAllowed(
            _("%(name)s cannot be assigned: the step “%(step)s” needs a %(role)s.")
            % {
                "name": assignee.get_username(),
                "step": step.get("label", target),
                "role": Role(role).label,
            }
        )
