"""The complete dossier arrived: the clock runs again; the wait is paused time
(Decision 766: supplement time is not counted)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from motcua.dossiers import timing
from motcua.dossiers.actions import register
from motcua.dossiers.actions.base import RESUME, Action, Context, Effect, Party, iso, set_state
from motcua.dossiers.inputs import paper_errors, papers_save
from motcua.workflows.definitions import SUPPLEMENT


@register
class SupplementComplete(Action):
    key = "supplement_complete"
    label = gettext_lazy("Supplement received")
    done = gettext_lazy("Supplement received")
    citizen = gettext_lazy("The missing papers were received; processing goes on")
    from_steps = (SUPPLEMENT,)
    to = RESUME
    party = Party.APPLICANT
    template = "received"

    def clean(self, params: dict[str, Any]) -> dict[str, Any]:
        papers = list(params.get("papers") or ())
        if problems := paper_errors(papers, None):
            raise ValidationError({"papers": problems})
        return {**params, "papers": papers}

    def apply(self, ctx: Context) -> Effect:
        dossier = ctx.dossier
        waited = timing.clock_resume(dossier, ctx.now, supplement=True)
        set_state(ctx, dossier.resume_state)
        dossier.resume_state = ""
        papers_save(dossier, ctx.params["papers"])
        return Effect(
            data={
                "waited_working_seconds": waited,
                "due_at": iso(dossier.due_at),
                "papers": len(ctx.params["papers"]),
            },
            notify={"due_at": iso(dossier.promised_at), "after_supplement": True},
        )
