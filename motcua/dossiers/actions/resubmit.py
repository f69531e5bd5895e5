"""The applicant sends back a dossier returned before reception, completed: it waits
for reception again (status 1); the clock still has not started."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from motcua.dossiers.actions import register
from motcua.dossiers.actions.base import Action, Context, Effect, Party, set_state
from motcua.dossiers.inputs import paper_errors, papers_save
from motcua.workflows.definitions import INCOMPLETE, SUBMITTED


@register
class Resubmit(Action):
    key = "resubmit"
    label = gettext_lazy("Completed papers received (before reception)")
    done = gettext_lazy("Completed dossier sent again")
    citizen = gettext_lazy("You sent the completed papers; waiting to be received")
    from_steps = (INCOMPLETE,)
    to = SUBMITTED
    party = Party.APPLICANT

    def clean(self, params: dict[str, Any]) -> dict[str, Any]:
        papers = list(params.get("papers") or ())
        if problems := paper_errors(papers, None):
            raise ValidationError({"papers": problems})
        return {**params, "papers": papers}

    def apply(self, ctx: Context) -> Effect:
        set_state(ctx, SUBMITTED)
        papers_save(ctx.dossier, ctx.params["papers"])
        return Effect(data={"papers": len(ctx.params["papers"])})
