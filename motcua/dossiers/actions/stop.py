"""Accept a withdrawal request: processing stops (status 8) with a stop notice
(Decree 118/2025 art. 21). Allowed only before a decision, which the from-step ensures:
a request can only be made before one."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from motcua.dossiers import timing
from motcua.dossiers.actions import register
from motcua.dossiers.actions.base import Action, Context, Effect, Party, set_state
from motcua.dossiers.models import Outcome
from motcua.workflows.definitions import STOPPED, SUPPLEMENT, WITHDRAWAL_REQUESTED


@register
class Stop(Action):
    key = "stop"
    label = gettext_lazy("Accept the withdrawal and stop processing")
    done = gettext_lazy("Withdrawn at the applicant's request; processing stopped")
    citizen = gettext_lazy("Withdrawn at your request; processing stopped")
    from_steps = (WITHDRAWAL_REQUESTED,)
    to = STOPPED
    party = Party.DESK
    danger = True
    template = "withdrawn"

    def apply(self, ctx: Context) -> Effect:
        dossier = ctx.dossier
        if dossier.paused_at is not None:  # the wait ends here: it stays paused time
            timing.clock_resume(
                dossier, ctx.now, supplement=dossier.before_withdrawal == SUPPLEMENT
            )
        dossier.resume_state = ""
        dossier.consult_agency = None
        requested = dossier.events.filter(action="request_withdrawal").order_by("-id").first()
        reason = str(requested.data.get("reason", "")) if requested else ""
        set_state(ctx, STOPPED)
        dossier.outcome = Outcome.WITHDRAWN
        dossier.stopped_at = ctx.now
        dossier.before_withdrawal = ""
        return Effect(data={"reason": reason}, notify={"reason": reason})
