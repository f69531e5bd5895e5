"""The fee is paid: the clock runs again; the wait is paused time.

Run only by motcua.payments once money is confirmed (a verified gateway notice, or a
receiving officer at the counter, who must then be the actor). Decision 766's payment
facts — paid online or not, through which platform — are recorded now, when it happens.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.dossiers import timing
from motcua.dossiers.actions import register
from motcua.dossiers.actions.base import (
    RESUME,
    Action,
    ActionNotAllowed,
    Context,
    Effect,
    Party,
    iso,
    set_state,
)
from motcua.workflows.definitions import FEE


@register
class FeePaid(Action):
    key = "fee_paid"
    label = gettext_lazy("Fee paid at the counter")
    done = gettext_lazy("Fee paid")
    citizen = gettext_lazy("The fee was paid")
    from_steps = (FEE,)
    to = RESUME
    party = Party.APPLICANT
    form = "bill"
    template = "payment_received"

    def apply(self, ctx: Context) -> Effect:
        dossier = ctx.dossier
        payment = ctx.params.get("payment") or {}
        online = bool(payment.get("online"))
        if not online and ctx.agency is None:
            raise ActionNotAllowed(
                _("A payment at the counter must be recorded by a receiving officer of %(agency)s.")
                % {"agency": dossier.receiving_agency.name}
            )
        waited = timing.clock_resume(dossier, ctx.now, supplement=False)
        set_state(ctx, dossier.resume_state)
        dossier.resume_state = ""
        dossier.paid_online = online
        dossier.payment_platform = str(payment.get("platform", ""))
        dossier.fee_paid_at = ctx.now
        data = {
            **payment,
            "online": online,
            "amount_vnd": dossier.fee_amount,
            "waited_working_seconds": waited,
            "due_at": iso(dossier.due_at),
        }
        return Effect(
            data=data,
            notify={"amount_vnd": dossier.fee_amount, "due_at": iso(dossier.promised_at)},
        )
