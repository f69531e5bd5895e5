import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from motcua.organizations.models import AdministrativeUnit, UnitLevel, UnitSuccession
from motcua.organizations.selectors import unit_current_successors, unit_list_communes
from motcua.organizations.services import (
    UnitFileError,
    units_import_current,
    units_import_history,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    # Messages are asserted in their English source form.
    with translation.override("en"):
        yield


def former(name: str) -> AdministrativeUnit:
    return AdministrativeUnit.objects.get(name=name, valid_to__isnull=False)


def test_lao_cai_has_99_current_communes_and_wards():
    units_import_current(province_codes=["15"])
    communes = unit_list_communes(province_code="15")
    assert communes.count() == 99
    assert communes.filter(type="phuong").exists() and communes.filter(type="xa").exists()
    province = AdministrativeUnit.objects.get(level=UnitLevel.PROVINCE, valid_to__isnull=True)
    assert (province.code, province.name) == ("15", "Tỉnh Lào Cai")
    assert communes.get(code="02647").name == "Phường Lào Cai"


def test_former_units_map_to_todays_units():
    units_import_current(province_codes=["15"])
    units_import_history()
    assert [u.name for u in unit_current_successors(unit=former("Phường Cốc Lếu"))] == [
        "Phường Lào Cai"
    ]
    assert [u.name for u in unit_current_successors(unit=former("Thị trấn Bát Xát"))] == [
        "Xã Bát Xát"
    ]
    # Both former provinces were merged into today's Lào Cai.
    for name in ("Tỉnh Lào Cai", "Tỉnh Yên Bái"):
        assert [u.code for u in unit_current_successors(unit=former(name))] == ["15"]
    cocleu = former("Phường Cốc Lếu")
    assert cocleu.parent.name == "Thành phố Lào Cai"
    assert cocleu.parent.parent.name == "Tỉnh Lào Cai" and cocleu.parent.parent.valid_to


def test_import_is_idempotent():
    call_command("import_units", verbosity=0)
    counts = (AdministrativeUnit.objects.count(), UnitSuccession.objects.count())
    call_command("import_units", verbosity=0)
    assert (AdministrativeUnit.objects.count(), UnitSuccession.objects.count()) == counts


def test_a_unit_still_existing_is_its_own_successor():
    units_import_current(province_codes=["15"])
    ward = AdministrativeUnit.objects.get(code="02647", valid_to__isnull=True)
    assert unit_current_successors(unit=ward) == [ward]


def test_malformed_history_file_names_entry_and_field_and_imports_nothing(tmp_path):
    units_import_current(province_codes=["15"])
    before = AdministrativeUnit.objects.count()
    bad = {
        "valid_to": "2025-06-30",
        "provinces": [{"code": "10", "name": "Tỉnh Lào Cai", "type": "tinh", "successors": []}],
        "districts": [
            {"code": "080", "name": "Thành phố Lào Cai", "type": "thanh_pho", "province_code": "10"}
        ],
        "communes": [
            {
                "code": "02644",
                "name": "Phường Cốc Lếu",
                "type": "phuong",
                "district_code": "080",
                "successors": [{"code": "02647"}],
            },
            {"code": "2683", "name": "", "type": "hamlet", "district_code": "999"},
        ],
    }
    path = tmp_path / "units.json"
    path.write_text(json.dumps(bad, ensure_ascii=False))
    with pytest.raises(UnitFileError) as exc:
        units_import_history(path=path)
    text = "\n".join(exc.value.errors)
    assert "communes entry 2 (code 2683), field 'code'" in text
    assert "communes entry 2 (code 2683), field 'name'" in text
    assert "field 'type'" in text and "field 'district_code'" in text
    assert AdministrativeUnit.objects.count() == before


def test_unknown_successor_imports_nothing(tmp_path):
    units_import_current(province_codes=["15"])
    before = AdministrativeUnit.objects.count()
    data = {
        "valid_to": "2025-06-30",
        "provinces": [
            {"code": "10", "name": "Tỉnh Lào Cai", "type": "tinh", "successors": [{"code": "99"}]}
        ],
        "districts": [],
        "communes": [],
    }
    path = tmp_path / "units.json"
    path.write_text(json.dumps(data))
    with pytest.raises(CommandError, match="no current unit has code 99"):
        call_command("import_units", "--history", str(path), verbosity=0)
    assert AdministrativeUnit.objects.count() == before


def test_unreadable_file_is_a_clear_error(tmp_path):
    path = tmp_path / "units.json"
    path.write_text("{not json")
    with pytest.raises(CommandError, match="Nothing imported"):
        call_command("import_units", "--history", str(path), verbosity=0)
    with pytest.raises(CommandError, match="Unknown province code: 77"):
        call_command("import_units", "--province", "77", verbosity=0)
