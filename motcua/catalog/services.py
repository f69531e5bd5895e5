"""Catalog writes. Every function that changes procedures calls catalog_revision_bump()."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from motcua.catalog.models import (
    CatalogRevision,
    FeeItem,
    PaperForm,
    PhraseLanguage,
    Procedure,
    ProcedureVersion,
    RequiredPaper,
    SearchPhrase,
    Sector,
    VersionState,
)
from motcua.catalog.parsing import (
    parse_agency_types,
    parse_fee,
    parse_levels,
    parse_online_level,
    parse_paper,
    parse_processing_time,
)
from motcua.catalog.search import name_holds
from motcua.catalog.selectors import catalog_revision_forget
from motcua.core.calendar import DurationKind, parse_duration
from motcua.core.datafiles import DataFileError, read_json
from motcua.core.text import fold
from motcua.workflows.models import Workflow

__all__ = [
    "DEMO_FIELD_NAMES",
    "PHRASES_FILE",
    "CatalogFileError",
    "ImportReport",
    "PhraseLoadReport",
    "catalog_import",
    "catalog_revision_bump",
    "display_name",
    "search_phrases_load",
    "search_phrases_load_file",
]


def catalog_revision_bump() -> None:
    """Mark the catalog as changed (call inside the writing transaction)."""
    with transaction.atomic():
        # changed_at is set explicitly (update() skips auto_now): together with the
        # number it tells a committed change from a rolled-back one that reused it.
        updated = CatalogRevision.objects.filter(pk=1).update(
            number=F("number") + 1, changed_at=timezone.now()
        )
        if not updated:
            CatalogRevision.objects.get_or_create(pk=1, defaults={"number": 1})
    # The cached copy goes now (this process re-reads the row, and sees its own
    # uncommitted change), and again after the commit: a process that re-read the old
    # number in between would otherwise keep it for REVISION_CACHE_SECONDS.
    catalog_revision_forget()
    transaction.on_commit(catalog_revision_forget)


# --- catalog file import ----------------------------------------------------------------

# Bump when the parsers or the mapping change: every procedure then gets a new version
# on the next import, so structured values never lag behind the published text.
IMPORT_FORMAT = 1

NATIONAL_CODE_RE = re.compile(r"^\d\.\d{6}$")
REQUIRED_KEYS = ("code", "name", "field")
TEXT_KEYS = (
    "code", "name", "field", "level", "agency", "processing_time", "fee", "online_level",
    "submission_place", "province", "source", "notes", "online_level_reason", "duration",
)
BOOL_KEYS = ("full_process_online", "online_payment", "boundary_independent")
LIST_KEYS = ("documents", "demo_fields")
KNOWN_KEYS = frozenset(TEXT_KEYS + BOOL_KEYS + LIST_KEYS)
MAX_LENGTHS = {"name": 1000, "field": 200, "province": 100}
PAPER_KEYS = frozenset({"name", "form", "count", "reusable"})

# Entry key listed in `demo_fields` → names stored in ProcedureVersion.demo_fields: the
# version's attributes (and the related `fees`/`papers`, the portal's `duration`) whose
# shown value is made up.
DEMO_FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "code": ("code",),
    "name": ("name",),
    "field": ("sector",),
    "level": ("levels",),
    "agency": ("agency_text", "competent_agency_types"),
    "processing_time": ("processing_time_text", "duration", "duration_notes"),
    "duration": ("duration",),
    "fee": ("fee_text", "fee_status", "fees"),
    "documents": ("papers",),
    "full_process_online": ("online_level",),
    "online_level": ("online_level",),
    "online_level_reason": ("online_level_reason",),
    "online_payment": ("online_payment",),
    "boundary_independent": ("boundary_independent",),
    "submission_place": ("submission_place",),
    "province": ("province",),
    "notes": ("notes",),
}


class CatalogFileError(Exception):
    """A catalog file that cannot be imported; `errors` names every bad entry and field."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        header = ngettext(
            "The catalog file has %(n)d error; nothing was imported:",
            "The catalog file has %(n)d errors; nothing was imported:",
            len(errors),
        ) % {"n": len(errors)}
        super().__init__("\n".join([header, *(f"- {e}" for e in errors)]))


@dataclass
class ImportReport:
    source_name: str
    created: int = 0  # new procedures
    updated: int = 0  # procedures that got a new version
    unchanged: int = 0
    problems: dict[str, list[str]] = field(default_factory=dict)  # code → what was not read


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value).strip()


