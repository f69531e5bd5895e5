"""Import historical dossiers from a CSV export of a former one-stop system.

The file is read and checked completely before anything is written: every bad row
is reported with its line, column and problem, and a file with any bad row imports
nothing. Rows are keyed on the dossier code, so importing the same file again
changes nothing and a corrected export updates the dossiers it imported before.
Imports are not lifecycle actions: rows are written directly (in batches), with one
"imported" event each and no notifications. Columns and rules: docs/import_dossiers.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.catalog.models import Procedure, ProcedureVersion, VersionState
from motcua.core.calendar import WORKING_DAY, WorkingCalendar
from motcua.core.selectors import working_calendar
from motcua.core.text import CONTROL_CHARACTERS, fold
from motcua.dossiers import timing
from motcua.dossiers.models import (
    ApplicantType,
    Channel,
    Dossier,
    DossierEvent,
    NationalStatus,
    Outcome,
)
from motcua.organizations.models import AdministrativeUnit, Agency, UnitLevel
from motcua.organizations.selectors import unit_current_successors
from motcua.workflows import definitions as wf
from motcua.workflows.models import Workflow
from motcua.workflows.selectors import workflow_latest

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
APPLICANT_PLACEHOLDER = "(dữ liệu nhập từ hệ thống cũ)"
IMPORTED = "imported"
IMPORT_UPDATED = "import_updated"
# Keeps `code__in` lookups under SQLite's historical limit of 999 bound parameters;
# rows are written in batches of the same size, each with one such lookup.
LOOKUP_CHUNK = 900
BATCH_SIZE = LOOKUP_CHUNK

COLUMNS = (
    "code",
    "procedure_code",
    "receiving_agency_code",
    "competent_agency_code",
    "unit_code",
    "channel",
    "applicant_type",
    "received_at",
    "due_at",
    "finished_at",
    "returned_at",
    "status",
    "full_online",
    "fee_amount",
    "paid_online",
    "supplement_requests",
    "supplement_days",
    "e_result",
    "digitized",
    "reused_data",
    "rating",
)
OPTIONAL_COLUMNS = ("outcome", "fee_days")

S = NationalStatus
# Built-in step for each national status; None = the workflow's start step. Built from
# the built-in steps of the workflow document, so a new built-in step is a new status.
STATUS_STATE: dict[int, str | None] = {
    S.FILED: wf.SUBMITTED,
    S.WITHDRAWAL_REQUESTED: wf.WITHDRAWAL_REQUESTED,
    S.RECEIVED: None,
    S.NOT_RECEIVED: wf.NOT_RECEIVED,
    S.PROCESSING: None,
    S.SUPPLEMENT_REQUESTED: wf.SUPPLEMENT,
    S.FEE_REQUESTED: wf.FEE,
    S.STOPPED: wf.STOPPED,
    S.DECIDED: wf.DECIDED,
    S.RETURNED: wf.RETURNED,
}
DEFAULT_OUTCOME = {
    S.NOT_RECEIVED: Outcome.NOT_RECEIVED,
    S.STOPPED: Outcome.WITHDRAWN,
    S.DECIDED: Outcome.GRANTED,
    S.RETURNED: Outcome.GRANTED,
}
FINISHED = {S.DECIDED, S.RETURNED}
WAITING = {S.SUPPLEMENT_REQUESTED, S.FEE_REQUESTED}  # the applicant has the dossier
DUE_REQUIRED = {S.RECEIVED, S.PROCESSING, S.WITHDRAWAL_REQUESTED, *WAITING, *FINISHED}
FINISHED_ALLOWED = {S.NOT_RECEIVED, S.STOPPED, *FINISHED}
MAX_SUPPLEMENT_DAYS = 70_000  # supplement_seconds (working seconds) is a 32-bit column
BOOLEANS = {"1": True, "true": True, "0": False, "false": False, "": False}
# Allowed cell values (lower-cased) → stored value, and the rule told when a cell breaks it.
CHOICES: dict[str, tuple[dict[str, Any], Promise]] = {
    "channel": (
        {"1": Channel.IN_PERSON, "2": Channel.ONLINE, "3": Channel.POST},
        gettext_lazy("must be 1 (in person), 2 (online) or 3 (public post)"),
    ),
    "applicant_type": (
        {
            "": ApplicantType.PERSON,
            "person": ApplicantType.PERSON,
            "organisation": ApplicantType.ORGANISATION,
        },
        gettext_lazy("must be person, organisation or empty (person)"),
    ),
    "status": (
        {str(s.value): s.value for s in NationalStatus},
        gettext_lazy("must be a national status code from 1 to 10"),
    ),
    "outcome": (
        {"": None, "granted": Outcome.GRANTED, "refused": Outcome.REFUSED},
        gettext_lazy("must be granted, refused or empty"),
    ),
    "rating": (
        {"0": 0, "1": 1, "2": 2},
        gettext_lazy("must be empty or 0, 1, 2 (Circular 01 score)"),
    ),
}


@dataclass(frozen=True)
class RowError:
    line: int  # header = line 1; a quoted multi-line record counts from its first line
    column: str
    message: str

    def __str__(self) -> str:
        if not self.column:
            return _("line %(line)d: %(message)s") % {"line": self.line, "message": self.message}
        return _("line %(line)d, column %(column)s: %(message)s") % {
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }


class DossierImportError(ValueError):
    """A file that cannot be imported; `errors` lists every bad row. Nothing was written."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass
