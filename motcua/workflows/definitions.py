"""Workflow definitions: the schema, its validation, and the two shipped workflows.

A definition is plain data (JSON):

    {
      "start": "received",                     # the step a dossier enters on receipt
      "states": {                              # processing steps of this workflow
        "<step>": {"label": str, "status": 2 | 4, "role": <Role>,
                   "sla_share": float,         # share of the legal time for this step
                   "sla_working_days": int,    # or a fixed deadline (consultation)
                   "agency_type": <AgencyType>}, # held by another agency (liên thông):
                                               # the one of that type near the dossier
      },
      "actions": {
        "<action>": {"label": str, "from": [<step>, ...], "to": <step> | "decided",
                     "roles": [<Role>, ...],
                     "consult": bool}           # hands the dossier to another agency
      }
    }

The steps every workflow shares — filed online, sent back before reception, refused at
reception, waiting for a supplement or a fee, withdrawal requested, stopped, decided,
returned — and the legal actions around them (reception, supplement, fee, apology,
withdrawal, refusal, return) form the base document of the action registry
(motcua.dossiers.actions.base_definition). A procedure's definition only describes the
processing path from receipt to the decision; the two are merged
(motcua.dossiers.actions.merge) and this validator checks the whole.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _

from motcua.accounts.models import Role
from motcua.dossiers.models import NationalStatus
from motcua.organizations.models import AgencyType

# Built-in steps and the national status each one shows.
SUBMITTED = "submitted"
INCOMPLETE = "incomplete"  # sent back before reception to be completed (form 02)
WITHDRAWAL_REQUESTED = "withdrawal_requested"
NOT_RECEIVED = "not_received"
SUPPLEMENT = "supplement"
FEE = "fee"
STOPPED = "stopped"
DECIDED = "decided"
RETURNED = "returned"
BUILTIN_STATES: dict[str, int] = {
    SUBMITTED: NationalStatus.FILED,
    INCOMPLETE: NationalStatus.SUPPLEMENT_REQUESTED,
    WITHDRAWAL_REQUESTED: NationalStatus.WITHDRAWAL_REQUESTED,
    NOT_RECEIVED: NationalStatus.NOT_RECEIVED,
    SUPPLEMENT: NationalStatus.SUPPLEMENT_REQUESTED,
    FEE: NationalStatus.FEE_REQUESTED,
    STOPPED: NationalStatus.STOPPED,
    DECIDED: NationalStatus.DECIDED,
    RETURNED: NationalStatus.RETURNED,
}
PROCESSING_STATUSES = {NationalStatus.RECEIVED, NationalStatus.PROCESSING}
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class WorkflowDefinitionError(ValueError):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("; ".join(errors))


def workflow_validate(definition: Any) -> None:
    """Raise WorkflowDefinitionError listing every problem of a definition."""
    errors: list[str] = []
    if not isinstance(definition, dict):
        raise WorkflowDefinitionError([_("A workflow definition must be an object.")])
    states = definition.get("states")
    actions = definition.get("actions")
    if not isinstance(states, dict) or not states:
        errors.append(_("'states' must be a non-empty object."))
        states = {}
    if not isinstance(actions, dict) or not actions:
        errors.append(_("'actions' must be a non-empty object."))
        actions = {}
    roles = set(Role.values)
    for key, state in states.items():
        where = _("step '%s'") % key
        if not _KEY.match(str(key)) or key in BUILTIN_STATES:
            errors.append(
                _("%s: the name must be lower-case letters, digits and _, and not a built-in step.")
                % where
            )
        if not isinstance(state, dict):
            errors.append(_("%s: must be an object.") % where)
            continue
        if state.get("status") not in PROCESSING_STATUSES:
            errors.append(_("%s: 'status' must be 2 (received) or 4 (processing).") % where)
        if state.get("role") not in roles:
            errors.append(_("%s: 'role' must be one of %s.") % (where, ", ".join(sorted(roles))))
        share = state.get("sla_share")
        days = state.get("sla_working_days")
        if share is not None and not (isinstance(share, int | float) and 0 <= share <= 1):
            errors.append(_("%s: 'sla_share' must be a number from 0 to 1.") % where)
        if days is not None and not (isinstance(days, int) and days > 0):
            errors.append(_("%s: 'sla_working_days' must be a positive whole number.") % where)
        if not isinstance(state.get("label"), str) or not state["label"].strip():
            errors.append(_("%s: 'label' must not be empty.") % where)
        if "agency_type" in state and state["agency_type"] not in AgencyType.values:
            errors.append(_("%s: 'agency_type' must be a known agency type.") % where)
    start = definition.get("start")
    if start not in states:
        errors.append(_("'start' must name one of the steps."))
    for key, action in actions.items():
        where = _("action '%s'") % key
        if not _KEY.match(str(key)):
            errors.append(_("%s: the name must be lower-case letters, digits and _.") % where)
        if not isinstance(action, dict):
            errors.append(_("%s: must be an object.") % where)
            continue
        sources = action.get("from")
        if not isinstance(sources, list) or not sources or any(s not in states for s in sources):
            errors.append(_("%s: 'from' must list steps of this workflow.") % where)
        if action.get("to") not in states and action.get("to") != DECIDED:
            errors.append(_("%s: 'to' must be a step of this workflow or 'decided'.") % where)
        if (
            not isinstance(action.get("roles"), list)
            or not action["roles"]
            or any(r not in roles for r in action["roles"])
        ):
            errors.append(_("%s: 'roles' must list known roles.") % where)
        if not isinstance(action.get("label"), str) or not action["label"].strip():
            errors.append(_("%s: 'label' must not be empty.") % where)
    if not errors and not _reaches_decision(definition):
        errors.append(_("No sequence of actions leads from 'start' to 'decided'."))
    errors.extend(_merge_errors(definition))
    if errors:
        raise WorkflowDefinitionError(errors)


def _merge_errors(definition: dict[str, Any]) -> list[str]:
    """Problems of the definition merged with the base document (the built-in steps
    and legal actions of motcua.dossiers.actions): a name may not stand for two things."""
    from motcua.dossiers.actions import base_definition

    base = base_definition()
    actions = definition.get("actions") if isinstance(definition.get("actions"), dict) else {}
    return [
        _("action '%s': the name of a built-in action; choose another.") % key
        for key in actions
        if key in base["actions"]
    ]


def _reaches_decision(definition: dict[str, Any]) -> bool:
    seen = {definition["start"]}
    frontier = [definition["start"]]
    while frontier:
        state = frontier.pop()
        for action in definition["actions"].values():
            if state in action["from"]:
                if action["to"] == DECIDED:
                    return True
                if action["to"] not in seen:
                    seen.add(action["to"])
                    frontier.append(action["to"])
    return False


def status_of(definition: dict[str, Any], state: str) -> int:
    if state in BUILTIN_STATES:
        return BUILTIN_STATES[state]
    return definition["states"][state]["status"]


R = Role
COMMUNE_WORKFLOW = "commune-default"
CONSULTATION_WORKFLOW = "commune-consultation"

# receive → assign → appraise → approve → result → return
COMMUNE_DEFINITION: dict[str, Any] = {
    "start": "received",
    "states": {
        "received": {
            "label": "Chờ chuyển xử lý",
            "status": 2,
            "role": R.RECEIVING_OFFICER,
            "sla_share": 0.1,
        },
        "appraising": {
            "label": "Đang thẩm định",
            "status": 4,
            "role": R.SPECIALIST,
            "sla_share": 0.6,
        },
        "approving": {"label": "Chờ phê duyệt", "status": 4, "role": R.APPROVER, "sla_share": 0.3},
    },
    "actions": {
        "assign": {
            "label": "Chuyển chuyên viên xử lý",
            "from": ["received"],
            "to": "appraising",
            "roles": [R.RECEIVING_OFFICER],
        },
        "propose": {
            "label": "Trình phê duyệt",
            "from": ["appraising"],
            "to": "approving",
            "roles": [R.SPECIALIST],
        },
        "send_back": {
            "label": "Trả lại chuyên viên",
            "from": ["approving"],
            "to": "appraising",
            "roles": [R.APPROVER],
        },
        "approve": {
            "label": "Phê duyệt, ban hành kết quả",
            "from": ["approving"],
            "to": DECIDED,
            "roles": [R.APPROVER],
        },
    },
}

# The same path with a consultation of another agency (liên thông), 3 working days.
CONSULTATION_DEFINITION: dict[str, Any] = {
    "start": "received",
    "states": {
        **COMMUNE_DEFINITION["states"],
        "appraising": {
            "label": "Đang thẩm định",
            "status": 4,
            "role": R.SPECIALIST,
            "sla_share": 0.4,
        },
        "consulting": {
            "label": "Đang lấy ý kiến cơ quan liên thông",
            "status": 4,
            "role": R.SPECIALIST,
            "sla_working_days": 3,
        },
    },
    "actions": {
        **COMMUNE_DEFINITION["actions"],
        "consult": {
            "label": "Gửi lấy ý kiến cơ quan liên thông",
            "from": ["appraising"],
            "to": "consulting",
            "roles": [R.SPECIALIST],
            "consult": True,
        },
        "consultation_answered": {
            "label": "Đã nhận ý kiến liên thông",
            "from": ["consulting"],
            "to": "appraising",
            "roles": [R.SPECIALIST],
        },
    },
}

SHIPPED = {
    COMMUNE_WORKFLOW: ("Quy trình cấp xã", COMMUNE_DEFINITION),
    CONSULTATION_WORKFLOW: ("Quy trình cấp xã có liên thông", CONSULTATION_DEFINITION),
}
