import json

import pytest

from motcua.catalog import formdefs
from motcua.catalog.models import FormDefinition, Procedure

from .conftest import FORMS_DIR


@pytest.mark.parametrize("path", sorted(FORMS_DIR.glob("*.json")), ids=lambda p: p.name)
def test_every_shipped_definition_validates(path):
    data = json.loads(path.read_text(encoding="utf-8"))
    assert formdefs.definition_errors(data) == []
    assert data["demo"] is True  # the questions were written for the demo


def test_five_procedures_have_forms():
    codes = {json.loads(p.read_text())["procedure"] for p in FORMS_DIR.glob("*.json")}
    assert codes == {"1.001193", "1.000894", "2.000815", "1.004222", "9.900011"}


def test_upload_questions_name_papers_of_the_demo_catalog(demo):
    for path in FORMS_DIR.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        version = Procedure.objects.get(code=data["procedure"]).current
        names = [p.name.casefold() for p in version.papers.all()]
        for page in data["pages"]:
            if page["type"] == "upload" and names:
                assert any(page["paper"].casefold() in n for n in names), page["id"]


def test_schema_errors_are_named():
    bad = {
        "procedure": "1.0", "title": "x", "applicant": {"name": "a"},
        "pages": [
            {"id": "a", "type": "text", "question": "?"},
            {"id": "a", "type": "choice", "question": "?", "options": [{"value": "x"}]},
            {"id": "c", "type": "magic", "question": "?"},
            {"id": "d", "type": "text", "question": "?",
             "show_if": {"question": "a", "equals": "y"}},
        ],
    }
    errors = formdefs.definition_errors(bad)
    assert any("used twice" in e for e in errors)
    assert any("at least 2 options" in e for e in errors)
    assert any("unknown type" in e for e in errors)
    assert any("show_if" in e for e in errors)


def test_loader_is_idempotent_and_versions_changes(demo, tmp_path):
    assert FormDefinition.objects.filter(procedure__code="1.001193").count() == 1
    report = formdefs.form_definitions_load(directory=FORMS_DIR)
    assert report.created == [] and len(report.unchanged) == 5
    data = json.loads((FORMS_DIR / "1.001193_dang_ky_khai_sinh.json").read_text())
    data["intro"] = "Khác"
    (tmp_path / "f.json").write_text(json.dumps(data, ensure_ascii=False))
    assert formdefs.form_definitions_load(directory=tmp_path).created == ["1.001193"]
    latest = formdefs.form_definition_latest(procedure=Procedure.objects.get(code="1.001193"))
    assert latest.number == 2 and latest.definition["intro"] == "Khác"


def test_invalid_file_is_refused(tmp_path):
    (tmp_path / "bad.json").write_text('{"procedure": "1"}')
    with pytest.raises(formdefs.FormDefinitionError, match=r"bad\.json"):
        formdefs.form_definitions_load(directory=tmp_path)


def test_conditions_show_pages():
    data = json.loads((FORMS_DIR / "1.001193_dang_ky_khai_sinh.json").read_text())

    def shown(noi_sinh: str) -> list[str]:
        return [p["id"] for p in formdefs.pages_visible(data, {"tre": {"noi_sinh": noi_sinh}})]

    assert "giay_chung_sinh" in shown("co_so_y_te") and "lam_chung" not in shown("co_so_y_te")
    assert "lam_chung" in shown("o_nha") and "giay_chung_sinh" not in shown("o_nha")


def test_group_schema_errors_are_named():
    bad = {
        "procedure": "1.0", "title": "x", "applicant": {"name": "a"},
        "pages": [
            {"id": "a", "type": "text", "question": "?"},
            {"id": "g", "type": "group", "question": "?", "fields": [
                {"id": "x", "type": "text", "label": "X", "lookup": True},
                {"id": "y", "type": "check", "label": "Y", "consent_for": ["z"]},
                {"id": "z", "type": "text", "label": "Z", "show_if": {"question": "a.b",
                                                                      "equals": "1"}},
                {"id": "w", "type": "magic", "label": "W"},
            ]},
            {"id": "u", "type": "upload", "question": "?", "paper": "P", "none_option": {}},
        ],
    }
    errors = formdefs.definition_errors(bad)
    assert any("only a citizen_id field can be looked up" in e for e in errors)
    assert any("consent_for" in e for e in errors)
    assert any("show_if must name an earlier choice" in e for e in errors)
    assert any("each field is one of" in e for e in errors)
    assert any("none_option needs a label and a statement" in e for e in errors)


def test_steps_do_not_change_with_the_answers():
    """The progress counts steps of the definition, not the pages an answer shows: the
    birth certificate and the witness's note are one step, so "Step 8 of 9" either way."""
    data = json.loads((FORMS_DIR / "1.001193_dang_ky_khai_sinh.json").read_text())
    assert len(formdefs.steps(data)) == 9
    pages = {p["id"]: p for p in data["pages"]}
    assert formdefs.step_of(pages["giay_chung_sinh"]) == formdefs.step_of(pages["lam_chung"])
    known = {"nguoi_khai", "cccd_nguoi_khai", "dien_thoai", "noi_o"}  # from VNeID
    assert formdefs.steps(data, skipped=known) == [
        "quan_he", "tre", "cha_me", "giay_to", "nhan_ket_qua"
    ]


@pytest.mark.parametrize("typed", [
    "12-4-98", "12/4/1998", "12 4 1998", "12.04.1998", "12/04/98", "12041998",
    "12 tháng 4 năm 1998", "1998-04-12", " 12 - 4 - 1998 ",
])
def test_dates_are_taken_as_people_write_them(typed):
    from datetime import date

    assert formdefs.parse_date(typed, today=date(2026, 12, 7)) == date(1998, 4, 12)


@pytest.mark.parametrize("typed", ["31/2/2020", "12/4", "abc", "12-4-98x", "1/13/2020", ""])
def test_impossible_dates_are_refused(typed):
    assert formdefs.parse_date(typed) is None


def test_two_digit_years_are_never_in_the_future():
    from datetime import date

    today = date(2026, 12, 7)
    assert formdefs.parse_date("3/11/26", today=today) == date(2026, 11, 3)
    assert formdefs.parse_date("3/11/27", today=today) == date(1927, 11, 3)


def test_dates_are_read_back_in_words():
    from django.utils import translation

    with translation.override("vi"):
        assert formdefs.date_words("1998-04-12") == "12 tháng 4 năm 1998"
    with translation.override("en"):
        assert formdefs.date_words("1998-04-12") == "12 April 1998"


@pytest.mark.parametrize("path", sorted(FORMS_DIR.glob("*.json")), ids=lambda p: p.name)
def test_every_typed_question_has_a_plain_example(path):
    """What to type is shown, not described (dates and choices carry their own)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    for page in data["pages"]:
        asked = page.get("fields", []) if page["type"] == "group" else (
            [] if page["type"] == "repeat" else [page])
        for question in asked:
            if question["type"] in ("text", "number", "citizen_id", "phone"):
                words = question.get("hint", "") + question.get("label", "")
                assert question.get("example") or "Ví dụ" in words, (page["id"], question["id"])
