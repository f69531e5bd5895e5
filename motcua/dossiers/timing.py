"""The one timing rule: a dossier's appointment, its legal due moment, paused time and
lateness, as Decision 766/QĐ-TTg counts them.

Every place that judges time calls this module: the lifecycle actions, the overdue
job, the importer, the rating (indicator 1), the register (form 06) and the reports.

The rule (Decision 766, "Tiến độ giải quyết"; Decree 61/2018 art. 19):
- the *appointment* is the return moment of the receipt slip (form 01): receipt + the
  procedure's legal processing time, in the competent agency's office time (for a
  procedure whose legal time could not be read, the one the officer set). When the
  complete dossier arrives after a supplement request during appraisal, the legal time
  is counted again from the start (art. 19(4): "Thời hạn giải quyết được tính lại từ
  đầu sau khi nhận đủ hồ sơ"): the appointment in force is then that moment + the
  legal time — so the time before and during the supplement never counts against the
  agency (Decision 766: "supplement time subtracted");
- time waiting for the fee does not count either: the *legal due moment* is the
  appointment in force plus the working time paused for the fee since it was given;
- a dossier is *late* when it finished (decided, or stopped) after its legal due
  moment, or is still running past it, or when more than one supplement was requested
  during appraisal (Decision 766);
- an apology (form 04; art. 19(9)) gives the applicant a new return moment but changes
  nothing here: the dossier is still measured against its appointment.

Waits are counted in working seconds of the competent agency's office calendar,
8 working hours to a working day, everywhere (the importer converts its columns too).
Functions below are pure over a WorkingCalendar; `dossier_timing` reads the calendar.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from motcua.core.calendar import (
    VN_TZ,
    Duration,
    DurationKind,
    WorkingCalendar,
    add_office_time,
    add_working_time,
    next_working_moment,
    working_time_between,
)

if TYPE_CHECKING:
    from motcua.dossiers.models import Dossier

# More than this many supplement requests during appraisal makes a dossier late.
SUPPLEMENT_REQUESTS_ALLOWED = 1

AFTER_DUE = "after_due"
SECOND_SUPPLEMENT = "second_supplement"


@dataclass(frozen=True)
class TimingFacts:
    """What the rule needs to know about one dossier, recorded when it happened."""

    appointment: datetime | None  # the appointment in force; None: no deadline
    paused_seconds: int = 0  # finished fee waits since it was given, in working seconds
    paused_since: datetime | None = None  # a wait still running
    supplement_requests: int = 0  # during appraisal
    finished_at: datetime | None = None  # decided or stopped


@dataclass(frozen=True)
class Timing:
    appointment: datetime | None
    legal_due: datetime | None  # appointment + paused time (None: no deadline)
    paused_seconds: int
    late: bool
    reasons: tuple[str, ...]  # AFTER_DUE, SECOND_SUPPLEMENT


# A calendar, or what reads it when it is needed (only paused time needs one).
CalendarSource = WorkingCalendar | Callable[[], WorkingCalendar]


def legal_due(
    appointment: datetime | None, paused_seconds: int, calendar: CalendarSource
) -> datetime | None:
    """The appointment pushed back by the working time the applicant kept the dossier."""
    if appointment is None:
        return None
    if paused_seconds <= 0:
        return appointment
    if not isinstance(calendar, WorkingCalendar):
        calendar = calendar()
    return add_office_time(appointment, timedelta(seconds=paused_seconds), calendar)


def timing_of(facts: TimingFacts, *, calendar: CalendarSource, now: datetime) -> Timing:
    """The rule itself (module docstring). A dossier waiting for the applicant is not
    late by time: its clock is not running."""
    paused = facts.paused_seconds
    due = legal_due(facts.appointment, paused, calendar)
    reasons: list[str] = []
    if facts.supplement_requests > SUPPLEMENT_REQUESTS_ALLOWED:
        reasons.append(SECOND_SUPPLEMENT)
    if due is not None:
        # A wait for the applicant stops the clock where it stood.
        end = facts.finished_at or facts.paused_since or now
        if end > due:
            reasons.append(AFTER_DUE)
    return Timing(
        appointment=facts.appointment,
        legal_due=due,
        paused_seconds=paused,
        late=bool(reasons),
        reasons=tuple(reasons),
    )


def appointment_for(
    *, received_at: datetime, duration: Duration | None, calendar: WorkingCalendar
) -> datetime | None:
    """Form 01's appointment: receipt plus the legal processing time."""
    if duration is None:
        return None
    return add_working_time(received_at, duration, calendar)


def waited_seconds(*, since: datetime, until: datetime, calendar: WorkingCalendar) -> int:
    """Working seconds between two moments (a wait for the applicant)."""
    return max(0, int(working_time_between(since, until, calendar).total_seconds()))


def transfer_moment(*, received_at: datetime, online: bool, calendar: WorkingCalendar) -> datetime:
    """When a received dossier passes to the competent unit (Decree 61/2018 art. 19(1)):
    an online dossier electronically at once; paper received by 15:00 the same day,
    after 15:00 (or outside office hours) from the next working morning."""
    if online:
        return received_at
    local = timezone.localtime(received_at, VN_TZ)
    if local.time() > calendar.same_day_cutoff:
        day = calendar.next_working_day(local.date())
        return datetime.combine(day, calendar.sessions_on(day)[0][0], tzinfo=VN_TZ)
    return next_working_moment(received_at, calendar)


