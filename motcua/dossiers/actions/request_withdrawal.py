"""The applicant asks to withdraw the dossier (status 7; Decree 118/2025 art. 21).

The desk then checks the request: before a decision it stops the dossier (`stop`,
status 8), otherwise it answers why not (`decline_withdrawal`). The request itself
changes nothing else: a wait for the applicant stays a wait, the clock that ran runs.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.dossiers.actions import register
from motcua.dossiers.actions.base import (
    PROCESSING,
    Action,
    ActionNotAllowed,
    Context,
    Effect,
    Party,
    set_state,
)
from motcua.workflows.definitions import (
    FEE,
    INCOMPLETE,
    SUBMITTED,
    SUPPLEMENT,
    WITHDRAWAL_REQUESTED,
)


@register
class RequestWithdrawal(Action):
    key = "request_withdrawal"
    label = gettext_lazy("Record the applicant's request to withdraw")
    done = gettext_lazy("Withdrawal requested by the applicant")
    citizen = gettext_lazy("You asked to withdraw the dossier")
    from_steps = (SUBMITTED, INCOMPLETE, SUPPLEMENT, FEE, PROCESSING)  # before a decision
    to = WITHDRAWAL_REQUESTED
    party = Party.APPLICANT
    form = "withdraw"

    def clean(self, params: dict[str, Any]) -> dict[str, Any]:
        reason = str(params.get("reason") or "").strip()
        if not reason:
            raise ActionNotAllowed(_("Give the reason for the withdrawal."))
        return {**params, "reason": reason}

    def apply(self, ctx: Context) -> Effect:
        ctx.dossier.before_withdrawal = ctx.dossier.state
        set_state(ctx, WITHDRAWAL_REQUESTED)
        return Effect(data={"reason": ctx.params["reason"]})
