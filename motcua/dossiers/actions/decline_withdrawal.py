"""Answer a withdrawal request with the reasons it cannot be granted (Decree 118/2025
art. 21): the dossier goes back to where it was."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from motcua.dossiers.actions import register
from motcua.dossiers.actions.base import (
    BEFORE_WITHDRAWAL,
    Action,
    Context,
    Effect,
    Party,
    reasons_clean,
    set_state,
)
from motcua.workflows.definitions import WITHDRAWAL_REQUESTED


@register
class DeclineWithdrawal(Action):
    key = "decline_withdrawal"
    label = gettext_lazy("Answer why the withdrawal cannot be granted")
    done = gettext_lazy("Withdrawal request answered: processing goes on")
    citizen = gettext_lazy("Your withdrawal request was answered; processing goes on")
    from_steps = (WITHDRAWAL_REQUESTED,)
    to = BEFORE_WITHDRAWAL
    party = Party.DESK
    form = "reasons"
    template = "withdrawal_declined"

    def clean(self, params: dict[str, Any]) -> dict[str, Any]:
        return reasons_clean(params)

    def apply(self, ctx: Context) -> Effect:
        set_state(ctx, ctx.dossier.before_withdrawal)
        ctx.dossier.before_withdrawal = ""
        reasons = ctx.params["reasons"]
        return Effect(data={"reasons": reasons}, notify={"reasons": reasons})
