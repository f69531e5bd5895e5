"""Ask the applicant, during appraisal, for everything missing (form 02): the clock stops.

Decree 61/2018 art. 19(4): once, within 3 working days of receipt; the legal time then
counts again from the start when the complete dossier arrives (supplement_complete).
A second request is still recorded, and Decision 766 counts the dossier late (the
timing rule); a request after the 3 working days is recorded with a warning.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.core.calendar import WORKING_DAY
from motcua.dossiers import timing
from motcua.dossiers.actions import register
from motcua.dossiers.actions.base import (
    PROCESSING,
    Action,
    Context,
    Effect,
    Party,
    missing_clean,
)
from motcua.workflows.definitions import SUPPLEMENT

SUPPLEMENT_REQUEST_WINDOW = 3 * WORKING_DAY


@register
class RequestSupplement(Action):
    key = "request_supplement"
    label = gettext_lazy("Request a supplement")
    done = gettext_lazy("Supplement requested")
    citizen = gettext_lazy("You were asked to add or correct papers")
    from_steps = (PROCESSING,)
    to = SUPPLEMENT
    party = Party.DESK
    form = "supplement"
    template = "supplement_requested"
    slip = "02"

    def clean(self, params: dict[str, Any]) -> dict[str, Any]:
        return missing_clean(params)

    def apply(self, ctx: Context) -> Effect:
        dossier = ctx.dossier
        warnings: list[str] = []
        notes = []
        if dossier.supplement_requests >= 1:
            warnings.append("second_request")
            notes.append(_("A second supplement request: the dossier counts as late."))
        if (
            dossier.received_at is not None
            and timing.waited_seconds(
                since=dossier.received_at, until=ctx.now, calendar=timing.dossier_calendar(dossier)
            )
            > SUPPLEMENT_REQUEST_WINDOW.total_seconds()
        ):
            warnings.append("after_3_working_days")
            notes.append(
                _("Requested more than 3 working days after receipt (Decree 61/2018, art. 19(4)).")
            )
        timing.clock_pause(dossier, ctx.now, waiting_in=SUPPLEMENT)
        dossier.status = ctx.definition["states"][SUPPLEMENT]["status"]
        dossier.supplement_requests += 1
        missing, contact = ctx.params["missing"], ctx.params["contact"]
        return Effect(
            note=" ".join(str(n) for n in notes),
            data={
                "missing": missing,
                "contact": contact,
                "request_number": dossier.supplement_requests,
                "late": warnings,
            },
            notify={"missing": missing, "contact": contact},
        )