class ImportReport:
    source_name: str
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


@dataclass(frozen=True, slots=True)
class _Codes:
    """What a row names in the database; checked for bad rows too, to report everything."""

    line: int
    procedure_code: str
    receiving_agency_code: str
    competent_agency_code: str
    unit_code: str
    on_date: dt.date  # the day that decides which unit and procedure version a code meant


@dataclass(slots=True)
class _Row:
    """One row without problems, references still as codes."""

    line: int
    code: str
    codes: _Codes
    channel: int
    applicant_type: str
    received_at: dt.datetime | None
    due_at: dt.datetime | None
    finished_at: dt.datetime | None
    returned_at: dt.datetime | None
    status: int
    full_online: bool
    fee_amount: int
    paid_online: bool
    supplement_requests: int
    supplement_seconds: int
    fee_seconds: int
    e_result: bool
    digitized: bool
    reused_data: bool
    rating: int | None
    outcome: str | None


# --- Reading and checking each row (no database) ------------------------------------------


class _RowChecker:
    """Parses one CSV record into a _Row, collecting (column, message) problems."""

    def __init__(self, now: dt.datetime):
        self.now = now

    def check(self, line: int, cells: dict[str, str]) -> tuple[_Row | None, _Codes, list[RowError]]:
        problems: list[RowError] = []

        def bad(column: str, message: str) -> None:
            problems.append(RowError(line, column, message))

        code = cells["code"]
        if not code:
            bad("code", _("must not be empty"))
        elif len(code) > 60 or any(c.isspace() for c in code):
            bad(
                "code",
                _("%(value)r is not a dossier code (at most 60 characters, no spaces)")
                % {"value": code},
            )
        for column in ("procedure_code", "receiving_agency_code", "competent_agency_code"):
            if not cells[column]:
                bad(column, _("must not be empty"))

        channel = self._choice(cells, "channel", bad)
        applicant_type = self._choice(cells, "applicant_type", bad)
        status = self._choice(cells, "status", bad)
        outcome = None
        if "outcome" in cells:
            outcome = self._choice(cells, "outcome", bad)
            if outcome and status is not None and status not in FINISHED:
                bad("outcome", _("only allowed with status 9 or 10"))

        times = {
            column: self._datetime(cells, column, bad)
            for column in ("received_at", "due_at", "finished_at", "returned_at")
        }
        for column in ("received_at", "finished_at", "returned_at"):
            value = times[column]
            if value is not None and value > self.now:
                bad(column, _("is in the future"))
        numbers = {
            column: self._whole(cells, column, bad)
            for column in ("fee_amount", "supplement_requests")
        }
        supplement_seconds = self._days(cells, "supplement_days", bad)
        fee_seconds = self._days(cells, "fee_days", bad) if "fee_days" in cells else 0
        flags = {
            column: self._bool(cells, column, bad)
            for column in ("full_online", "paid_online", "e_result", "digitized", "reused_data")
        }
        rating = None
        if cells["rating"]:
            rating = self._choice(cells, "rating", bad)

        received, due = times["received_at"], times["due_at"]
        finished, returned = times["finished_at"], times["returned_at"]
        if status is not None:
            if status != S.FILED and received is None and not cells["received_at"]:
                bad("received_at", _("required unless status is 1 (filed, not yet received)"))
            if status == S.FILED and channel is not None and channel != Channel.ONLINE:
                bad("channel", _("status 1 (filed online) needs channel 2"))
            if status in DUE_REQUIRED and due is None and not cells["due_at"]:
                bad("due_at", _("required with status %(status)d") % {"status": status})
            if status in FINISHED and finished is None and not cells["finished_at"]:
                bad("finished_at", _("required with status %(status)d") % {"status": status})
            if status not in FINISHED_ALLOWED and cells["finished_at"]:
                bad(
                    "finished_at",
                    _("must be empty with status %(status)d (not finished)") % {"status": status},
                )
            if status == S.RETURNED and returned is None and not cells["returned_at"]:
                bad("returned_at", _("required with status 10 (result returned)"))
            if status != S.RETURNED and cells["returned_at"]:
                bad("returned_at", _("must be empty unless status is 10"))
        if received and due and due < received:
            bad("due_at", _("is before received_at"))
        if received and finished and finished < received:
            bad("finished_at", _("is before received_at"))
        if finished and returned and returned < finished:
            bad("returned_at", _("is before finished_at"))
        if flags["paid_online"] and numbers["fee_amount"] == 0:
            bad("paid_online", _("paid online, but fee_amount is 0"))
        if flags["full_online"] and channel is not None and channel != Channel.ONLINE:
            bad("full_online", _("a dossier done fully online must have channel 2"))
        if supplement_seconds and numbers["supplement_requests"] == 0:
            bad("supplement_days", _("days waited for a supplement, but supplement_requests is 0"))

        codes = _Codes(
            line=line,
            procedure_code=cells["procedure_code"],
            receiving_agency_code=cells["receiving_agency_code"],
            competent_agency_code=cells["competent_agency_code"],
            unit_code=cells["unit_code"],
            on_date=received.astimezone(LOCAL_TZ).date() if received else timezone.localdate(),
        )
        if problems:
            return None, codes, problems
        return (
            _Row(
                line=line,
                code=code,
                codes=codes,
                channel=channel,
                applicant_type=applicant_type,
                received_at=received,
                due_at=due,
                finished_at=finished,
                returned_at=returned,
                status=status,
                full_online=flags["full_online"],
                fee_amount=numbers["fee_amount"],
                paid_online=flags["paid_online"],
                supplement_requests=numbers["supplement_requests"],
                supplement_seconds=supplement_seconds,
                fee_seconds=fee_seconds,
                e_result=flags["e_result"],
                digitized=flags["digitized"],
                reused_data=flags["reused_data"],
                rating=rating,
                outcome=outcome,
            ),
            codes,
            [],
        )

    @staticmethod
    def _choice(cells: dict[str, str], column: str, bad: Any) -> Any:
        allowed, rule = CHOICES[column]
        value = cells[column].lower()
        if value not in allowed:
            bad(column, _("%(value)r: %(rule)s") % {"value": cells[column], "rule": rule})
            return None
        return allowed[value]

    @staticmethod
    def _datetime(cells: dict[str, str], column: str, bad: Any) -> dt.datetime | None:
        text = cells[column]
        if not text:
            return None
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            value = None
        # fromisoformat also takes a bare date; a moment without its time is a guess.
        if value is None or len(text) < 16:
            bad(
                column,
                _(
                    "%(value)r is not a date and time like 2024-03-01 08:30 or "
                    "2024-03-01T08:30:00+07:00"
                )
                % {"value": text},
            )
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=LOCAL_TZ)
        return value

    @staticmethod
    def _whole(cells: dict[str, str], column: str, bad: Any) -> int | None:
        text = cells[column]
        if not text:
            return 0
        try:
            value = int(text)
        except ValueError:
            bad(
                column,
                _("%(value)r is not a whole number (digits only, no separators)") % {"value": text},
            )
            return None
        if value < 0:
            bad(column, _("must not be negative"))
            return None
        if column == "supplement_requests" and value > 32767:
            bad(column, _("is too large"))
            return None
        return value

    @staticmethod
    def _days(cells: dict[str, str], column: str, bad: Any) -> int | None:
        """Working days (8 working hours each, as motcua.dossiers.timing counts paused
        time) → working seconds."""
        text = cells[column]
        if not text:
            return 0
        try:
            days = float(text)
        except ValueError:
            bad(column, _("%(value)r is not a number of days like 3 or 1.5") % {"value": text})
            return None
        if days != days or days < 0:  # NaN or negative
            bad(column, _("must not be negative"))
            return None
        if days > MAX_SUPPLEMENT_DAYS:
            bad(column, _("is too large"))
            return None
        return round(days * WORKING_DAY.total_seconds())

    @staticmethod
    def _bool(cells: dict[str, str], column: str, bad: Any) -> bool:
        value = cells[column].lower()
        if value not in BOOLEANS:
            bad(
                column,
                _("%(value)r: must be 0, 1, true, false or empty (false)")
                % {"value": cells[column]},
            )
            return False
        return BOOLEANS[value]


