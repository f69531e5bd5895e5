"""Refuse during processing (form 03; Decree 61/2018 art. 19(1)(c)): decided (status 9),
outcome refused, by the competent agency's approver, with written reasons."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from motcua.dossiers import timing
from motcua.dossiers.actions import register
from motcua.dossiers.actions.base import (
    PROCESSING,
    Action,
    Context,
    Effect,
    Party,
    reasons_clean,
    set_state,
)
from motcua.dossiers.models import Outcome
from motcua.workflows.definitions import DECIDED, FEE, SUPPLEMENT


@register
class Refuse(Action):
    key = "refuse"
    label = gettext_lazy("Refuse, giving reasons")
    done = gettext_lazy("Refused")
    citizen = gettext_lazy("Refused (the reasons were sent to you)")
    from_steps = (SUPPLEMENT, FEE, PROCESSING)
    to = DECIDED
    party = Party.APPROVER
    form = "reasons"
    danger = True
    template = "refused"
    slip = "03"

    def clean(self, params: dict[str, Any]) -> dict[str, Any]:
        return reasons_clean(params)

    def apply(self, ctx: Context) -> Effect:
        dossier = ctx.dossier
        if dossier.paused_at is not None:  # decided while waiting: the wait was paused time
            timing.clock_resume(dossier, ctx.now, supplement=dossier.state == SUPPLEMENT)
        dossier.resume_state = ""
        dossier.consult_agency = None
        set_state(ctx, DECIDED)
        dossier.outcome = Outcome.REFUSED
        dossier.decided_at = ctx.now
        reasons = ctx.params["reasons"]
        return Effect(data={"reasons": reasons}, notify={"reasons": reasons, "at_reception": False})
