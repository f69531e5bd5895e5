"""Send an online dossier back before reception to be completed (form 02).

Decree 61/2018 art. 18(2)(b): an incomplete dossier is returned with everything missing
listed, once, before it is received; the clock has not started and does not start.
The applicant answers with the papers (`resubmit`) and the dossier waits for reception
again. Not an appraisal supplement: it does not count toward Decision 766's limit.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from motcua.dossiers.actions import register
from motcua.dossiers.actions.base import (
    Action,
    Context,
    Effect,
    Party,
    missing_clean,
    set_state,
)
from motcua.workflows.definitions import INCOMPLETE, SUBMITTED


@register
class ReturnIncomplete(Action):
    key = "return_incomplete"
    label = gettext_lazy("Return to the applicant to complete (before reception)")
    done = gettext_lazy("Returned before reception to be completed")
    citizen = gettext_lazy("Sent back to you before reception: papers to add or correct")
    from_steps = (SUBMITTED,)
    to = INCOMPLETE
    party = Party.DESK
    form = "supplement"
    template = "supplement_requested"
    slip = "02"

    def clean(self, params: dict[str, Any]) -> dict[str, Any]:
        return missing_clean(params)

    def apply(self, ctx: Context) -> Effect:
        set_state(ctx, INCOMPLETE)
        missing, contact = ctx.params["missing"], ctx.params["contact"]
        return Effect(
            data={"missing": missing, "contact": contact, "before_reception": True},
            notify={"missing": missing, "contact": contact, "before_reception": True},
        )
