"""Hand the result over (status 10; Decree 61/2018 art. 20).

"Electronic result" is recorded only when a result file exists (attach_result), and
"handled fully online" at this moment, when it becomes true (Decision 766): filed
online, no paper taken at the counter, fee paid online or none, result given
electronically. Lateness was settled at the decision; `timing` in the event compares
the return itself with the promised moment.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.dossiers import timing
from motcua.dossiers.actions import register
from motcua.dossiers.actions.base import Action, ActionNotAllowed, Context, Effect, Party, set_state
from motcua.dossiers.models import Channel, Dossier
from motcua.workflows.definitions import DECIDED, RETURNED


def handled_fully_online(dossier: Dossier) -> bool:
    paid = dossier.fee_amount == 0 or dossier.paid_online
    return (
        dossier.channel == Channel.ONLINE
        and not dossier.scanned_at_counter
        and paid
        and dossier.electronic_result
    )


@register
class ReturnResult(Action):
    key = "return_result"
    label = gettext_lazy("Return the result")
    done = gettext_lazy("Result returned")
    citizen = gettext_lazy("Result returned")
    from_steps = (DECIDED,)
    to = RETURNED
    party = Party.DESK
    form = "return"
    template = "returned"

    def clean(self, params: dict[str, Any]) -> dict[str, Any]:
        return {**params, "electronic": bool(params.get("electronic"))}

    def apply(self, ctx: Context) -> Effect:
        dossier = ctx.dossier
        electronic = ctx.params["electronic"]
        if electronic and not dossier.result_file:
            raise ActionNotAllowed(
                _("Attach the signed electronic result (PDF) before returning it electronically.")
            )
        set_state(ctx, RETURNED)
        dossier.returned_at = ctx.now
        dossier.full_online = electronic and handled_fully_online(dossier)
        promised = timing.deadline_timing(done_at=ctx.now, deadline=dossier.promised_at)
        return Effect(
            data={
                "electronic": electronic,
                "full_online": dossier.full_online,
                "timing": promised,
                "early": promised == "early",
                "outcome": dossier.outcome,
            },
            notify={"outcome": dossier.outcome, "electronic": electronic},
        )
