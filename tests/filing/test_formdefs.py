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
    ids = [p["id"] for p in formdefs.pages_visible(data, {"co_cha": "khong"})]
    assert "cha" not in ids
    assert "cha" in [p["id"] for p in formdefs.pages_visible(data, {"co_cha": "co"})]
