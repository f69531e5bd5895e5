"""Online forms as versioned data: the schema of a form definition, checked in one place,
the loader of the shipped JSON files, and the per-question-type answer checks.

A definition (JSON) is one procedure's form, one question per page (GOV.UK "one thing
per page"):

    {"procedure": "1.001193", "title": "...", "intro": "...", "needs": ["..."],
     "demo": true, "demo_note": "...",
     "fee_units": {"documents": "<repeat page>", "pages": "<number>", "copies": "<number>"},
     "applicant": {"person": "<person page>" | "name": "<text page>",
                   "id_number": "<citizen_id page>", "phone": "<phone page>",
                   "address": "<address page>"},
     "pages": [{"id": "ten_tre", "type": "text", "question": "...", "hint": "...",
                "required": true, "show_if": {"question": "<choice page>", "equals": "v"},
                "prefill": true},
               ...]}

Question types: text (max_length), number (min, max), date (past_only), choice
(options: [{value, label}]), citizen_id, phone, address (commune of today's units of
the province + street/village), person (full name, date of birth, sex, ethnicity,
nationality), repeat (fields: text/number/date/choice sub-questions; min_items,
max_items, item_name) and upload (paper: words of the required paper's name).
The applicant's pages are prefilled from the citizen's last dossier or profile
(motcua.filing.drafts.prefill_answers) unless the page says "prefill": false.

Answers are kept as typed ("raw") in the draft, so nothing is lost when a check fails;
`answer_clean` turns a raw answer into the value the dossier stores, or into messages
keyed by the input's name.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.catalog.models import FormDefinition, Procedure
from motcua.core.calendar import VN_TZ
from motcua.dossiers import validation

TYPES = (
    "text",
    "number",
    "date",
    "choice",
    "citizen_id",
    "phone",
    "address",
    "person",
    "repeat",
    "upload",
)
SUB_TYPES = ("text", "number", "date", "choice")
PERSON_FIELDS = ("full_name", "birth_date", "sex", "ethnicity", "nationality")
SEXES = (("nam", "Nam"), ("nu", "Nữ"))
_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_TEXT = 200


class FormDefinitionError(Exception):
    """A form definition file that does not follow the schema (messages for developers)."""


# --- schema -----------------------------------------------------------------------------


def _str(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _options_errors(where: str, options: Any) -> list[str]:
    if not isinstance(options, list) or len(options) < 2:
        return [f"{where}: a choice needs a list of at least 2 options"]
    errors = []
    values = [o.get("value") for o in options if isinstance(o, dict)]
    if len(values) != len(options) or not all(_str(v) for v in values):
        errors.append(f"{where}: each option needs a value")
    if len(set(values)) != len(values):
        errors.append(f"{where}: option values must be unique")
    if not all(isinstance(o, dict) and _str(o.get("label")) for o in options):
        errors.append(f"{where}: each option needs a label")
    return errors


def _page_errors(page: Any, number: int, earlier: dict[str, dict]) -> list[str]:
    if not isinstance(page, dict):
        return [f"page {number}: must be an object"]
    pid = page.get("id")
    where = f"page {number} ({pid})"
    errors = []
    if not isinstance(pid, str) or not _ID.match(pid):
        errors.append(f"{where}: id must be lowercase letters, digits and _")
    if pid in earlier:
        errors.append(f"{where}: id is used twice")
    kind = page.get("type")
    if kind not in TYPES:
        return [*errors, f"{where}: unknown type {kind!r}"]
    if not _str(page.get("question")):
        errors.append(f"{where}: question text is missing")
    for flag in ("required", "prefill"):
        if flag in page and not isinstance(page[flag], bool):
            errors.append(f"{where}: {flag} must be true or false")
    if kind == "choice":
        errors += _options_errors(where, page.get("options"))
    if kind == "number":
        low, high = page.get("min"), page.get("max")
        if any(v is not None and not isinstance(v, int) for v in (low, high)):
            errors.append(f"{where}: min and max must be whole numbers")
        elif low is not None and high is not None and low > high:
            errors.append(f"{where}: min is above max")
    if kind == "upload" and not _str(page.get("paper")):
        errors.append(f"{where}: an upload names its paper")
    if kind == "repeat":
        fields = page.get("fields")
        if not isinstance(fields, list) or not fields:
            errors.append(f"{where}: a repeating group needs fields")
        else:
            ids = set()
            for sub in fields:
                if not isinstance(sub, dict) or sub.get("type") not in SUB_TYPES:
                    errors.append(f"{where}: each field is text, number, date or choice")
                    continue
                if not isinstance(sub.get("id"), str) or not _ID.match(sub["id"]):
                    errors.append(f"{where}: a field id must be lowercase letters, digits and _")
                if sub.get("id") in ids:
                    errors.append(f"{where}: field id {sub.get('id')} is used twice")
                ids.add(sub.get("id"))
                if not _str(sub.get("label")):
                    errors.append(f"{where}: field {sub.get('id')} needs a label")
                if sub["type"] == "choice":
                    errors += _options_errors(f"{where} field {sub.get('id')}", sub.get("options"))
        low, high = page.get("min_items", 1), page.get("max_items", 20)
        if not (isinstance(low, int) and isinstance(high, int) and 0 <= low <= high <= 50):
            errors.append(f"{where}: min_items/max_items must be 0 ≤ min ≤ max ≤ 50")
    condition = page.get("show_if")
    if condition is not None:
        target = earlier.get(condition.get("question")) if isinstance(condition, dict) else None
        if target is None or target.get("type") != "choice":
            errors.append(f"{where}: show_if must name an earlier choice question")
        elif condition.get("equals") not in {o["value"] for o in target.get("options", [])}:
            errors.append(f"{where}: show_if value is not an option of that question")
    return errors


_APPLICANT_TYPES = {
    "person": "person",
    "name": "text",
    "id_number": "citizen_id",
    "phone": "phone",
    "address": "address",
}


def definition_errors(data: Any) -> list[str]:
    """Everything wrong with a form definition (empty list: valid)."""
    if not isinstance(data, dict):
        return ["the definition must be a JSON object"]
    errors = []
    for key in ("procedure", "title"):
        if not _str(data.get(key)):
            errors.append(f"{key} is missing")
    pages = data.get("pages")
    if not isinstance(pages, list) or not pages:
        return [*errors, "pages: at least one page is needed"]
    seen: dict[str, dict] = {}
    for number, page in enumerate(pages, start=1):
        errors += _page_errors(page, number, seen)
        if isinstance(page, dict) and isinstance(page.get("id"), str):
            seen[page["id"]] = page
    applicant = data.get("applicant")
    if not isinstance(applicant, dict) or not (applicant.get("person") or applicant.get("name")):
        errors.append("applicant: name the person or name question of the applicant")
    else:
        for key, page_id in applicant.items():
            expected = _APPLICANT_TYPES.get(key)
            if expected is None:
                errors.append(f"applicant: unknown key {key}")
            elif seen.get(page_id, {}).get("type") != expected:
                errors.append(f"applicant.{key}: must name a {expected} question")
    if "needs" in data and not (
        isinstance(data["needs"], list) and all(_str(n) for n in data["needs"])
    ):
        errors.append("needs: must be a list of texts")
    errors += _fee_units_errors(data.get("fee_units"), seen)
    return errors


def _fee_units_errors(units: Any, seen: dict[str, dict]) -> list[str]:
    """`fee_units` names the answers a per-copy / per-page fee is counted from
    (motcua.payments.bills.units_from_answers): {"copies": "<number page>"} or
    {"documents": "<repeat page>", "pages": "<number field>", "copies": "<number field>"}."""
    if units is None:
        return []
    if not isinstance(units, dict) or not (set(units) <= {"documents", "pages", "copies"}):
        return ["fee_units: an object with documents, pages and/or copies"]
    repeat = units.get("documents")
    if repeat is None:
        if seen.get(units.get("copies"), {}).get("type") != "number":
            return ["fee_units.copies: must name a number question"]
        return []
    fields = {f.get("id"): f for f in seen.get(repeat, {}).get("fields", []) if isinstance(f, dict)}
    if seen.get(repeat, {}).get("type") != "repeat":
        return ["fee_units.documents: must name a repeat question"]
    return [
        f"fee_units.{key}: must name a number field of {repeat}"
        for key in ("pages", "copies")
        if key in units and fields.get(units[key], {}).get("type") != "number"
    ]


def definition_check(data: Any, *, source: str = "") -> None:
    if errors := definition_errors(data):
        text = "; ".join(errors)
        raise FormDefinitionError(f"{source}: {text}" if source else text)


def definition_hash(data: dict) -> str:
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


# --- loading and reading ------------------------------------------------------------------


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    missing_procedure: list[str] = field(default_factory=list)


def form_definitions_load(*, directory: Path | str) -> LoadReport:
    """Load every *.json form definition of `directory`. Idempotent: a file whose
    content is already the latest version of its procedure's form changes nothing;
    a changed file becomes a new version. All files are checked before any is saved."""
    report = LoadReport()
    files = sorted(Path(directory).glob("*.json"))
    definitions = []
    for path in files:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise FormDefinitionError(f"{path.name}: not valid JSON ({exc})") from exc
        definition_check(data, source=path.name)
        definitions.append((path.name, data))
    with transaction.atomic():
        for name, data in definitions:
            procedure = Procedure.objects.filter(code=data["procedure"]).first()
            if procedure is None:
                report.missing_procedure.append(data["procedure"])
                continue
            digest = definition_hash(data)
            latest = (
                FormDefinition.objects.select_for_update()
                .filter(procedure=procedure)
                .order_by("-number")
                .first()
            )
            if latest is not None and latest.content_hash == digest:
                report.unchanged.append(procedure.code)
                continue
            FormDefinition.objects.create(
                procedure=procedure,
                number=(latest.number + 1) if latest else 1,
                definition=data,
                content_hash=digest,
                source=name,
            )
            report.created.append(procedure.code)
    return report


def form_definition_latest(*, procedure: Procedure) -> FormDefinition | None:
    return FormDefinition.objects.filter(procedure=procedure).order_by("-number").first()


def pages_visible(definition: dict, answers: dict) -> list[dict]:
    """The pages shown for these answers (a page with show_if only when it matches)."""
    shown = []
    for page in definition["pages"]:
        condition = page.get("show_if")
        if condition and answers.get(condition["question"]) != condition["equals"]:
            continue
        shown.append(page)
    return shown


# --- answers ------------------------------------------------------------------------------


def _today() -> date:
    return timezone.localdate(timezone=VN_TZ)


def parse_date(text: str) -> date | None:
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def raw_from_post(page: dict, post: Any) -> Any:
    """What the citizen typed on this page, as it is kept in the draft."""

    def get(name: str) -> str:
        return str(post.get(name, ""))[:1000]

    kind = page["type"]
    if kind == "address":
        return {"commune": get("commune"), "street": get("street")}
    if kind == "person":
        return {name: get(name) for name in PERSON_FIELDS}
    if kind == "repeat":
        count = min(int(post.get("items", "0") or 0) if get("items").isdigit() else 0, 50)
        return [
            {sub["id"]: get(f"{i}-{sub['id']}") for sub in page["fields"]} for i in range(count)
        ]
    return get("value")


def _required(page: dict) -> bool:
    return page.get("required", True)


def _clean_simple(spec: dict, raw: str, required: bool) -> tuple[Any, str | None]:
    """Text, number, date or choice: (value, message)."""
    raw = (raw or "").strip()
    if not raw:
        return None, (_("Answer this question.") if required else None)
    kind = spec["type"]
    if kind == "text":
        limit = spec.get("max_length", MAX_TEXT)
        if len(raw) > limit:
            return None, _("Write at most %(n)d characters.") % {"n": limit}
        return raw, None
    if kind == "number":
        if not re.fullmatch(r"\d{1,9}", raw.replace(".", "").replace(" ", "")):
            return None, _("Enter a whole number, e.g. 2.")
        number = int(raw.replace(".", "").replace(" ", ""))
        low, high = spec.get("min"), spec.get("max")
        if (low is not None and number < low) or (high is not None and number > high):
            return None, _("Enter a number from %(low)s to %(high)s.") % {
                "low": low if low is not None else 0,
                "high": high if high is not None else "…",
            }
        return number, None
    if kind == "date":
        day = parse_date(raw)
        if day is None or day.year < 1900:
            return None, _("Enter a real date as day/month/year, e.g. 05/03/2024.")
        if spec.get("past_only", True) and day > _today():
            return None, _("The date cannot be in the future.")
        return day.isoformat(), None
    if kind == "choice":
        if raw not in {o["value"] for o in spec["options"]}:
            return None, _("Choose one of the answers.")
        return raw, None
    raise ValueError(kind)


def answer_clean(page: dict, raw: Any, *, province_code: str) -> tuple[Any, dict[str, str]]:
    """(clean value, {input name: message}). Upload pages are checked by the drafts."""
    kind = page["type"]
    required = _required(page)
    if kind in SUB_TYPES:
        value, error = _clean_simple(page, raw if isinstance(raw, str) else "", required)
        return value, ({"value": error} if error else {})
    if kind in ("citizen_id", "phone"):
        text = (raw if isinstance(raw, str) else "").strip()
        if not text:
            return None, ({"value": _("Answer this question.")} if required else {})
        if kind == "citizen_id":
            text = text.replace(" ", "").replace(".", "")
            error = validation.cccd_error(text)
        else:
            text = validation.normalize_phone(text)
            error = validation.phone_error(text)
        return (None, {"value": error}) if error else (text, {})
    if kind == "address":
        from motcua.organizations.selectors import unit_list_communes

        raw = raw if isinstance(raw, dict) else {}
        errors = {}
        commune = (
            unit_list_communes(province_code=province_code)
            .filter(code=str(raw.get("commune", "")).strip())
            .first()
        )
        street = str(raw.get("street", "")).strip()
        if commune is None:
            errors["commune"] = _("Choose your commune or ward.")
        if not street:
            errors["street"] = _("Write your village, hamlet or street and house number.")
        elif len(street) > MAX_TEXT:
            errors["street"] = _("Write at most %(n)d characters.") % {"n": MAX_TEXT}
        if errors:
            return None, errors
        return {"commune": commune.code, "commune_name": commune.name, "street": street}, {}
    if kind == "person":
        raw = raw if isinstance(raw, dict) else {}
        errors, value = {}, {}
        specs = {
            "full_name": {"type": "text", "max_length": 100},
            "birth_date": {"type": "date"},
            "sex": {"type": "choice", "options": [{"value": v} for v, _label in SEXES]},
            "ethnicity": {"type": "text", "max_length": 50},
            "nationality": {"type": "text", "max_length": 50},
        }
        for name, spec in specs.items():
            cleaned, error = _clean_simple(spec, str(raw.get(name, "")), True)
            if error:
                errors[name] = error
            value[name] = cleaned
        return (None, errors) if errors else (value, {})
    if kind == "repeat":
        items = raw if isinstance(raw, list) else []
        items = [
            i for i in items if isinstance(i, dict) and any(str(v).strip() for v in i.values())
        ]
        errors, values = {}, []
        for index, item in enumerate(items):
            cleaned = {}
            for sub in page["fields"]:
                value, error = _clean_simple(
                    sub, str(item.get(sub["id"], "")), sub.get("required", True)
                )
                if error:
                    errors[f"{index}-{sub['id']}"] = error
                cleaned[sub["id"]] = value
            values.append(cleaned)
        low = page.get("min_items", 1) if required else 0
        if len(items) < low:
            errors["group"] = _("Add at least %(n)d.") % {"n": low}
        elif len(items) > page.get("max_items", 20):
            errors["group"] = _("At most %(n)d.") % {"n": page.get("max_items", 20)}
        return (None, errors) if errors else (values, {})
    raise ValueError(kind)


def _label(options: list[dict], value: Any) -> str:
    return next((o["label"] for o in options if o["value"] == value), str(value))


def _simple_text(spec: dict, value: Any) -> str:
    if value is None or value == "":
        return ""
    if spec["type"] == "date":
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    if spec["type"] == "choice":
        return _label(spec["options"], value)
    return str(value)


def answer_lines(page: dict, value: Any) -> list[str]:
    """A clean answer as lines of text for the check-answers page."""
    kind = page["type"]
    if value is None:
        return []
    if kind == "address":
        return [value["street"], value["commune_name"]]
    if kind == "person":
        return [
            value["full_name"],
            _simple_text({"type": "date"}, value["birth_date"]),
            dict(SEXES).get(value["sex"], ""),
            value["ethnicity"],
            value["nationality"],
        ]
    if kind == "repeat":
        return [
            "; ".join(
                f"{sub['label']}: {_simple_text(sub, item.get(sub['id']))}"
                for sub in page["fields"]
                if item.get(sub["id"]) not in (None, "")
            )
            for item in value
        ]
    return [_simple_text(page, value)]
