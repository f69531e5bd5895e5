"""Online forms as versioned data: the schema of a form definition, checked in one place,
the loader of the shipped JSON files, and the per-question-type answer checks.

A definition (JSON) is one procedure's form, one thing per page (GOV.UK "one thing per
page"), where a page may group what belongs together (the child; the parents):

    {"procedure": "1.001193", "title": "...", "title_en": "...", "intro": "...",
     "needs": ["..."], "demo": true, "demo_note": "...",
     "fee_units": {"documents": "<repeat page>", "pages": "<number>", "copies": "<number>"},
     "applicant": {"person": "<person page>" | "name": "<text page>",
                   "id_number": "<citizen_id page>", "phone": "<phone page>",
                   "address": "<address page>"},
     "pages": [{"id": "ten_tre", "type": "text", "question": "...", "hint": "...",
                "example": "...", "step": "tre", "required": true, "prefill": true,
                "show_if": {"question": "<page>[.<field>]", "equals": "v"}},
               ...]}

Question types: text (max_length), number (min, max), date (past_only), choice
(options: [{value, label}]), citizen_id, phone, address (commune of today's units of
the province + street/village), person (full name, date of birth, sex, ethnicity,
nationality), repeat (fields: text/number/date/choice sub-questions; min_items,
max_items, item_name), group (fields of GROUP_TYPES on one page), delivery (how the
result is returned: at the desk, by post, electronically) and upload (paper: words of
the required paper's name; an optional paper may be declared missing with a reason,
and `none_option` {label, statement} lets the citizen sign a statement instead).

Conditions (`show_if` of a page or of a group's field, `required_if` of a field) are one
test or a list of tests that must all hold: {"question": "<page>" or "<page>.<field>",
"equals": v | "in": [..] | "not_in": [..]} over an earlier choice.

Group fields may also say "lookup": true (a citizen ID number looked up in the
population database, with the consent a "check" field with "consent_for" gives),
"manual_for": "<lookup field>" (typed only when that lookup found nobody or could not be
made), "applicant_if": <condition> (the person is the applicant: not asked) and
"default": "applicant_address" (left empty: the applicant's address).

A group's field may have a `summary`: its shorter label on the check page ("Mẹ" for
"Số định danh của mẹ"). Every text may have an English twin under the same key + "_en"
(question_en, hint_en, label_en, ...); without it the Vietnamese is shown, marked
lang="vi".

`step` groups pages under one number of the progress ("Step 2 of 5"): pages shown
instead of each other share a step, so the count never changes with the answers.

The applicant's pages are prefilled from the e-ID, the account, the citizen's last
dossier or profile (motcua.filing.drafts.prefill_answers) unless the page says
"prefill": false.

Answers are kept as typed ("raw") in the draft, so nothing is lost when a check fails;
`answer_clean` turns a raw answer into the value the dossier stores, or into messages
keyed by the input's name.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.catalog.models import FormDefinition, Procedure
from motcua.catalog.selectors import catalog_revision_cached
from motcua.core.calendar import VN_TZ
from motcua.core.memo import Memo
from motcua.dossiers import validation
from motcua.dossiers.models import ResultDelivery

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
    "group",
    "delivery",
    "upload",
)
SUB_TYPES = ("text", "number", "date", "choice")
GROUP_TYPES = ("text", "number", "date", "choice", "citizen_id", "phone", "check", "commune")
PERSON_FIELDS = ("full_name", "birth_date", "sex", "ethnicity", "nationality")
SEXES = (("nam", "Nam"), ("nu", "Nữ"))
# How the result is returned: the dossier's choices (motcua.dossiers.models.ResultDelivery),
# worded here for the citizen (DELIVERY_LABELS).
DELIVERY_CHOICES = tuple(ResultDelivery.values)
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


def condition_tests(condition: Any) -> list[Any]:
    return condition if isinstance(condition, list) else [condition]


def _condition_errors(
    where: str, key: str, condition: Any, earlier: dict[str, dict], same_page: dict[str, dict]
) -> list[str]:
    """A condition names an earlier choice: a page, a field of an earlier group page
    ("page.field"), or an earlier field of the same group (its bare id)."""
    errors = []
    for test in condition_tests(condition):
        if not isinstance(test, dict) or not isinstance(test.get("question"), str):
            errors.append(f"{where}: {key} must name an earlier choice question")
            continue
        name = test["question"]
        page_id, _dot, field_id = name.partition(".")
        if field_id:
            target = next(
                (f for f in earlier.get(page_id, {}).get("fields", [])
                 if isinstance(f, dict) and f.get("id") == field_id), None,
            )
        else:
            target = same_page.get(name) or earlier.get(name)
        if target is None or target.get("type") != "choice":
            errors.append(f"{where}: {key} must name an earlier choice question")
            continue
        values = {o.get("value") for o in target.get("options", []) if isinstance(o, dict)}
        tested = [test["equals"]] if "equals" in test else test.get("in", test.get("not_in"))
        if not isinstance(tested, list) or not tested or not set(tested) <= values:
            errors.append(f"{where}: {key} value is not an option of that question")
    return errors


def _group_errors(where: str, page: dict, earlier: dict[str, dict]) -> list[str]:
    fields = page.get("fields")
    if not isinstance(fields, list) or not fields:
        return [f"{where}: a group needs fields"]
    errors: list[str] = []
    seen: dict[str, dict] = {}
    for sub in fields:
        if not isinstance(sub, dict) or sub.get("type") not in GROUP_TYPES:
            errors.append(f"{where}: each field is one of {', '.join(GROUP_TYPES)}")
            continue
        fid = sub.get("id")
        at = f"{where} field {fid}"
        if not isinstance(fid, str) or not _ID.match(fid):
            errors.append(f"{where}: a field id must be lowercase letters, digits and _")
        if fid in seen:
            errors.append(f"{where}: field id {fid} is used twice")
        if not _str(sub.get("label")):
            errors.append(f"{at}: needs a label")
        if sub["type"] == "choice":
            errors += _options_errors(at, sub.get("options"))
        for key in ("show_if", "required_if", "applicant_if"):
            if key in sub:
                errors += _condition_errors(at, key, sub[key], earlier, seen)
        if sub.get("lookup") and sub["type"] != "citizen_id":
            errors.append(f"{at}: only a citizen_id field can be looked up")
        if "manual_for" in sub and not seen.get(sub["manual_for"], {}).get("lookup"):
            errors.append(f"{at}: manual_for must name an earlier lookup field")
        if "consent_for" in sub and (
            sub["type"] != "check"
            or not isinstance(sub["consent_for"], list)
            or not all(seen.get(f, {}).get("lookup") for f in sub["consent_for"])
        ):
            errors.append(f"{at}: consent_for is a check field naming earlier lookup fields")
        if sub.get("default") not in (None, "applicant_address"):
            errors.append(f"{at}: default can only be applicant_address")
        if isinstance(fid, str):
            seen[fid] = sub
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
    if "step" in page and not (isinstance(page["step"], str) and _ID.match(page["step"])):
        errors.append(f"{where}: step must be lowercase letters, digits and _")
    if kind == "choice":
        errors += _options_errors(where, page.get("options"))
    if kind == "number":
        low, high = page.get("min"), page.get("max")
        if any(v is not None and not isinstance(v, int) for v in (low, high)):
            errors.append(f"{where}: min and max must be whole numbers")
        elif low is not None and high is not None and low > high:
            errors.append(f"{where}: min is above max")
    if kind == "upload":
        if not _str(page.get("paper")):
            errors.append(f"{where}: an upload names its paper")
        none = page.get("none_option")
        if none is not None and not (
            isinstance(none, dict) and _str(none.get("label")) and _str(none.get("statement"))
        ):
            errors.append(f"{where}: none_option needs a label and a statement")
    if kind == "group":
        errors += _group_errors(where, page, earlier)
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
    if page.get("show_if") is not None:
        errors += _condition_errors(where, "show_if", page["show_if"], earlier, {})
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


def _raw_of(answers: dict, name: str, page_raw: dict | None = None) -> Any:
    page_id, _dot, field_id = name.partition(".")
    if not field_id:
        if page_raw is not None and name in page_raw:
            return page_raw[name]
        return answers.get(name)
    value = answers.get(page_id)
    return value.get(field_id) if isinstance(value, dict) else None


def condition_holds(condition: Any, answers: dict, page_raw: dict | None = None) -> bool:
    """Whether every test of a condition holds for these raw answers; a bare name is a
    field of the same group (`page_raw`) or a page."""
    if condition is None:
        return True
    for test in condition_tests(condition):
        value = _raw_of(answers, test["question"], page_raw)
        if "equals" in test and value != test["equals"]:
            return False
        if "in" in test and value not in test["in"]:
            return False
        if "not_in" in test and value in test["not_in"]:
            return False
    return True


def pages_visible(definition: dict, answers: dict) -> list[dict]:
    """The pages shown for these answers (a page with show_if only when it matches)."""
    return [
        page for page in definition["pages"] if condition_holds(page.get("show_if"), answers)
    ]


def step_of(page: dict) -> str:
    return page.get("step") or page["id"]


def steps(definition: dict, *, skipped: set[str] | frozenset = frozenset()) -> list[str]:
    """The steps of the progress, in order, whatever the answers: a count that does not
    change while the citizen answers. `skipped`: pages known before the first question
    (the e-ID's identity), which do not count."""
    found: list[str] = []
    for page in definition["pages"]:
        if page["id"] not in skipped and step_of(page) not in found:
            found.append(step_of(page))
    return found


# --- answers ------------------------------------------------------------------------------


def _today() -> date:
    return timezone.localdate(timezone=VN_TZ)


_DATE_PARTS = re.compile(r"\d+")
_DATE_WORDS = re.compile(
    r"^\s*(?:ngày\s+)?(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{2,4})\s*$", re.IGNORECASE
)


def parse_date(text: str, *, today: date | None = None) -> date | None:
    """A date as people write it: 12/4/1998, 12-4-98, 12 4 1998, 12.04.1998, 12041998,
    "12 tháng 4 năm 1998", or ISO 1998-04-12. A two-digit year is the latest year ending
    so that is not in the future (98 → 1998, 25 → 2025)."""
    text = (text or "").strip()
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
        year, month, day = (int(part) for part in text.split("-"))
    else:
        words = _DATE_WORDS.match(text)
        parts = list(words.groups()) if words else _DATE_PARTS.findall(text)
        if len(parts) == 1 and len(parts[0]) in (6, 8):  # 120498, 12041998
            digits = parts[0]
            parts = [digits[:2], digits[2:4], digits[4:]]
        if len(parts) != 3 or len(parts[2]) not in (2, 4) or (
            not words and re.search(r"[^\d\s/.\-]", text)
        ):
            return None
        day, month, year = (int(part) for part in parts)
        if len(parts[2]) == 2:
            today = today or _today()
            year += 2000 if 2000 + year <= today.year else 1900
    try:
        return date(year, month, day)
    except ValueError:
        return None


_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")


def date_words(value: date | str | None) -> str:
    """A date read back in words, to confirm it ("12 tháng 4 năm 1998")."""
    if not value:
        return ""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    if translation.get_language() == "en":
        return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"
    return f"{day.day} tháng {day.month} năm {day.year}"


class Text(str):
    """A form text in the page's language; `lang` is "vi" when the English twin is
    missing, so the template marks it (WCAG 3.1.2)."""

    lang = ""


def tr(obj: dict, key: str, language: str | None = None) -> Text:
    value = obj.get(key) or ""
    if (language or translation.get_language()) == "en":
        twin = obj.get(f"{key}_en")
        if twin:
            return Text(twin)
        text = Text(value)
        text.lang = "vi" if value else ""
        return text
    return Text(value)


def localized(page: dict, language: str | None = None) -> dict:
    """A copy of a page (or group field) with its texts in the page's language."""
    language = language or translation.get_language()
    view = dict(page)
    for key in ("question", "hint", "example", "label", "summary", "item_name", "paper"):
        if key in page:
            view[key] = tr(page, key, language)
    if "options" in page:
        view["options"] = [{**o, "label": tr(o, "label", language)} for o in page["options"]]
    if "fields" in page:
        view["fields"] = [localized(sub, language) for sub in page["fields"]]
    if "none_option" in page:
        none = page["none_option"]
        view["none_option"] = {
            "label": tr(none, "label", language), "statement": tr(none, "statement", language)
        }
    return view


def raw_from_post(page: dict, post: Any) -> Any:
    """What the citizen typed on this page, as it is kept in the draft."""

    def get(name: str) -> str:
        return str(post.get(name, ""))[:1000]

    kind = page["type"]
    if kind == "address":
        return {"commune": get("commune"), "street": get("street")}
    if kind == "person":
        return {name: get(name) for name in PERSON_FIELDS}
    if kind == "group":
        return {sub["id"]: get(sub["id"]) for sub in page["fields"]}
    if kind == "delivery":
        return {"how": get("how"), "address": get("address")}
    if kind == "upload":
        return {"none": get("none"), "reason": get("reason")}
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
            return None, _("Enter a real date as day/month/year, e.g. 12/4/1998 or 12-4-98.")
        if spec.get("past_only", True) and day > _today():
            return None, _("The date cannot be in the future.")
        return day.isoformat(), None
    if kind == "choice":
        if raw not in {o["value"] for o in spec["options"]}:
            return None, _("Choose one of the answers.")
        return raw, None
    raise ValueError(kind)


def _clean_number_text(kind: str, raw: Any, required: bool) -> tuple[Any, str | None]:
    """A citizen ID number or a phone number: (value, message)."""
    text = (raw if isinstance(raw, str) else "").strip()
    if not text:
        return None, (_("Answer this question.") if required else None)
    if kind == "citizen_id":
        text = text.replace(" ", "").replace(".", "")
        error = validation.cccd_error(text)
    else:
        text = validation.normalize_phone(text)
        error = validation.phone_error(text)
    return (None, error) if error else (text, None)


class Commune(NamedTuple):
    code: str
    name: str


# The communes of the province, asked on every address question and checked with every
# answer: kept per catalog revision (unit edits move it), at most a minute.
_communes: Memo[dict[str, Commune]] = Memo(seconds=60, size=8)


def communes(province_code: str) -> dict[str, Commune]:
    """Today's communes and wards of the province by code, in the order of their names;
    shared by the threads of this process: read only."""
    from motcua.organizations.selectors import unit_list_communes

    def read() -> dict[str, Commune]:
        rows = unit_list_communes(province_code=province_code).values_list("code", "name")
        return {code: Commune(code, name) for code, name in rows}

    return _communes.get((province_code, catalog_revision_cached()), read)


def _commune(province_code: str, code: str) -> Commune | None:
    return communes(province_code).get(code.strip())


@dataclass
class AnswerContext:
    """What a page's answer may depend on beyond its own inputs: the other answers (for
    conditions), the population-database lookups of this page ({field: {"status":
    "found" | "not_found" | "unavailable", "id_number", "person"}}) and the applicant."""

    answers: dict = field(default_factory=dict)
    found: dict = field(default_factory=dict)
    applicant: dict = field(default_factory=dict)  # person values + id_number
    applicant_address: str = ""


def field_shown(sub: dict, raw: dict, context: AnswerContext) -> bool:
    """Whether a group's field is asked: its condition holds, it is not the applicant,
    and a manual field only once its lookup found nobody or could not be made."""
    answers = context.answers
    if not condition_holds(sub.get("show_if"), answers, raw):
        return False
    if sub.get("applicant_if") and condition_holds(sub["applicant_if"], answers, raw):
        return False
    if sub.get("manual_for"):
        state = context.found.get(sub["manual_for"]) or {}
        return state.get("status") in ("not_found", "unavailable")
    return True


def _lookup_value(cleaned: str, state: dict | None) -> tuple[dict, str | None]:
    if state and state.get("id_number") == cleaned and state.get("status") == "found":
        return {**state["person"], "id_number": cleaned, "source": "population"}, None
    if state and state.get("id_number") == cleaned and state.get("status") == "not_found":
        return {"id_number": cleaned, "source": "typed"}, "not_found"
    return {"id_number": cleaned, "source": "typed"}, None


def _clean_group(page: dict, raw: Any, province_code: str,
                 context: AnswerContext) -> tuple[Any, dict[str, str]]:
    raw = raw if isinstance(raw, dict) else {}
    value: dict[str, Any] = {}
    errors: dict[str, str] = {}
    not_found: list[str] = []
    for sub in page["fields"]:
        fid, kind = sub["id"], sub["type"]
        if sub.get("applicant_if") and condition_holds(sub["applicant_if"], context.answers, raw):
            value[fid] = {**context.applicant, "source": "applicant"}
            continue
        if not field_shown(sub, raw, context):
            # Not asked for this answer (born at home): the applicant's address stands.
            if sub.get("default") == "applicant_address" and context.applicant_address:
                value[fid] = context.applicant_address
            continue
        required = sub.get("required", True) and condition_holds(
            sub.get("required_if"), context.answers, raw
        )
        if "consent_for" in sub:
            required = any(str(raw.get(f, "")).strip() for f in sub["consent_for"])
        text = str(raw.get(fid, ""))
        if not text.strip() and not required and sub.get("default") == "applicant_address":
            text = context.applicant_address
        if kind in SUB_TYPES:
            cleaned, error = _clean_simple(sub, text, required)
        elif kind in ("citizen_id", "phone"):
            cleaned, error = _clean_number_text(kind, text, required)
        elif kind == "check":
            cleaned = text == "1"
            error = _("Tick the box to go on.") if required and not cleaned else None
        else:  # commune
            found = _commune(province_code, text) if text.strip() else None
            cleaned = {"code": found.code, "name": found.name} if found else None
            error = (_("Choose a commune or ward.") if (required or text.strip()) and not found
                     else None)
        if sub.get("lookup") and cleaned:
            cleaned, state = _lookup_value(cleaned, context.found.get(fid))
            if state == "not_found":
                not_found.append(fid)
        if error:
            errors[fid] = error
        value[fid] = cleaned
    for sub in page["fields"]:  # what was typed for a person the lookup did not find
        target = sub.get("manual_for")
        if target and isinstance(value.get(target), dict) and value.get(sub["id"]) is not None:
            value[target][sub.get("person_key", sub["id"])] = value[sub["id"]]
    for fid in not_found:
        if not value[fid].get("full_name") and fid not in errors:
            errors[fid] = _(
                "We found nobody with this number in the national population database. "
                "Check the 12 digits; if they are right, write the name and date of birth "
                "below."
            )
    return (None, errors) if errors else (value, {})


DELIVERY_LABELS = {
    "desk": gettext_lazy("At the one-stop desk"),
    "post": gettext_lazy("By post, to your address"),
    "electronic": gettext_lazy(
        "Electronically, in “My dossiers” (an electronic result is as valid as paper)"
    ),
}


def _clean_delivery(raw: Any, context: AnswerContext) -> tuple[Any, dict[str, str]]:
    raw = raw if isinstance(raw, dict) else {}
    how = str(raw.get("how", "")).strip()
    if how not in DELIVERY_CHOICES:
        return None, {"how": _("Choose how you want to receive the result.")}
    address = str(raw.get("address", "")).strip() if how == "post" else ""
    if how == "post" and not address:
        address = context.applicant_address
        if not address:
            return None, {"address": _("Write the address the post should bring it to.")}
    if len(address) > MAX_TEXT:
        return None, {"address": _("Write at most %(n)d characters.") % {"n": MAX_TEXT}}
    return {"how": how, "address": address}, {}


def answer_clean(
    page: dict, raw: Any, *, province_code: str, context: AnswerContext | None = None
) -> tuple[Any, dict[str, str]]:
    """(clean value, {input name: message}). Upload pages are checked by the drafts."""
    kind = page["type"]
    required = _required(page)
    context = context or AnswerContext()
    if kind in SUB_TYPES:
        value, error = _clean_simple(page, raw if isinstance(raw, str) else "", required)
        return value, ({"value": error} if error else {})
    if kind in ("citizen_id", "phone"):
        value, error = _clean_number_text(kind, raw, required)
        return value, ({"value": error} if error else {})
    if kind == "group":
        return _clean_group(page, raw, province_code, context)
    if kind == "delivery":
        return _clean_delivery(raw, context)
    if kind == "address":
        raw = raw if isinstance(raw, dict) else {}
        errors = {}
        commune = _commune(province_code, str(raw.get("commune", "")))
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
    return next((tr(o, "label") for o in options if o["value"] == value), str(value))


def _simple_text(spec: dict, value: Any) -> str:
    if value is None or value == "":
        return ""
    if spec["type"] == "date":
        return date_words(value)
    if spec["type"] == "choice":
        return _label(spec["options"], value)
    return str(value)


def person_text(person: dict) -> str:
    """A person in one line: name, date of birth, ID number, where the data came from."""
    parts = [person.get("full_name") or ""]
    if person.get("birth_date"):
        parts.append(_("born %(date)s") % {"date": date_words(person["birth_date"])})
    if person.get("ethnicity"):
        parts.append(str(person["ethnicity"]))
    if person.get("id_number"):
        parts.append(_("ID number %(n)s") % {"n": person["id_number"]})
    text = ", ".join(p for p in parts if p)
    if person.get("source") == "population":
        text += " " + _("(from the national population database)")
    return text


def _field_text(sub: dict, value: Any) -> str:
    if value is None or value == "" or value is False:
        return ""
    if isinstance(value, dict):
        return value.get("name", "") if sub["type"] == "commune" else person_text(value)
    if sub["type"] == "check":
        return str(_("Yes"))
    return _simple_text(sub, value)


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
    if kind == "group":
        return [
            f"{tr(sub, 'summary') or tr(sub, 'label')}: {text}"
            for sub in page["fields"]
            if "consent_for" not in sub and not sub.get("manual_for")
            and (text := _field_text(sub, value.get(sub["id"])))
        ]
    if kind == "upload":  # files are listed by the caller; this is a missing paper
        if not isinstance(value, dict):
            return []
        none = page.get("none_option")
        if value.get("statement"):
            return [str(tr(none, "label")) if none else "", value["statement"]]
        return [str(_("I do not have this paper")), value.get("reason", "")]
    if kind == "delivery":
        how = str(DELIVERY_LABELS.get(value.get("how"), ""))
        return [how, value["address"]] if value.get("address") else [how]
    if kind == "repeat":
        return [
            "; ".join(
                f"{tr(sub, 'label')}: {_simple_text(sub, item.get(sub['id']))}"
                for sub in page["fields"]
                if item.get(sub["id"]) not in (None, "")
            )
            for item in value
        ]
    return [_simple_text(page, value)]
