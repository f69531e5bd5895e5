"""Successors of the 319 former communes of Lào Cai and Yên Bái (VietMap's mapping)."""

import csv
import json
import unicodedata

import pytest
from vietnam_provinces import Ward

from motcua.organizations.data import build_successions
from motcua.organizations.models import AdministrativeUnit, UnitLevel, UnitSuccession
from motcua.organizations.selectors import unit_current_successors
from motcua.organizations.services import units_import_current, units_import_history

DATA = build_successions.HERE
HEADER = "old_province,old_district,old_unit,new_province,new_unit\n"


@pytest.fixture
def imported():
    units_import_current(province_codes=["15"])
    units_import_history()


def former_commune(name: str, district: str) -> AdministrativeUnit:
    return AdministrativeUnit.objects.get(
        level=UnitLevel.COMMUNE, name=name, parent__name=district, valid_to__isnull=False
    )


def successor_names(unit: AdministrativeUnit) -> list[str]:
    return [u.name for u in unit_current_successors(unit=unit)]


def test_the_package_has_99_units_in_todays_lao_cai():
    assert len(list(Ward.iter_by_province(15))) == 99


@pytest.mark.django_db
def test_every_former_commune_has_one_current_successor_in_lao_cai(imported):
    former = AdministrativeUnit.objects.filter(level=UnitLevel.COMMUNE, valid_to__isnull=False)
    assert former.count() == 319
    current = AdministrativeUnit.objects.filter(
        level=UnitLevel.COMMUNE, valid_to__isnull=True, parent__code="15"
    )
    assert current.count() == 99
    successors = set()
    for unit in former:
        links = list(UnitSuccession.objects.filter(predecessor=unit))
        assert len(links) == 1, unit.name
        successor = links[0].successor
        assert successor.valid_to is None and successor.parent.code == "15", unit.name
        successors.add(successor.pk)
    # Every unit of today's province took over at least one former commune.
    assert successors == set(current.values_list("pk", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("old", "district", "new"),
    [
        ("Phường Cốc Lếu", "Thành phố Lào Cai", "Phường Lào Cai"),
        ("Phường Bắc Cường", "Thành phố Lào Cai", "Phường Cam Đường"),
        ("Thị trấn Bát Xát", "Huyện Bát Xát", "Xã Bát Xát"),
        ("Phường Nguyễn Thái Học", "Thành phố Yên Bái", "Phường Yên Bái"),
        ("Xã Động Quan", "Huyện Lục Yên", "Xã Khánh Hòa"),
        # Two names spelt differently in the CSV (see OLD_UNIT_ALIASES).
        ("Xã Khánh Hoà", "Huyện Lục Yên", "Xã Khánh Hòa"),
        ("Thị trấn NT Trần Phú", "Huyện Văn Chấn", "Xã Thượng Bằng La"),
    ],
)
def test_spot_checks_against_the_csv(imported, old, district, new):
    assert successor_names(former_commune(old, district)) == [new]


@pytest.mark.django_db
def test_each_former_unit_of_lao_cai_city_maps_to_one_current_unit(imported):
    rows = {
        row["old_unit"].casefold(): row["new_unit"]
        for row in csv.DictReader((DATA / "units_2025_lao_cai.csv").open(encoding="utf-8"))
        if row["old_district"] == "Thành Phố Lào Cai"
    }
    units = AdministrativeUnit.objects.filter(parent__code="080", valid_to__isnull=False)
    assert units.filter(type="phuong").count() == 10 and units.count() == 17
    for unit in units:
        successors = unit_current_successors(unit=unit)
        assert len(successors) == 1, unit.name
        expected = rows[unit.name.casefold().replace("hoà", "hòa")]
        assert successors[0].name == expected, unit.name


def test_the_bundled_json_is_what_the_script_builds(tmp_path, capsys):
    output = tmp_path / "out.json"
    assert build_successions.main(["--output", str(output)]) == 0
    assert "0 unmatched" in capsys.readouterr().out
    assert output.read_text(encoding="utf-8") == (DATA / "pre_2025_units.json").read_text(
        encoding="utf-8"
    )


def small_json(tmp_path, successors=None):
    data = {
        "source": "test",
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
                "successors": successors or [],
            },
            {
                "code": "02668",
                "name": "Phường Bắc Cường",
                "type": "phuong",
                "district_code": "080",
                "successors": [],
            },
        ],
    }
    path = tmp_path / "units.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_misspelt_unit_is_reported_and_nothing_is_written(tmp_path, capsys):
    units = small_json(tmp_path)
    mapping = tmp_path / "mapping.csv"
    mapping.write_text(
        HEADER + "Tỉnh Lào Cai,Thành Phố Lào Cai,Phường Cốc Lều,Tỉnh Lào Cai,Phường Lào Cai\n"
        # NFD, other case and extra spaces still match exactly after normalising.
        "Tỉnh Lào Cai,THÀNH PHỐ  LÀO CAI,Phường Bắc Cường,Tỉnh Lào Cai,Phường Cam Đường\n",
        encoding="utf-8",
    )
    mapping.write_text(
        unicodedata.normalize("NFD", mapping.read_text(encoding="utf-8")), encoding="utf-8"
    )
    output = tmp_path / "out.json"
    args = ["--csv", str(mapping), "--json", str(units), "--output", str(output)]
    assert build_successions.main(args) == 1
    report = capsys.readouterr().out
    assert "CSV line 2" in report and "no former commune named 'Phường Cốc Lều'" in report
    assert "02644 Phường Cốc Lếu (district 080) is named by no CSV row" in report
    assert "Bắc Cường" not in report.split("Mapped")[0]
    assert not output.exists()

    # Allowed: the matched unit gets its successor, the other keeps what it had (none).
    assert build_successions.main([*args, "--allow-unmatched"]) == 0
    communes = json.loads(output.read_text(encoding="utf-8"))["communes"]
    assert communes[0]["successors"] == []
    assert communes[1]["successors"] == [
        {
            "code": "02674",
            "source": "VietMap admin_mapping_old_to_new_10_25 (October 2025): "
            "Phường Bắc Cường, THÀNH PHỐ LÀO CAI → Phường Cam Đường",
        }
    ]