class _NotUtf8(Exception):
    def __init__(self, line: int):
        self.line = line


class _ControlCharacter(Exception):
    def __init__(self, line: int):
        self.line = line


def _decoded(lines: Iterator[bytes] | IO[bytes]) -> Iterator[str]:
    """Decode line by line, so a bad byte is reported on its own line (Excel's ANSI CSV).
    A control character (NUL, which PostgreSQL refuses in text; a binary file) stops the
    import on its line (ASVS 5.0 V2.2.1)."""
    for number, raw in enumerate(lines, start=1):
        try:
            # utf-8-sig on the first line drops the BOM Excel writes, before csv sees it.
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise _NotUtf8(number) from None
        if CONTROL_CHARACTERS.search(line):
            raise _ControlCharacter(number)
        yield line


def _records(lines: Iterator[str] | IO[str]) -> Iterator[tuple[int, list[str]]]:
    """(first line number, cells) of each CSV record; blank lines are skipped."""
    reader = csv.reader(lines, strict=True)
    previous_end = 0
    for cells in reader:
        line = previous_end + 1
        previous_end = reader.line_num
        if any(cell.strip() for cell in cells):
            yield line, cells


def _read(
    lines: Iterator[str] | IO[str], now: dt.datetime
) -> tuple[list[_Row], list[_Codes], list[RowError]]:
    """Rows without problems, the codes named by rows with problems, and the problems."""
    rows: list[_Row] = []
    bad_rows: list[_Codes] = []
    errors: list[RowError] = []
    records = _records(lines)
    line = 1
    try:
        first = next(records, None)
        if first is None:
            return [], [], [RowError(1, "", _("the file is empty; a header row is required"))]
        header = [h.strip().lower() for h in first[1]]
        if len(header) == 1 and ";" in header[0]:
            return (
                [],
                [],
                [
                    RowError(
                        1,
                        "",
                        _(
                            "the columns are separated by semicolons; save the "
                            "file as comma-separated CSV (UTF-8)"
                        ),
                    )
                ],
            )
        missing = [c for c in COLUMNS if c not in header]
        unknown = [h for h in header if h not in COLUMNS and h not in OPTIONAL_COLUMNS]
        repeated = sorted({h for h in header if header.count(h) > 1})
        for column in missing:
            errors.append(RowError(1, column, _("column missing from the header row")))
        for column in unknown:
            errors.append(RowError(1, column or '""', _("unknown column")))
        for column in repeated:
            errors.append(RowError(1, column, _("column appears more than once")))
        if errors:
            return [], [], errors
        checker = _RowChecker(now)
        code_index = header.index("code")
        first_line_of: dict[str, int] = {}
        for line, cells in records:
            if len(cells) != len(header):
                errors.append(
                    RowError(
                        line,
                        "",
                        _("expected %(n)d values, found %(found)d")
                        % {"n": len(header), "found": len(cells)},
                    )
                )
                continue
            row, codes, problems = checker.check(
                line, {h: c.strip() for h, c in zip(header, cells, strict=True)}
            )
            code = cells[code_index].strip()
            if code and code in first_line_of:
                problems.append(
                    RowError(
                        line,
                        "code",
                        _("%(code)s appears again; first on line %(first)d")
                        % {"code": code, "first": first_line_of[code]},
                    )
                )
                row = None
            first_line_of.setdefault(code, line)
            errors.extend(problems)
            if row is not None:
                rows.append(row)
            else:
                bad_rows.append(codes)
    except _NotUtf8 as exc:
        errors.append(
            RowError(exc.line, "", _("the file is not UTF-8 text; save it as 'CSV UTF-8'"))
        )
    except _ControlCharacter as exc:
        errors.append(
            RowError(
                exc.line,
                "",
                _("a control character (such as NUL): a binary file, or text damaged in copying"),
            )
        )
    except csv.Error as exc:
        errors.append(RowError(line + 1, "", _("malformed CSV: %(error)s") % {"error": exc}))
    return rows, bad_rows, errors