def _normalise(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry as compared and hashed: every known key, NFC text, "" read as null."""
    out: dict[str, Any] = {}
    for key in sorted(KNOWN_KEYS):
        value = entry.get(key)
        if isinstance(value, str):
            value = _nfc(value) or None
        elif key == "documents" and value is not None:
            value = [
                _nfc(doc) if isinstance(doc, str) else {
                    "name": _nfc(doc["name"]), "form": doc.get("form") or None,
                    "count": doc.get("count"), "reusable": bool(doc.get("reusable", False)),
                }
                for doc in value
            ]
        elif key == "demo_fields":
            value = sorted(set(value or []))
        out[key] = value
    return out


def _content_hash(entry: dict[str, Any]) -> str:
    payload = json.dumps({"format": IMPORT_FORMAT, "entry": entry}, ensure_ascii=False,
                         sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def _check_paper(doc: Any) -> str | None:
    """What is wrong with one item of `documents`, or None."""
    if isinstance(doc, str):
        return None if doc.strip() else _("an empty paper name")
    if not isinstance(doc, dict):
        return _("each paper must be a text or an object, not %(type)s") % {
            "type": type(doc).__name__}
    unknown = sorted(set(doc) - PAPER_KEYS)
    if unknown:
        return _("a paper has unknown keys: %(keys)s") % {"keys": ", ".join(unknown)}
    if not isinstance(doc.get("name"), str) or not doc["name"].strip():
        return _("a paper object needs a non-empty 'name'")
    if doc.get("form") is not None and doc["form"] not in PaperForm.values:
        return _("paper form %(form)r is not one of %(choices)s") % {
            "form": doc["form"], "choices": ", ".join(PaperForm.values)}
    count = doc.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int)
                              or not 1 <= count <= 100):
        return _("paper count must be a whole number from 1 to 100")
    if "reusable" in doc and not isinstance(doc["reusable"], bool):
        return _("paper 'reusable' must be true or false")
    return None


def _entry_errors(entry: Any) -> list[tuple[str, str]]:
    """(field, what is wrong) for one entry."""
    if not isinstance(entry, dict):
        return [("-", _("expected an object, got %(type)s") % {"type": type(entry).__name__})]
    errors: list[tuple[str, str]] = []
    for key in sorted(set(entry) - KNOWN_KEYS, key=str):
        errors.append((str(key), _("unknown field")))
    for key in REQUIRED_KEYS:
        if key not in entry:
            errors.append((key, _("missing")))
        elif not isinstance(entry[key], str) or not entry[key].strip():
            errors.append((key, _("must be a non-empty text")))
    for key in TEXT_KEYS:
        value = entry.get(key)
        if key not in REQUIRED_KEYS and value is not None and not isinstance(value, str):
            errors.append((key, _("must be a text or null, not %(type)s")
                           % {"type": type(value).__name__}))
        elif isinstance(value, str) and key in MAX_LENGTHS and len(value) > MAX_LENGTHS[key]:
            errors.append((key, _("longer than %(n)d characters") % {"n": MAX_LENGTHS[key]}))
    code = entry.get("code")
    if isinstance(code, str) and code.strip() and not NATIONAL_CODE_RE.match(code.strip()):
        errors.append(("code", _("%(code)r is not a national procedure code like 1.001193")
                       % {"code": code}))
    for key in BOOL_KEYS:
        if entry.get(key) is not None and not isinstance(entry[key], bool):
            errors.append((key, _("must be true, false or null")))
    documents = entry.get("documents")
    if documents is not None:
        if not isinstance(documents, list):
            errors.append(("documents", _("must be a list or null")))
        else:
            for number, doc in enumerate(documents, start=1):
                problem = _check_paper(doc)
                if problem:
                    errors.append(("documents", _("paper %(n)d: %(problem)s")
                                   % {"n": number, "problem": problem}))
    demo = entry.get("demo_fields")
    if demo is not None:
        if not isinstance(demo, list) or not all(isinstance(k, str) for k in demo):
            errors.append(("demo_fields", _("must be a list of field names")))
        else:
            for key in demo:
                if key not in DEMO_FIELD_NAMES:
                    errors.append(("demo_fields", _("%(key)r cannot be marked as demo data")
                                   % {"key": key}))
                elif entry.get(key) is None:
                    errors.append(("demo_fields", _("lists %(key)r, which has no value")
                                   % {"key": key}))
    duration = entry.get("duration")
    if isinstance(duration, str) and duration.strip():
        if isinstance(entry.get("processing_time"), str) and entry["processing_time"].strip():
            errors.append(("duration", _("only allowed when processing_time is null: the "
                                         "published text takes precedence")))
        else:
            try:
                parse_duration(duration)
            except ValueError:
                errors.append(("duration", _("%(text)r is not a duration like '3 ngày làm "
                                             "việc', '4 giờ làm việc', '5 ngày' or 'trong "
                                             "ngày'") % {"text": duration}))
    return errors


def _validate(entries: Any) -> list[dict[str, Any]]:
    if not isinstance(entries, list):
        raise CatalogFileError([_("the file must hold a list of procedures, not %(type)s")
                                % {"type": type(entries).__name__}])
    if not entries:
        raise CatalogFileError([_("the file holds no procedures")])
    errors: list[str] = []
    first_seen: dict[str, int] = {}
    for number, entry in enumerate(entries, start=1):
        code = entry.get("code") if isinstance(entry, dict) else None
        shown = code.strip() if isinstance(code, str) and code.strip() else "?"
        problems = _entry_errors(entry)
        if shown != "?" and not any(f == "code" for f, _e in problems):
            if shown in first_seen:
                problems.append(("code", _("duplicate of entry %(n)d") % {"n": first_seen[shown]}))
            else:
                first_seen[shown] = number
        errors.extend(
            _("entry %(n)d (code %(code)s), field '%(field)s': %(error)s")
            % {"n": number, "code": shown, "field": key, "error": error}
            for key, error in problems
        )
    if errors:
        raise CatalogFileError(errors)
    return [_normalise(entry) for entry in entries]


def display_name(name: str) -> str:
    """"Thủ tục đăng ký khai sinh" → "Đăng ký khai sinh"; everything else as published."""
    name = _nfc(name)
    stripped = re.sub(r"^thủ tục\s+", "", name, flags=re.IGNORECASE)
    name = stripped or name
    return name[:1].upper() + name[1:]


class _BackdatedError(Exception):
    pass


def _covers(current: dict[str, Any] | None, entry: dict[str, Any]) -> bool:
    """Whether the current version already says everything `entry` says.

    True when they differ only where `entry` has no value and the current version has
    a demo value: the demo loader imports the published sample and then the demo file,
    which repeats sample entries with demo values in their gaps; re-running it must not
    make a new version each time. A real change of a published value is never covered.
    """
    if not current or set(current) != set(entry):
        return False
    demo = set(current["demo_fields"] or [])
    if not set(entry["demo_fields"] or []) <= demo:
        return False
    return all(
        entry[key] == current[key] or (entry[key] is None and key in demo)
        for key in entry if key != "demo_fields"
    )


def _import_entry(entry: dict[str, Any], *, valid_from: date, content_hash: str
                  ) -> tuple[str, list[str]]:
    """Import one validated entry; returns ("created" | "updated" | "unchanged", problems)."""
    procedure, _created = Procedure.objects.select_for_update().get_or_create(
        code=entry["code"]
    )
    current = procedure.current
    if (current is not None and current.state == VersionState.PUBLISHED
            and (current.content_hash == content_hash or _covers(current.imported_entry, entry))):
        return "unchanged", list(current.import_problems)

    if current is not None and current.valid_from and current.valid_from > valid_from:
        # A version cannot end before it starts: importing with an earlier date than
        # the version in force is a mistake, not a history edit.
        raise _BackdatedError(_(
            "procedure %(code)s: the version in force starts on %(start)s, after the "
            "requested start %(valid_from)s"
        ) % {"code": entry["code"], "start": current.valid_from, "valid_from": valid_from})

    problems: list[str] = []
    levels, found = parse_levels(entry["level"])
    problems += found
    agency_types, found = parse_agency_types(entry["agency"])
    problems += found
    if entry["processing_time"]:
        duration, notes, found = parse_processing_time(entry["processing_time"])
        problems += found
    elif entry["duration"]:
        duration, notes = parse_duration(entry["duration"]), []  # checked in _validate
    else:
        duration, notes = None, []
    fee_status, fee_items, found = parse_fee(entry["fee"])
    problems += found
    online_level, found = parse_online_level(
        entry["online_level"], full_process_online=entry["full_process_online"]
    )
    problems += found
    papers: list[RequiredPaper] = []
    for position, doc in enumerate(entry["documents"] or []):
        if isinstance(doc, str):
            name, form, count, found = parse_paper(doc)
            problems += found
            papers.append(RequiredPaper(position=position, name=name, form=form, count=count))
        else:
            papers.append(RequiredPaper(
                position=position, name=doc["name"], form=doc["form"] or PaperForm.UNSPECIFIED,
                count=doc["count"], reusable=doc["reusable"],
            ))
    demo_fields = sorted({name for key in entry["demo_fields"] for name in DEMO_FIELD_NAMES[key]})

    had_version = procedure.versions.exists()
    number = (procedure.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    sector, _sector_created = Sector.objects.get_or_create(name=entry["field"])
    version = ProcedureVersion.objects.create(
        procedure=procedure,
        number=number,
        state=VersionState.PUBLISHED,
        valid_from=valid_from,
        name=display_name(entry["name"]),
        sector=sector,
        levels=levels,
        competent_agency_types=agency_types,
        agency_text=entry["agency"] or "",
        processing_time_text=entry["processing_time"] or "",
        duration_kind=duration.kind if duration else "",
        duration_amount=(
            duration.amount if duration and duration.kind != DurationKind.SAME_DAY else None
        ),
        duration_notes="; ".join(notes),
        fee_text=entry["fee"] or "",
        fee_status=fee_status,
        online_level=online_level,
        online_level_reason=entry["online_level_reason"] or "",
        online_payment=bool(entry["online_payment"]),
        boundary_independent=bool(entry["boundary_independent"]),
        submission_place=entry["submission_place"] or "",
        province=entry["province"] or "",
        source=entry["source"] or "",
        notes=entry["notes"] or "",
        demo_fields=demo_fields,
        import_problems=problems,
        content_hash=content_hash,
        imported_entry=entry,
    )
    FeeItem.objects.bulk_create(
        FeeItem(version=version, position=position, **item)
        for position, item in enumerate(fee_items)
    )
    for paper in papers:
        paper.version = version
    RequiredPaper.objects.bulk_create(papers)
    # Versions are half-open periods: the old one ends the day the new one starts.
    procedure.versions.filter(state=VersionState.PUBLISHED).exclude(pk=version.pk).update(
        state=VersionState.RETIRED, valid_to=valid_from
    )
    procedure.current = version
    procedure.save(update_fields=["current"])
    return ("updated" if had_version else "created"), problems


def catalog_import(*, entries: list[dict[str, Any]], source_name: str,
                   valid_from: date | None = None) -> ImportReport:
    """Import a catalog file's entries (the catalog_sample.json schema).

    The whole file is validated first; any malformed entry raises CatalogFileError
    listing every error and nothing is written. Then, in one transaction, each entry
    whose content differs from its procedure's current version becomes a new published
    version (retiring the previous one, effective `valid_from`, default today); an entry
    identical to the current version changes nothing, so re-importing is a no-op. A
    `valid_from` earlier than a version it would retire also raises CatalogFileError,
    with nothing written.
    """
    normalised = _validate(entries)
    valid_from = valid_from or timezone.localdate()
    report = ImportReport(source_name=source_name)
    errors: list[str] = []
    with transaction.atomic():
        for entry in normalised:
            try:
                outcome, problems = _import_entry(
                    entry, valid_from=valid_from, content_hash=_content_hash(entry)
                )
            except _BackdatedError as exc:
                errors.append(str(exc))
                continue
            setattr(report, outcome, getattr(report, outcome) + 1)
            if problems:
                report.problems[entry["code"]] = problems
        if errors:
            raise CatalogFileError(errors)  # leaving the block rolls the whole file back
        if report.created or report.updated:
            catalog_revision_bump()
    return report


def procedure_workflow_set(*, codes: list[str], workflow: Workflow | None) -> int:
    """Attach `workflow` to the versions in force of these procedures (None: the default).

    Returns how many versions changed. The workflow is data the administrator chooses
    per procedure version, so this writes the current versions, not new ones.
    """
    with transaction.atomic():
        changed = (
            ProcedureVersion.objects.filter(procedure__code__in=codes, procedure__current=F("pk"))
            .exclude(workflow=workflow)
            .update(workflow=workflow)
        )
        if changed:
            catalog_revision_bump()
    return changed


# --- everyday names of procedures (search vocabulary) -----------------------------------

PHRASES_FILE = Path(__file__).resolve().parent / "data" / "search_phrases.json"
PHRASE_KEYS = frozenset({"phrase", "procedure", "words", "language", "note"})


@dataclass
class PhraseLoadReport:
    created: int = 0
    unchanged: int = 0  # already there: left as the administrator keeps them
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (phrase, code not in catalog)
    # (phrase, official words) stored, but no procedure in force has a name holding them
    unmatched: list[tuple[str, str]] = field(default_factory=list)


def _phrase_entry_errors(position: int, entry: Any) -> list[str]:
    where = _("phrase %(n)d") % {"n": position}
    if not isinstance(entry, dict):
        return [f"{where}: " + _("expected an object, got %(type)s") % {
            "type": type(entry).__name__}]
    errors = [f"{where}: " + _("unknown field %(key)r") % {"key": key}
              for key in sorted(set(entry) - PHRASE_KEYS, key=str)]
    phrase = entry.get("phrase")
    if not isinstance(phrase, str) or not fold(phrase) or len(_nfc(phrase)) > 200:
        errors.append(f"{where}: " + _("'phrase' must be words, at most 200 characters"))
    else:
        where = f"{where} ({_nfc(phrase)!r})"
    code, words = entry.get("procedure"), entry.get("words")
    if (code is None) == (words is None):
        errors.append(f"{where}: " + _("give either 'procedure' or 'words'"))
    elif code is not None and not (isinstance(code, str) and NATIONAL_CODE_RE.match(code)):
        errors.append(f"{where}: " + _("'procedure' must be a national code like 1.001193"))
    elif words is not None and (
        not isinstance(words, str) or not fold(words) or len(_nfc(words)) > 300
    ):
        errors.append(
            f"{where}: " + _("'words' must be words of an official name, at most 300 characters")
        )
    if entry.get("language", "vi") not in PhraseLanguage.values:
        errors.append(f"{where}: " + _("'language' must be one of %(choices)s")
                      % {"choices": ", ".join(PhraseLanguage.values)})
    if not isinstance(entry.get("note", ""), str):
        errors.append(f"{where}: " + _("'note' must be a text"))
    return errors


def search_phrases_load(*, entries: Any) -> PhraseLoadReport:
    """Add the everyday names of `entries` (the search_phrases.json schema) not yet stored.

    Idempotent, and it never overwrites: a phrase already stored (same words, same
    target) stays as the administrator keeps it, deactivated or annotated. An entry
    whose procedure is not in the catalog is skipped; one whose official words no
    procedure's name holds is stored (the catalog may grow) and reported. A malformed
    file raises CatalogFileError naming every bad entry, with nothing written.
    """
    if isinstance(entries, dict):
        entries = entries.get("phrases")
    if not isinstance(entries, list):
        raise CatalogFileError([_("the file must hold a list of phrases")])
    errors = [e for position, entry in enumerate(entries, 1)
              for e in _phrase_entry_errors(position, entry)]
    if errors:
        raise CatalogFileError(errors)

    report = PhraseLoadReport()
    codes = {entry["procedure"] for entry in entries if "procedure" in entry}
    procedures = {p.code: p for p in Procedure.objects.filter(code__in=codes)}
    # The names in force, to tell whether official words find anything.
    names = list(
        ProcedureVersion.objects.filter(procedure__current=F("pk")).values_list("name", flat=True)
    )
    with transaction.atomic():
        for entry in entries:
            phrase = _nfc(entry["phrase"])
            if "procedure" in entry:
                procedure = procedures.get(entry["procedure"])
                if procedure is None:
                    report.skipped.append((phrase, entry["procedure"]))
                    continue
                target = {"procedure": procedure, "official_words": ""}
            else:
                words = _nfc(entry["words"])
                target = {"procedure": None, "official_words": words}
                if not any(name_holds(name, words) for name in names):
                    report.unmatched.append((phrase, words))
            _row, created = SearchPhrase.objects.get_or_create(
                phrase=phrase,
                **target,
                defaults={
                    "language": entry.get("language", PhraseLanguage.VIETNAMESE),
                    "note": _nfc(entry.get("note", "")),
                },
            )
            if created:
                report.created += 1
            else:
                report.unchanged += 1
        if report.created:
            catalog_revision_bump()  # the search index holds the phrases too
    return report


def search_phrases_load_file(*, path: Path | str | None = None) -> PhraseLoadReport:
    """search_phrases_load() over a JSON file, the shipped vocabulary by default."""
    path = Path(path or PHRASES_FILE)
    try:
        data = read_json(path)
    except DataFileError as exc:
        raise CatalogFileError([str(exc)]) from None
    return search_phrases_load(entries=data)