def test_unknown_new_unit_is_reported(tmp_path, capsys):
    units = small_json(tmp_path)
    mapping = tmp_path / "mapping.csv"
    mapping.write_text(
        HEADER + "Tỉnh Lào Cai,Thành Phố Lào Cai,Phường Cốc Lếu,Tỉnh Lào Cai,Phường Lao Cai\n"
        "Tỉnh Lào Cai,Thành Phố Lào Cai,Phường Bắc Cường,Tỉnh Lào Cai,Phường Cam Đường\n",
        encoding="utf-8",
    )
    args = ["--csv", str(mapping), "--json", str(units), "--output", str(tmp_path / "o.json")]
    assert build_successions.main(args) == 1
    report = capsys.readouterr().out
    assert "0 current units of Lào Cai named 'Phường Lao Cai'" in report
    assert "named by no CSV row" not in report


def test_an_existing_successor_that_disagrees_is_replaced_and_reported(tmp_path, capsys):
    kept = {"code": "02647", "source": "hand-written"}
    units = small_json(tmp_path, successors=[{"code": "02674", "source": "wrong"}])
    mapping = tmp_path / "mapping.csv"
    mapping.write_text(
        HEADER + "Tỉnh Lào Cai,Thành Phố Lào Cai,Phường Cốc Lếu,Tỉnh Lào Cai,Phường Lào Cai\n"
        "Tỉnh Lào Cai,Thành Phố Lào Cai,Phường Bắc Cường,Tỉnh Lào Cai,Phường Cam Đường\n",
        encoding="utf-8",
    )
    output = tmp_path / "out.json"
    args = ["--csv", str(mapping), "--json", str(units), "--output", str(output)]
    assert build_successions.main(args) == 0
    report = capsys.readouterr().out
    assert "02644 Phường Cốc Lếu: had 02674, CSV says 02647 Phường Lào Cai" in report
    first = json.loads(output.read_text(encoding="utf-8"))["communes"][0]
    assert [s["code"] for s in first["successors"]] == ["02647"]
    assert first["successors"][0]["source"].startswith("VietMap")

    # An entry that agrees is kept as written.
    units = small_json(tmp_path, successors=[kept])
    assert build_successions.main(args) == 0
    assert "Disagreements" not in capsys.readouterr().out
    assert json.loads(output.read_text(encoding="utf-8"))["communes"][0]["successors"] == [kept]