# --- Resolving codes against the database -------------------------------------------------


def _valid_on(item: AdministrativeUnit | ProcedureVersion, on: dt.date) -> bool:
    return (item.valid_from is None or item.valid_from <= on) and (
        item.valid_to is None or on <= item.valid_to
    )


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), LOOKUP_CHUNK):
        yield items[start : start + LOOKUP_CHUNK]


class _References:
    """Caches of the procedures, agencies and units a file names, loaded once per code."""

    def __init__(self, rows: list[_Codes]):
        self.agencies: dict[str, Agency] = {}
        agency_codes = sorted(
            {r.receiving_agency_code for r in rows} | {r.competent_agency_code for r in rows}
        )
        for chunk in _chunks(agency_codes):
            self.agencies.update((a.code, a) for a in Agency.objects.filter(code__in=chunk))

        self.versions: dict[str, list[ProcedureVersion]] = {}
        self.current_version: dict[str, int | None] = {}
        for chunk in _chunks(sorted({r.procedure_code for r in rows})):
            for code, current_id in Procedure.objects.filter(code__in=chunk).values_list(
                "code", "current_id"
            ):
                self.current_version[code] = current_id
                self.versions[code] = []
            for version in (
                ProcedureVersion.objects.filter(procedure__code__in=chunk)
                .exclude(state=VersionState.DRAFT)
                .select_related("procedure")
                .order_by("-number")
            ):
                self.versions[version.procedure.code].append(version)

        self.units: dict[str, list[AdministrativeUnit]] = {}
        for chunk in _chunks(sorted({r.unit_code for r in rows})):
            for unit in AdministrativeUnit.objects.filter(level=UnitLevel.COMMUNE, code__in=chunk):
                self.units.setdefault(unit.code, []).append(unit)
        self._successors: dict[int, list[AdministrativeUnit]] = {}

        self._default_workflow: Workflow | None = None
        self._workflows: dict[int, Workflow] = {}
        self._calendars: dict[int, WorkingCalendar] = {}

    def calendar(self, agency: Agency) -> WorkingCalendar:
        """The competent agency's office calendar, the one lateness is counted in."""
        if agency.pk not in self._calendars:
            self._calendars[agency.pk] = working_calendar(agency=agency)
        return self._calendars[agency.pk]

    def version(self, code: str, on: dt.date) -> ProcedureVersion | str:
        """The version in force on `on`, else the current one, else the newest published."""
        versions = self.versions.get(code)
        if versions is None:
            return _("unknown procedure code %(code)s") % {"code": code}
        for version in versions:
            if _valid_on(version, on):
                return version
        current = self.current_version[code]
        for version in versions:
            if version.pk == current:
                return version
        if versions:
            return versions[0]
        return _("procedure %(code)s has no published version") % {"code": code}

    def unit(self, code: str, on: dt.date) -> AdministrativeUnit | str:
        """Today's commune or ward for `code` as the file meant it on `on`.

        Codes were reused by the 2025 reform, so a code may name a current unit and a
        different former one: the unit valid on `on` wins; with none valid that day the
        current unit wins, else the most recent former one.
        """
        units = self.units.get(code)
        if not units:
            return _("unknown commune or ward code %(code)s") % {"code": code}
        valid = [u for u in units if _valid_on(u, on)]
        pool = valid or units
        unit = next((u for u in pool if u.valid_to is None), None) or max(
            pool, key=lambda u: u.valid_to
        )
        if unit.valid_to is None:
            return unit
        if unit.pk not in self._successors:
            self._successors[unit.pk] = unit_current_successors(unit=unit)
        successors = self._successors[unit.pk]
        if len(successors) == 1:
            return successors[0]
        if not successors:
            return _(
                "%(code)s is the former unit %(name)s, which has no current successor on record"
            ) % {"code": code, "name": unit}
        return _(
            "%(code)s is the former unit %(name)s, split between %(names)s: give today's unit code"
        ) % {"code": code, "name": unit, "names": ", ".join(s.name for s in successors)}

    def workflow(self, version: ProcedureVersion) -> Workflow:
        # Same choice as workflows.selectors.workflow_for, without a query per row.
        if version.workflow_id:
            return self.workflow_by_id(version.workflow_id)
        if self._default_workflow is None:
            self._default_workflow = workflow_latest(code=wf.COMMUNE_WORKFLOW)
        return self._default_workflow

    def workflow_by_id(self, pk: int) -> Workflow:
        if pk not in self._workflows:
            self._workflows[pk] = Workflow.objects.get(pk=pk)
        return self._workflows[pk]

    def kept(
        self, dossier: Dossier, procedure_code: str
    ) -> tuple[ProcedureVersion, Workflow] | None:
        """The version and workflow an imported dossier already has, if still of this procedure.

        A new catalog version or workflow since the first import is not a change in the
        export: re-importing the same file must leave the dossier as it is.
        """
        for version in self.versions.get(procedure_code, []):
            if version.pk == dossier.procedure_version_id:
                return version, self.workflow_by_id(dossier.workflow_id)
        return None