def deadline_timing(
    *, done_at: datetime | None, deadline: datetime | None, now: datetime | None = None
) -> str:
    """How a step or a dossier ended against its deadline (form 05, Decision 766).

    early: done on a day before the deadline's day; on_time: on the deadline's day, not
    after the deadline; late: after it. Unfinished: late once the deadline has passed,
    else "". No deadline: "".
    """
    if deadline is None:
        return ""
    if done_at is None:
        return "late" if (now or timezone.now()) > deadline else ""
    if done_at > deadline:
        return "late"
    local = timezone.localtime
    return "early" if local(done_at, VN_TZ).date() < local(deadline, VN_TZ).date() else "on_time"


def duration_of(*, kind: str, amount: int | None) -> Duration | None:
    """A procedure version's structured legal time, or None when it has none."""
    if kind == DurationKind.SAME_DAY:
        return Duration(DurationKind.SAME_DAY)
    if kind and amount:
        return Duration(DurationKind(kind), amount)
    return None


# --- one dossier ----------------------------------------------------------------------
# The helpers below change a dossier in memory only; the action runner saves it.


def dossier_calendar(dossier: Dossier) -> WorkingCalendar:
    """Processing time is counted in the competent agency's office time (the calendar
    rows as this process last read them: every action of every dossier needs them)."""
    from motcua.core.selectors import working_calendar

    return working_calendar(agency=dossier.competent_agency, recent=True)


def dossier_facts(dossier: Dossier) -> TimingFacts:
    return TimingFacts(
        appointment=dossier.appointment_at,
        paused_seconds=dossier.fee_seconds,
        paused_since=dossier.paused_at,
        supplement_requests=dossier.supplement_requests,
        finished_at=dossier.decided_at or dossier.stopped_at,
    )


def dossier_timing(dossier: Dossier, now: datetime | None = None) -> Timing:
    # The calendar is read (a query) only when paused time moves the due moment.
    return timing_of(
        dossier_facts(dossier),
        calendar=functools.partial(dossier_calendar, dossier),
        now=now or timezone.now(),
    )


def timing_refresh(dossier: Dossier, now: datetime) -> Timing:
    """Bring `due_at` (the legal due moment) and `is_late` in line with the rule.

    Lateness is a fact once true: a later act never clears it."""
    result = dossier_timing(dossier, now)
    if result.legal_due is not None:
        dossier.due_at = result.legal_due
    dossier.is_late = dossier.is_late or result.late
    return result


def clock_start(
    dossier: Dossier,
    now: datetime,
    appointment: datetime | None = None,
    calendar: WorkingCalendar | None = None,
) -> None:
    """Receipt: the clock starts now; the appointment is receipt + legal time, or the
    one the officer set for a procedure whose legal time could not be read.
    `calendar`: the dossier's, when the caller has read it already."""
    version = dossier.procedure_version
    duration = duration_of(kind=version.duration_kind, amount=version.duration_amount)
    dossier.received_at = now
    dossier.clock_started_at = now
    if duration is not None:
        appointment = appointment_for(
            received_at=now, duration=duration, calendar=calendar or dossier_calendar(dossier)
        )
    dossier.appointment_at = appointment
    dossier.due_at = appointment


def clock_pause(dossier: Dossier, now: datetime, *, waiting_in: str) -> None:
    """The applicant has the dossier (supplement, fee): the clock stops."""
    dossier.resume_state = dossier.state
    dossier.state = waiting_in
    dossier.paused_at = now


def clock_resume(dossier: Dossier, now: datetime, *, supplement: bool) -> int:
    """The wait is over; returns its working seconds.

    After a supplement the legal time starts again from now (Decree 61/2018 art.
    19(4)): a new appointment, earlier fee waits no longer matter. After a fee wait the
    legal due moment moves by the wait. An apology's date moves by the wait too."""
    if dossier.paused_at is None:
        return 0
    calendar = dossier_calendar(dossier)
    waited = waited_seconds(since=dossier.paused_at, until=now, calendar=calendar)
    dossier.paused_at = None
    if dossier.apology_due_at is not None and waited:
        dossier.apology_due_at = add_office_time(
            dossier.apology_due_at, timedelta(seconds=waited), calendar
        )
    if supplement:
        dossier.supplement_seconds += waited
        version = dossier.procedure_version
        duration = duration_of(kind=version.duration_kind, amount=version.duration_amount)
        dossier.clock_started_at = now
        dossier.fee_seconds = 0
        if duration is not None:
            dossier.appointment_at = appointment_for(
                received_at=now, duration=duration, calendar=calendar
            )
        elif dossier.appointment_at is not None:  # set by the officer: moves by the wait
            dossier.appointment_at = add_office_time(
                dossier.appointment_at, timedelta(seconds=waited), calendar
            )
    else:
        dossier.fee_seconds += waited
    dossier.due_at = legal_due(dossier.appointment_at, dossier.fee_seconds, calendar)
    return waited


def dossiers_mark_overdue(*, now: datetime | None = None) -> int:
    """Flag running dossiers past their legal due moment as late (the rule above, for
    every dossier at once): one UPDATE on indexed due_at, touching only is_late (no
    version bump: it is a fact of time, not an officer's act). A waiting dossier's clock
    is stopped; `due_at` already carries its finished fee waits."""
    from motcua.dossiers.models import Dossier, NationalStatus

    running = [
        NationalStatus.RECEIVED,
        NationalStatus.PROCESSING,
        NationalStatus.WITHDRAWAL_REQUESTED,
    ]
    return Dossier.objects.filter(
        due_at__lt=now or timezone.now(), status__in=running, paused_at__isnull=True, is_late=False
    ).update(is_late=True)
