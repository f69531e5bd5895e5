"""The applicant rates how their dossier was handled (Decree 61/2018, art. 33;
Circular 01/2018/TT-VPCP).

The nine indicators of Circular 01/2018/TT-VPCP art. 13 are each scored 2, 1 or 0; art. 14
says which are scored per dossier (1, 2, 3, 4, 6, 7) and which per agency (5, 8, 9, and 6
again), and which the applicant's evaluation collects (1, 3, 4, 7). What citizens evaluate
is Decree 61/2018 art. 31; art. 15 of the Circular averages the scores.
 1. total time against the legal time       — from the dossier: earlier 2, on time 1, late 0
                                              (the one timing rule: an apology is still late)
 2. time taken by each agency               — from the steps of form 05: all early 2,
                                              none late 1, one late 0
 3. contacts needed to complete the dossier — asked: none 2, once 1, more than once 0
                                              (not counting the applicant's own mistakes)
 4. agencies contacted to complete it       — asked: none 2, only the one-stop desk 1,
                                              more than one 0
 5. received, handled, returned at the desk — per agency, not asked
 6. the procedure made public               — asked: at the office and online 2, one of
                                              them 1, missing or wrong 0
 7. officers' attitude                      — asked whether an officer harassed or made
                                              trouble (yes 0); no: 2 when indicator 1 is
                                              2 (handled early), else 1
 8. handling of feedback and complaints     — per agency, not asked
 9. online public service                   — per agency (share of procedures and dossiers
                                              online, late online dossiers), not asked
plus the overall satisfaction (very satisfied 2, satisfied 1, not satisfied 0), which is
also kept on `Dossier.rating` (the value the import and the reports read).

Circular 01 gives the applicant one evaluation form (phiếu đánh giá): the portal shows it
as one short page of five questions, each its own fieldset, in plain words.
A dossier is rated once it has ended for the applicant (result returned, refused or not
received; never a withdrawn one); the rating may be changed once, then it is final. The form
carries how many times the rating was saved, so a double-clicked or replayed submit
never counts as the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.dossiers.actions.base import DossierError, StaleDossier
from motcua.dossiers.models import Dossier, DossierRating, NationalStatus, Outcome
from motcua.dossiers.timing import deadline_timing, dossier_timing

MAX_CHANGES = 1
# The answer "no complaint" to indicator 7, scored from the dossier's times on saving.
ATTITUDE_FINE = 1
MAX_COMMENT = 1000


@dataclass(frozen=True)
class RatingQuestion:
    field: str  # DossierRating field
    indicator: str  # what Circular 01 calls it (for the report), "" for satisfaction
    question: Promise
    hint: Promise | str
    options: tuple[tuple[int, Promise], ...]  # score, answer; best first


QUESTIONS: tuple[RatingQuestion, ...] = (
    RatingQuestion(
        field="contacts",
        indicator="3",
        question=gettext_lazy(
            "How many times did you have to contact the office to complete your dossier?"
        ),
        hint=gettext_lazy(
            "Count visits, calls and online messages to add or correct papers, except "
            "when the mistake was yours."
        ),
        # Art. 13(3): none 2, only once 1, more than once 0.
        options=(
            (2, gettext_lazy("Not at all")),
            (1, gettext_lazy("Once")),
            (0, gettext_lazy("More than once")),
        ),
    ),
    RatingQuestion(
        field="agencies_contacted",
        indicator="4",
        question=gettext_lazy("Which offices did you have to go to or contact?"),
        hint="",
        # Art. 13(4): none 2, only the one-stop desk 1, more than one 0.
        options=(
            (2, gettext_lazy("None: everything was done online")),
            (1, gettext_lazy("Only the one-stop desk")),
            (0, gettext_lazy("The one-stop desk and another office")),
        ),
    ),
    RatingQuestion(
        field="publication",
        indicator="6",
        question=gettext_lazy(
            "Was it easy to find out which papers were needed, the fee and the time?"
        ),
        hint="",
        # Art. 13(6): posted at the office and online 2, one of the two 1, else 0.
        options=(
            (2, gettext_lazy("Yes, at the office and online")),
            (1, gettext_lazy("Only at the office, or only online")),
            (0, gettext_lazy("No: it was missing, wrong or out of date")),
        ),
    ),
    RatingQuestion(
        field="attitude",
        indicator="7",
        question=gettext_lazy(
            "Did an officer harass you, make things difficult or ask for anything the "
            "rules do not require?"
        ),
        hint="",
        # Art. 13(7): such a complaint 0; none: 2 if handled before the appointment,
        # else 1 — the answer "no" is completed from the dossier's own times.
        options=(
            (ATTITUDE_FINE, gettext_lazy("No")),
            (0, gettext_lazy("Yes")),
        ),
    ),
    RatingQuestion(
        field="satisfaction",
        indicator="",
        question=gettext_lazy("Overall, how satisfied are you?"),
        hint="",
        options=(
            (2, gettext_lazy("Very satisfied")),
            (1, gettext_lazy("Satisfied")),
            (0, gettext_lazy("Not satisfied")),
        ),
    ),
)

_ENDED = (NationalStatus.RETURNED, NationalStatus.NOT_RECEIVED)


def rating_open(dossier: Dossier) -> bool:
    """Whether the dossier has ended for the applicant, so it can be rated. A withdrawn
    dossier is not rated: the applicant ended it, nothing was handled to the end."""
    if dossier.outcome == Outcome.WITHDRAWN:
        return False
    return dossier.status in _ENDED or (
        dossier.status == NationalStatus.DECIDED and dossier.outcome == Outcome.REFUSED
    )


def rating_get(*, dossier: Dossier) -> DossierRating | None:
    return DossierRating.objects.filter(dossier=dossier).first()


def rating_can_change(rating: DossierRating | None) -> bool:
    return rating is None or rating.changes < MAX_CHANGES


def _total_time_score(dossier: Dossier) -> int | None:
    """Indicator 1 by the one timing rule (motcua.dossiers.timing): late 0 — also after
    an apology, measured against the appointment — else early 2, on time 1."""
    if dossier.decided_at is None or dossier.appointment_at is None:
        return None
    result = dossier_timing(dossier)
    if result.late:
        return 0
    timing = deadline_timing(done_at=dossier.decided_at, deadline=result.legal_due)
    return 2 if timing == "early" else 1


def _agency_time_score(dossier: Dossier) -> int | None:
    from motcua.dossiers.selectors import dossier_step_deadlines

    timings = [
        step.timing
        for step in dossier_step_deadlines(dossier=dossier)
        if step.deadline is not None and step.done_at is not None
    ]
    if not timings:
        return None
    if "late" in timings:
        return 0
    return 2 if all(t == "early" for t in timings) else 1


def rating_answers_clean(data: Any) -> dict[str, int]:
    """The answers as scores; ValidationError({field: message}) names each question
    left unanswered or answered with something that is not one of its options."""
    errors: dict[str, str] = {}
    clean: dict[str, int] = {}
    for question in QUESTIONS:
        raw = data.get(question.field) if hasattr(data, "get") else None
        allowed = {str(score): score for score, _label in question.options}
        if raw in (None, ""):
            errors[question.field] = _("Choose one answer.")
        elif str(raw) not in allowed:
            errors[question.field] = _("Choose one of the answers shown.")
        else:
            clean[question.field] = allowed[str(raw)]
    if errors:
        raise ValidationError(errors)
    return clean


def rating_save(
    *,
    dossier: Dossier,
    citizen: Any,
    answers: dict[str, int],
    comment: str = "",
    expected_saves: int,
) -> DossierRating:
    """Store the applicant's rating of `dossier` (the caller checked it is theirs).

    `expected_saves`: how many times the rating had been saved when the page was shown
    (0: none yet). A different count means the page is stale (a double submit): StaleDossier,
    nothing changes. A rating already changed once: DossierError. Bad answers:
    ValidationError({field: message}).
    """
    clean = rating_answers_clean(answers)
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationError(
            {"comment": _("Write at most %(n)d characters.") % {"n": MAX_COMMENT}}
        )
    with transaction.atomic():
        # The dossier row lock serialises two submits of the same rating.
        locked = Dossier.objects.select_for_update(of=("self",)).get(pk=dossier.pk)
        if not rating_open(locked):
            raise DossierError(_("This dossier can be rated once it is finished."))
        rating = DossierRating.objects.filter(dossier=locked).first()
        saves = 0 if rating is None else rating.changes + 1
        if saves != expected_saves:
            raise StaleDossier(_("Your rating has already been saved."))
        if not rating_can_change(rating):
            raise DossierError(_("You have already changed your rating once; it is final now."))
        if rating is None:
            rating = DossierRating(dossier=locked, citizen=citizen)
        else:
            rating.changes += 1
        for name, score in clean.items():
            setattr(rating, name, score)
        rating.comment = comment
        rating.total_time = _total_time_score(locked)
        rating.agency_time = _agency_time_score(locked)
        if rating.attitude == ATTITUDE_FINE and rating.total_time == 2:
            rating.attitude = 2  # no complaint and handled before the appointment
        rating.save()
        Dossier.objects.filter(pk=locked.pk).update(
            rating=clean["satisfaction"], updated_at=timezone.now()
        )
    dossier.rating = clean["satisfaction"]
    return rating