@dataclass(frozen=True, slots=True)
class _Resolved:
    version: ProcedureVersion
    receiving_agency: Agency
    competent_agency: Agency
    unit: AdministrativeUnit | None


def _resolve(codes: _Codes, refs: _References) -> tuple[_Resolved | None, list[RowError]]:
    problems: list[RowError] = []

    def bad(column: str, message: str) -> None:
        problems.append(RowError(codes.line, column, message))

    version: ProcedureVersion | str | None = None
    if codes.procedure_code:  # empty codes were reported by the row check
        version = refs.version(codes.procedure_code, codes.on_date)
        if isinstance(version, str):
            bad("procedure_code", version)
    agencies: dict[str, Agency | None] = {}
    for column in ("receiving_agency_code", "competent_agency_code"):
        code = getattr(codes, column)
        agencies[column] = refs.agencies.get(code)
        if code and agencies[column] is None:
            bad(column, _("unknown agency code %(code)s") % {"code": code})
    unit: AdministrativeUnit | str | None = None
    if codes.unit_code:
        unit = refs.unit(codes.unit_code, codes.on_date)
        if isinstance(unit, str):
            bad("unit_code", unit)
    if problems or not isinstance(version, ProcedureVersion):
        return None, problems
    receiving, competent = agencies["receiving_agency_code"], agencies["competent_agency_code"]
    assert receiving is not None and competent is not None and not isinstance(unit, str)
    return _Resolved(version, receiving, competent, unit), []


