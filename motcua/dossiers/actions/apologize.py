"""Apology and new return moment (form 04; Decree 61/2018 art. 19(9), as amended).

Issued by the competent agency (its approver, not the desk), at least 1 working day
before the due moment, once. The new moment is a working moment after the current due
moment and within the bound the agency's administrator set. The dossier is still
measured against its appointment (motcua.dossiers.timing): an apology never makes a
late dossier on time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.core.calendar import VN_TZ, WORKING_DAY, add_office_time, next_working_moment
from motcua.dossiers import timing
from motcua.dossiers.actions import register
from motcua.dossiers.actions.base import (
    PROCESSING,
    Action,
    ActionNotAllowed,
    Context,
    Effect,
    Party,
    iso,
    shown,
)
from motcua.dossiers.models import Dossier

APOLOGY_NOTICE = WORKING_DAY


def _aware(moment: datetime) -> datetime:
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=VN_TZ)


@register
class Apologize(Action):
    key = "apologize"
    label = gettext_lazy("Apologise and set a new date")
    done = gettext_lazy("Apology sent, new return date")
    citizen = gettext_lazy("The agency apologised for a delay and set a new return date")
    from_steps = (PROCESSING,)
    party = Party.APPROVER
    form = "apology"
    template = "apology"
    slip = "04"

    def clean(self, params: dict[str, Any]) -> dict[str, Any]:
        reason = str(params.get("reason") or "").strip()
        if not reason:
            raise ActionNotAllowed(_("Give the reason for the delay (form 04)."))
        new_due_at = params.get("new_due_at")
        if not isinstance(new_due_at, datetime):
            raise ActionNotAllowed(_("Give the new return date and time."))
        return {**params, "reason": reason, "new_due_at": _aware(new_due_at)}

    def rules(self, dossier: Dossier, now: datetime) -> None:
        if dossier.apologies:
            raise ActionNotAllowed(
                _("This dossier has already been rescheduled once: the law allows one apology.")
            )
        if dossier.due_at is None:
            raise ActionNotAllowed(_("This dossier has no due moment to reschedule."))
        left = timing.waited_seconds(
            since=now, until=dossier.due_at, calendar=timing.dossier_calendar(dossier)
        )
        if now >= dossier.due_at or left < APOLOGY_NOTICE.total_seconds():
            raise ActionNotAllowed(
                _(
                    "An apology must be sent at least 1 working day before the due moment "
                    "(%(due)s); it is too late now."
                )
                % {"due": shown(dossier.due_at)}
            )

    def apply(self, ctx: Context) -> Effect:
        dossier = ctx.dossier
        new_due_at = ctx.params["new_due_at"]
        calendar = timing.dossier_calendar(dossier)
        if new_due_at <= dossier.due_at:
            raise ActionNotAllowed(
                _("The new due moment must be after the current one (%(due)s).")
                % {"due": shown(dossier.due_at)}
            )
        if next_working_moment(new_due_at, calendar) != new_due_at:
            raise ActionNotAllowed(
                _("The new due moment must be within office hours on a working day.")
            )
        bound = dossier.competent_agency.apology_max_working_days
        latest = add_office_time(dossier.due_at, timedelta(hours=8 * bound), calendar)
        if new_due_at > latest:
            raise ActionNotAllowed(
                _(
                    "The new due moment can be at most %(days)d working days after the "
                    "current one (until %(latest)s)."
                )
                % {"days": bound, "latest": shown(latest)}
            )
        dossier.apology_due_at = new_due_at
        dossier.apologies += 1
        reason = ctx.params["reason"]
        return Effect(
            data={
                "reason": reason,
                "original_due_at": iso(dossier.due_at),
                "new_due_at": iso(new_due_at),
            },
            notify={"reason": reason, "new_due_at": iso(new_due_at)},
        )
