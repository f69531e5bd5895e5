"""Ask for the fee (status 6): the clock stops until it is paid."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.dossiers import timing
from motcua.dossiers.actions import register
from motcua.dossiers.actions.base import (
    PROCESSING,
    Action,
    ActionNotAllowed,
    Context,
    Effect,
    Party,
)
from motcua.dossiers.models import Dossier
from motcua.workflows.definitions import FEE


@register
class RequestFee(Action):
    key = "request_fee"
    label = gettext_lazy("Request the fee")
    done = gettext_lazy("Fee requested")
    citizen = gettext_lazy("You were asked to pay the fee")
    from_steps = (PROCESSING,)
    to = FEE
    party = Party.DESK
    form = "fee"
    template = "fee_requested"

    def clean(self, params: dict[str, Any]) -> dict[str, Any]:
        amount = params.get("amount_vnd")
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise ActionNotAllowed(_("The fee must be a positive whole number of VND."))
        return params

    def rules(self, dossier: Dossier, now: datetime) -> None:
        if dossier.fee_paid_at:
            raise ActionNotAllowed(_("The fee for this dossier has already been paid."))

    def apply(self, ctx: Context) -> Effect:
        dossier = ctx.dossier
        timing.clock_pause(dossier, ctx.now, waiting_in=FEE)
        dossier.status = ctx.definition["states"][FEE]["status"]
        dossier.fee_amount = ctx.params["amount_vnd"]
        return Effect(
            data={"amount_vnd": dossier.fee_amount},
            notify={"amount_vnd": dossier.fee_amount},
        )