def _values(
    row: _Row,
    resolved: _Resolved,
    version: ProcedureVersion,
    workflow: Workflow,
    *,
    calendar: WorkingCalendar,
    now: dt.datetime,
) -> dict[str, Any]:
    """Dossier field values for a row: exactly the fields the file decides.

    A re-import compares these keys to tell updated from unchanged dossiers. `due_at`
    in the file is the appointment in force (after a supplement, the one given again when
    the complete dossier arrived); the legal due moment (+ fee waits) and lateness come
    from the one timing rule (motcua.dossiers.timing), as for a live dossier.
    """
    unit = resolved.unit
    start = workflow.definition["start"]
    state = STATUS_STATE[row.status] or start
    filed = row.status == S.FILED
    received = row.received_at
    finished = row.finished_at if row.status in FINISHED else None
    stopped = row.finished_at if row.status in (S.NOT_RECEIVED, S.STOPPED) else None
    result = timing.timing_of(
        timing.TimingFacts(
            appointment=row.due_at,
            paused_seconds=row.fee_seconds,
            supplement_requests=row.supplement_requests,
            finished_at=finished or stopped,
        ),
        calendar=calendar,
        now=now,
    )
    return {
        "procedure_version_id": version.pk,
        "workflow_id": workflow.pk,
        "state": state,
        "status": row.status,
        "outcome": row.outcome or DEFAULT_OUTCOME.get(row.status, Outcome.PENDING),
        "applicant_type": row.applicant_type,
        "applicant_unit_id": unit.pk if unit else None,
        "channel": row.channel,
        "receiving_agency_id": resolved.receiving_agency.pk,
        "competent_agency_id": resolved.competent_agency.pk,
        "fee_amount": row.fee_amount,
        "paid_online": row.paid_online,
        # Exports do not tell filing from receipt; an online dossier was filed by then.
        "submitted_at": received if row.channel == Channel.ONLINE else None,
        # Status 1 was never received: its time column is the filing moment.
        "received_at": None if filed else received,
        "clock_started_at": None if filed or row.status == S.NOT_RECEIVED else received,
        "appointment_at": row.due_at,
        "due_at": result.legal_due,
        "decided_at": finished,
        "stopped_at": stopped,
        "returned_at": row.returned_at,
        "resume_state": start if row.status in WAITING else "",
        "before_withdrawal": start if row.status == S.WITHDRAWAL_REQUESTED else "",
        "supplement_requests": row.supplement_requests,
        "supplement_seconds": row.supplement_seconds,
        "fee_seconds": row.fee_seconds,
        "is_late": result.late,
        "scanned_at_counter": row.digitized,
        "reused_data": row.reused_data,
        "electronic_result": row.e_result,
        "rating": row.rating,
        "full_online": row.full_online,
    }


