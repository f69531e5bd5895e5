"""The registry of dossier actions: one spec per file in this package (see base.py).

Adding an action is one file (a subclass of Action, decorated with @register), its
notification template and its tests. The back office's buttons and forms, the citizen's
timeline, tracking, the importer and the notifications read the specs here; the
runner (runner.py) applies them.

Each workflow stored for a procedure only describes its processing path; the built-in
steps and actions of this registry are merged into it (`definition_of`), so the
runner checks every action — built-in or the workflow's — the same way.
"""

from __future__ import annotations

import copy
import importlib
from typing import Any

from motcua.dossiers.actions.base import (
    BEFORE_WITHDRAWAL,
    PROCESSING,
    RESUME,
    START,
    Action,
    Party,
)
from motcua.workflows import definitions as wf

ACTIONS: dict[str, Action] = {}

# The spec modules, in the order their buttons appear after the workflow's own.
_MODULES = (
    "receive",
    "return_incomplete",
    "resubmit",
    "refuse_reception",
    "request_supplement",
    "supplement_complete",
    "request_fee",
    "fee_paid",
    "apologize",
    "request_withdrawal",
    "stop",
    "decline_withdrawal",
    "refuse",
    "return_result",
    "attach_result",
    "records",
)


def register(cls: type[Action]) -> type[Action]:
    if cls.key in ACTIONS:
        raise ValueError(f"Action {cls.key!r} registered twice.")
    ACTIONS[cls.key] = cls()
    return cls


def _load() -> None:
    for name in _MODULES:
        importlib.import_module(f"motcua.dossiers.actions.{name}")


_load()

# Actions somebody may take (the others only record what the system did).
TAKEN = [a for a in ACTIONS.values() if a.party != Party.NOBODY]
# Those chosen with a button on the dossier page (the result has its own upload form;
# a payment is recorded from the dossier's bill, motcua.payments).
CHOSEN = [a for a in TAKEN if a.form not in ("result", "bill")]


def action_get(key: str) -> Action | None:
    return ACTIONS.get(key)


def base_definition() -> dict[str, Any]:
    """The base workflow document: the built-in steps and the built-in actions' from-
    and to-steps and parties, as data (markers unexpanded)."""
    return {
        "states": {
            key: {"status": status, "builtin": True} for key, status in wf.BUILTIN_STATES.items()
        },
        "actions": {
            a.key: {"from": list(a.from_steps), "to": a.to, "party": a.party, "builtin": True}
            for a in TAKEN
        },
    }


def _expand(steps: list[str], processing: list[str]) -> list[str]:
    out: list[str] = []
    for step in steps:
        for item in processing if step == PROCESSING else [step]:
            if item not in out:
                out.append(item)
    return out


def merge(definition: dict[str, Any]) -> dict[str, Any]:
    """A procedure's workflow merged with the base document, PROCESSING expanded to its
    processing steps (its own actions first, in key order; then the built-in ones)."""
    merged = copy.deepcopy(definition)
    processing = sorted(definition.get("states") or {})
    base = base_definition()
    states = merged.setdefault("states", {})
    for key, state in base["states"].items():
        states.setdefault(key, state)
    actions = {
        key: {**spec, "party": Party.WORKFLOW}
        for key, spec in sorted((merged.get("actions") or {}).items())
    }
    for key, spec in base["actions"].items():
        if key in actions:
            continue  # the validator reports the clash
        actions[key] = {**spec, "from": _expand(spec["from"], processing)}
    merged["actions"] = actions
    return merged


def definition_of(workflow: Any) -> dict[str, Any]:
    """The merged definition of a workflow, merged once per loaded instance (a stored
    version is never edited, and a fresh instance never sees a stale merge)."""
    merged = getattr(workflow, "_merged_definition", None)
    if merged is None:
        merged = workflow._merged_definition = merge(workflow.definition)
    return merged


def step_label(definition: dict[str, Any], state: str) -> str:
    """A step in the official's words: the workflow's label, else the national status."""
    from motcua.dossiers.models import NationalStatus

    spec = definition.get("states", {}).get(state) or {}
    if spec.get("label"):
        return str(spec["label"])
    status = wf.BUILTIN_STATES.get(state)
    return str(NationalStatus(status).label) if status else state


def action_label(definition: dict[str, Any], key: str) -> str:
    """An action's button text: the workflow's label, else the spec's."""
    spec = (definition.get("actions") or {}).get(key) or {}
    if spec.get("label"):
        return str(spec["label"])
    action = ACTIONS.get(key)
    return str(action.label) if action else key


def event_text(definition: dict[str, Any], key: str, *, for_citizen: bool) -> str | None:
    """What an event of action `key` says happened: the spec's wording (the citizen's or
    the official's), else the workflow action's label; None when unknown."""
    action = ACTIONS.get(key)
    if action is not None:
        return str(action.citizen if for_citizen else action.done)
    spec = (definition.get("actions") or {}).get(key)
    if isinstance(spec, dict) and spec.get("label"):
        return str(spec["label"])
    return None


__all__ = [
    "ACTIONS",
    "BEFORE_WITHDRAWAL",
    "CHOSEN",
    "PROCESSING",
    "RESUME",
    "START",
    "Action",
    "Party",
    "action_get",
    "action_label",
    "base_definition",
    "definition_of",
    "event_text",
    "merge",
    "register",
    "step_label",
]
