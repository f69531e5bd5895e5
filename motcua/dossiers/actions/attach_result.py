"""Attach (or, before the return, replace) the signed electronic result of a dossier
decided in the applicant's favour. Recording the file is what makes the result
electronic (Decision 766, digitization): there is no other way to set that fact.

Who: a receiving officer of the receiving agency (the desk that returns the result),
or a specialist or approver of the competent agency (who issue it). After the return
a file may only be added if none was attached (what the citizen may already have
downloaded is never swapped).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.accounts.models import Role
from motcua.dossiers.actions import register
from motcua.dossiers.actions.base import Action, ActionNotAllowed, Context, Effect
from motcua.dossiers.models import Dossier, Outcome
from motcua.organizations.models import Agency
from motcua.workflows.definitions import DECIDED, RETURNED


@register
class AttachResult(Action):
    key = "attach_result"
    label = gettext_lazy("Attach the electronic result")
    done = gettext_lazy("Electronic result attached")
    citizen = gettext_lazy("The electronic result was issued")
    from_steps = (DECIDED, RETURNED)
    form = "result"

    def role_options(self, dossier: Dossier) -> list[tuple[Agency | None, list[str]]]:
        return [
            (dossier.receiving_agency, [Role.RECEIVING_OFFICER]),
            (dossier.competent_agency, [Role.APPROVER, Role.SPECIALIST]),
        ]

    def clean(self, params: dict[str, Any]) -> dict[str, Any]:
        content = params.get("content")
        if not isinstance(content, bytes) or not content.startswith(b"%PDF-"):
            raise ActionNotAllowed(_("The electronic result must be a PDF file."))
        return params

    def rules(self, dossier: Dossier, now: datetime) -> None:
        if dossier.outcome != Outcome.GRANTED:
            raise ActionNotAllowed(
                _("The electronic result can be attached once the dossier is decided and granted.")
            )
        if dossier.state == RETURNED and dossier.result_file:
            raise ActionNotAllowed(
                _("The result was returned with its file; it cannot be replaced any more.")
            )

    def apply(self, ctx: Context) -> Effect:
        dossier = ctx.dossier
        replaced = bool(dossier.result_file)
        content = ctx.params["content"]
        # Written at save(): a rolled-back transaction may leave an orphan file behind,
        # never a row pointing at a missing one.
        dossier.result_file.save(f"{uuid.uuid4().hex}.pdf", ContentFile(content), save=False)
        dossier.electronic_result = True
        name = str(ctx.params.get("name") or "")[:200]
        return Effect(data={"size": len(content), "replaced": replaced, "name": name})