def _existing(codes: list[str]) -> tuple[dict[str, bool], set[str]]:
    """Codes already stored → imported flag, and the codes worked on since their import."""
    imported: dict[str, bool] = {}
    worked_on: set[str] = set()
    for chunk in _chunks(codes):
        imported.update(Dossier.objects.filter(code__in=chunk).values_list("code", "imported"))
        worked_on.update(
            DossierEvent.objects.filter(dossier__code__in=chunk, dossier__imported=True)
            .exclude(action__in=(IMPORTED, IMPORT_UPDATED))
            .values_list("dossier__code", flat=True)
        )
    return imported, worked_on


def _not_overwritten(code: str, imported: bool, worked_on: set[str]) -> str | None:
    # Live dossiers belong to the lifecycle services; an export must not rewrite them.
    if not imported:
        return _(
            "%(code)s is a dossier filed in motcua, not an imported one; it is not overwritten"
        ) % {"code": code}
    if code in worked_on:
        return _("%(code)s was worked on in motcua after its import; it is not overwritten") % {
            "code": code
        }
    return None


# --- The service ----------------------------------------------------------------------------


def _source_name(path: str | Path | None, file: IO[str] | IO[bytes] | None) -> str:
    name = str(path if path is not None else getattr(file, "name", "") or "")
    return Path(name).name or "upload.csv"


def _lines(file: IO[str] | IO[bytes]) -> Iterator[str]:
    if not isinstance(file, io.TextIOBase):
        yield from _decoded(file)  # type: ignore[arg-type]
        return
    for number, line in enumerate(file, start=1):
        yield line.removeprefix("\ufeff") if number == 1 else line


def dossiers_import_csv(
    *,
    path: str | Path | None = None,
    file: IO[str] | IO[bytes] | None = None,
    dry_run: bool = False,
    source_name: str | None = None,
) -> ImportReport:
    """Import (or with dry_run only check) a CSV export of dossiers.

    Raises DossierImportError listing every bad row; then nothing is written. Otherwise
    creates the new codes, updates imported dossiers whose values changed and counts
    the rest unchanged, all in one transaction.
    """
    started = time.perf_counter()
    now = timezone.now()
    if (path is None) == (file is None):
        raise ValueError("give exactly one of path and file")
    report = ImportReport(source_name=source_name or _source_name(path, file), dry_run=dry_run)
    if path is not None:
        with open(path, "rb") as binary:
            rows, bad_rows, errors = _read(_decoded(binary), now)
    else:
        rows, bad_rows, errors = _read(_lines(file), now)

    if errors and not rows and not bad_rows:  # unreadable file or header: no lookups
        raise DossierImportError(errors)
    with transaction.atomic():
        good: list[tuple[_Row, _Resolved]] = []
        refs: _References | None = None
        if rows or bad_rows:
            refs = _References([r.codes for r in rows] + bad_rows)
            for codes in bad_rows:
                errors.extend(_resolve(codes, refs)[1])
            imported, worked_on = _existing([r.code for r in rows])
            for row in rows:
                resolved, problems = _resolve(row.codes, refs)
                if row.code in imported:
                    problem = _not_overwritten(row.code, imported[row.code], worked_on)
                    if problem:
                        problems.append(RowError(row.line, "code", problem))
                errors.extend(problems)
                if resolved is not None and not problems:
                    good.append((row, resolved))
        if errors:
            errors.sort(key=lambda e: e.line)
            raise DossierImportError(errors)
        report.rows = len(rows)
        for start in range(0, len(good), BATCH_SIZE):
            assert refs is not None
            _write_batch(good[start : start + BATCH_SIZE], refs, report=report, now=now)
        if dry_run:
            transaction.set_rollback(True)
    report.seconds = time.perf_counter() - started
    return report


