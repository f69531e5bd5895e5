"""Refuse a dossier at reception (status 3), with written reasons (form 03;
Decree 61/2018 art. 18(2)(c))."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from motcua.dossiers.actions import register
from motcua.dossiers.actions.base import (
    Action,
    Context,
    Effect,
    Party,
    reasons_clean,
    set_state,
)
from motcua.dossiers.models import Outcome
from motcua.workflows.definitions import INCOMPLETE, NOT_RECEIVED, SUBMITTED


@register
class RefuseReception(Action):
    key = "refuse_reception"
    label = gettext_lazy("Refuse to receive")
    done = gettext_lazy("Refused at reception")
    citizen = gettext_lazy("Not received (the reasons were sent to you)")
    from_steps = (SUBMITTED, INCOMPLETE)
    to = NOT_RECEIVED
    party = Party.DESK
    form = "reasons"
    danger = True
    template = "refused"
    slip = "03"

    def clean(self, params: dict[str, Any]) -> dict[str, Any]:
        return reasons_clean(params)

    def apply(self, ctx: Context) -> Effect:
        set_state(ctx, NOT_RECEIVED)
        ctx.dossier.outcome = Outcome.NOT_RECEIVED
        ctx.dossier.stopped_at = ctx.now
        reasons = ctx.params["reasons"]
        return Effect(data={"reasons": reasons}, notify={"reasons": reasons, "at_reception": True})
