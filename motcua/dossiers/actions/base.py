"""What an action is: one legal act on a dossier, described once.

A spec (a subclass of `Action`, one per file in this package) says everything the rest
of motcua needs to know about the act: its key, the official's wording (button and
history) and the citizen's (timeline, tracking), the steps it may start from and the
step it leads to, who may do it, the back-office form that collects its input, whether
its button is a danger, the notification template and the Circular 01 slip it issues,
the rules it checks and what it changes (`apply`). The runner
(motcua.dossiers.actions.runner) does the frame around `apply` — lock, check, version,
event, outbox, timing — so no action repeats it.

From-steps may name built-in steps (motcua.workflows.definitions) and PROCESSING, which
stands for every processing step of the dossier's own workflow. The built-in actions'
from/to/who form the base workflow document every procedure's workflow is merged with
(`motcua.dossiers.actions.base_definition`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.functional import Promise

from motcua.dossiers.models import Dossier
from motcua.organizations.models import Agency

User = AbstractBaseUser

# Markers in from-steps / to-step.
PROCESSING = "@processing"  # every processing step of the workflow
START = "@start"  # the workflow's start step
RESUME = "@resume"  # the step the dossier waited in (dossier.resume_state)
BEFORE_WITHDRAWAL = "@before_withdrawal"  # the step a withdrawal request came from


class Party:
    """Who may do an action."""

    DESK = "desk"  # a receiving officer of the receiving agency (the one-stop desk)
    APPROVER = "approver"  # an approver of the competent agency
    APPLICANT = "applicant"  # the applicant (portal, gateway) or the desk recording it
    WORKFLOW = "workflow"  # the roles the workflow's action names, in the competent agency
    NOBODY = "nobody"  # recorded by the system only (filing, import)


class DossierError(Exception):
    """A refused dossier action; the message is safe to show an official."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class StaleDossier(DossierError):
    """The page showed an older version of the dossier: someone else changed it."""


class ActionNotAllowed(DossierError):
    """Wrong step, wrong role, or a legal rule refuses the action (the message says which)."""


@dataclass
class Context:
    """One run of an action: the locked dossier and who acts, where, when, with what."""

    dossier: Dossier
    actor: User | None
    agency: Agency | None  # the agency the actor acts for (None: applicant, gateway)
    now: datetime
    params: dict[str, Any]
    definition: dict[str, Any]  # the merged workflow definition
    from_state: str = ""
    # Roles already read (by the lock), by user id: motcua.dossiers.actions.runner.Roles.
    roles: dict[int, Any] = field(default_factory=dict)


@dataclass
class Effect:
    """What `apply` reports: the event's data and note, the notification's context."""

    data: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    notify: dict[str, Any] | None = None  # None: no message; {}: the template's defaults
    template: str = ""  # overrides the spec's template for this run


class Action:
    key: ClassVar[str]
    label: ClassVar[str | Promise]  # the official's button
    done: ClassVar[str | Promise]  # the official's history line
    citizen: ClassVar[str | Promise]  # the applicant's timeline and public tracking
    from_steps: ClassVar[tuple[str, ...]] = ()
    to: ClassVar[str] = ""  # a built-in step or a marker; "" = decided by apply
    party: ClassVar[str] = Party.DESK
    form: ClassVar[str] = ""  # the back-office form kind that collects the input
    danger: ClassVar[bool] = False  # ends or turns back the dossier: a red button
    template: ClassVar[str] = ""  # notification template
    slip: ClassVar[str] = ""  # the Circular 01 form the act issues

    def role_options(self, dossier: Dossier) -> list[tuple[Agency | None, list[str]]] | None:
        """Who may act, when no Party says it: (agency, roles) pairs, any one enough."""
        return None

    def clean(self, params: dict[str, Any]) -> dict[str, Any]:
        """Check and normalise what the official typed, before any lock; raise
        ActionNotAllowed (or ValidationError) naming the problem."""
        return params

    def rules(self, dossier: Dossier, now: datetime) -> None:
        """Legal rules that depend on the dossier, not on the input (shown buttons obey
        them too); raise ActionNotAllowed."""

    def apply(self, ctx: Context) -> Effect:
        raise NotImplementedError


# --- small helpers the specs share --------------------------------------------------------


def clean_list(items: Any) -> list[str]:
    """Non-empty stripped lines of a list (reasons, missing papers)."""
    if not isinstance(items, list | tuple):
        return []
    return [item.strip() for item in items if isinstance(item, str) and item.strip()]


def local(moment: datetime) -> datetime:
    from django.utils import timezone

    from motcua.core.calendar import VN_TZ

    return timezone.localtime(moment, VN_TZ)


def shown(moment: datetime) -> str:
    return local(moment).strftime("%H:%M %d/%m/%Y")


def iso(moment: datetime | None) -> str | None:
    return local(moment).isoformat() if moment is not None else None


def set_state(ctx: Context, state: str) -> None:
    """Move the dossier to `state` and the national status the definition gives it."""
    from motcua.workflows.definitions import status_of

    ctx.dossier.state = state
    ctx.dossier.status = status_of(ctx.definition, state)


def missing_clean(params: dict[str, Any]) -> dict[str, Any]:
    """Form 02's input: every missing or incorrect paper (and why), whom to ask."""
    from django.utils.translation import gettext as _

    missing = clean_list(params.get("missing"))
    if not missing:
        raise ActionNotAllowed(_("List every missing or incorrect paper (form 02)."))
    return {**params, "missing": missing, "contact": str(params.get("contact", "")).strip()}


def reasons_clean(params: dict[str, Any]) -> dict[str, Any]:
    """Form 03's input (and any answer that must give reasons): at least one reason."""
    from django.utils.translation import gettext as _

    reasons = clean_list(params.get("reasons"))
    if not reasons:
        raise ActionNotAllowed(_("Give at least one reason for refusing the dossier."))
    return {**params, "reasons": reasons}