def _write_batch(
    batch: list[tuple[_Row, _Resolved]],
    refs: _References,
    *,
    report: ImportReport,
    now: dt.datetime,
) -> None:
    codes = [row.code for row, _resolved in batch]
    existing = {d.code: d for d in Dossier.objects.filter(code__in=codes)}
    new: list[tuple[_Row, Dossier]] = []
    changed: list[tuple[_Row, Dossier, list[str]]] = []
    for row, resolved in batch:
        dossier = existing.get(row.code)
        kept = dossier and refs.kept(dossier, row.codes.procedure_code)
        version, workflow = kept or (resolved.version, refs.workflow(resolved.version))
        row_values = _values(
            row,
            resolved,
            version,
            workflow,
            calendar=refs.calendar(resolved.competent_agency),
            now=now,
        )
        if dossier is None:
            new.append(
                (
                    row,
                    Dossier(
                        code=row.code,
                        applicant_name=APPLICANT_PLACEHOLDER,
                        applicant_name_folded=fold(APPLICANT_PLACEHOLDER),
                        imported=True,
                        # A wait for the applicant is counted from the import on.
                        paused_at=now if row.status in WAITING else None,
                        **row_values,
                    ),
                )
            )
            continue
        fields = [name for name, value in row_values.items() if getattr(dossier, name) != value]
        if not fields:
            report.unchanged += 1
            continue
        for name in fields:
            setattr(dossier, name, row_values[name])
        changed.append((row, dossier, fields))
    report.created += len(new)
    report.updated += len(changed)
    if report.dry_run:
        return

    created = Dossier.objects.bulk_create([d for _row, d in new], batch_size=BATCH_SIZE)
    if created and created[0].pk is None:  # a backend that cannot return ids
        ids = dict(
            Dossier.objects.filter(code__in=[d.code for d in created]).values_list("code", "pk")
        )
        for dossier in created:
            dossier.pk = ids[dossier.code]
    if changed:
        fields = sorted({f for _row, _d, names in changed for f in names})
        Dossier.objects.bulk_update(
            [d for _row, d, _names in changed],
            [f.removesuffix("_id") for f in fields],
            batch_size=BATCH_SIZE,
        )
        # What every updated dossier gets alike costs one statement, not a CASE per row
        # (bulk_update builds one per row and field, its slowest part).
        Dossier.objects.filter(pk__in=[d.pk for _row, d, _names in changed]).update(
            lock_version=F("lock_version") + 1, updated_at=now
        )
    note = _("Imported from %(file)s, line %(line)d")  # translated once, not per row
    events = [
        _event(row, dossier, action=IMPORTED, now=now, source=report.source_name, note=note)
        for row, dossier in new
    ] + [
        _event(
            row,
            dossier,
            action=IMPORT_UPDATED,
            now=now,
            source=report.source_name,
            note=note,
            changed=[f.removesuffix("_id") for f in names],
        )
        for row, dossier, names in changed
    ]
    DossierEvent.objects.bulk_create(events, batch_size=BATCH_SIZE)


def _event(
    row: _Row,
    dossier: Dossier,
    *,
    action: str,
    now: dt.datetime,
    source: str,
    note: str,
    changed: list[str] | None = None,
) -> DossierEvent:
    data: dict[str, Any] = {"source": source, "line": row.line}
    if changed is not None:
        data["changed"] = changed
    return DossierEvent(
        dossier_id=dossier.pk,
        action=action,
        to_state=dossier.state,
        status=dossier.status,
        agency_id=dossier.receiving_agency_id,
        at=now,
        note=note % {"file": source, "line": row.line},
        data=data,
    )
