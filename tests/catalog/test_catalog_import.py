"""catalog_import: the sample, idempotence, new versions, malformed files, the demo catalog."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from motcua.catalog.models import (
    FeeItem,
    Procedure,
    ProcedureVersion,
    RequiredPaper,
    Sector,
    VersionState,
)
from motcua.catalog.selectors import catalog_revision
from motcua.catalog.services import (
    DEMO_FIELD_NAMES,
    CatalogFileError,
    catalog_import,
    display_name,
)

pytestmark = pytest.mark.django_db

DEMO_SOURCE = "Dữ liệu minh họa (demo) của motcua"
UNPARSED = {  # sample codes whose texts the importer must report
    "2.000908": "Agency:",
    "2.000815": "not in Vietnamese đồng",
    "2.000884": "not in Vietnamese đồng",
    "1.004194": "gives several amounts",
    "1.002755": "gives several amounts",
    "2.001159": "no duration found",
    "2.000200": "no amount found",
    "2.001194": "no amount found",
    "1.001456": "gives several amounts",
    "1.000466": "different times for different cases",
}


def current(code: str) -> ProcedureVersion:
    return Procedure.objects.select_related("current__sector").get(code=code).current


def fees(version: ProcedureVersion) -> list[tuple[Any, ...]]:
    return list(version.fees.values_list("kind", "amount_vnd", "from_quantity", "max_vnd",
                                         "channel"))


def test_sample_imports_every_entry(sample_entries) -> None:
    report = catalog_import(entries=sample_entries, source_name="catalog_sample.json",
                            valid_from=date(2026, 1, 5))
    assert (report.created, report.updated, report.unchanged) == (42, 0, 0)
    assert Procedure.objects.count() == 42
    assert not Procedure.objects.filter(current__isnull=True).exists()
    assert set(ProcedureVersion.objects.values_list("state", "number", "valid_from")) == {
        (VersionState.PUBLISHED, 1, date(2026, 1, 5))
    }
    assert catalog_revision() == 1  # bumped once for the whole file
    assert set(report.problems) == set(UNPARSED)
    for code, words in UNPARSED.items():
        assert any(words in p for p in report.problems[code]), report.problems[code]
        assert current(code).import_problems == report.problems[code]


def test_sample_parsed_values(sample_entries) -> None:
    catalog_import(entries=sample_entries, source_name="catalog_sample.json")

    birth = current("1.001193")
    assert birth.name == "Đăng ký khai sinh"  # "Thủ tục " dropped
    assert birth.sector.name == "Hộ tịch"
    assert (birth.levels, birth.duration_kind, birth.fee_status, birth.online_level) == (
        [], "", "unknown", "unknown"
    )
    assert birth.notes.startswith("Giấy tờ 'Căn cước'")
    assert birth.demo_fields == [] and birth.import_problems == []

    copy = current("2.000815")
    assert (copy.duration_kind, copy.duration_amount) == ("same_day", None)
    assert copy.duration_notes == ("kéo dài thêm không quá 02 (hai) ngày làm việc hoặc có thể "
                                   "dài hơn theo thỏa thuận bằng văn bản")
    assert copy.levels == ["province", "commune"]
    assert copy.competent_agency_types == ["ubnd_xa", "cong_chung"]
    assert copy.fee_status == "charged"
    assert fees(copy) == [("per_page", 2000, None, 200000, "any"),
                          ("per_page", 1000, 3, 200000, "any")]
    assert copy.online_level == "partial"
    assert copy.province == "Đồng Nai"
    assert copy.fee_text.startswith("Tại Ủy ban nhân dân cấp xã")  # published text kept

    deal = current("2.001035")
    assert (deal.duration_kind, deal.duration_amount) == ("working_days", 2)
    assert fees(deal) == [("per_transaction", 50000, None, None, "any")]

    absence = current("1.003677")
    assert (absence.duration_kind, absence.duration_amount) == ("calendar_days", 1)
    assert absence.fee_status == "unknown" and not absence.fees.exists()

    signature = current("2.000884")
    assert signature.name.startswith("Chứng thực chữ ký trong các giấy tờ, văn bản (áp dụng")
    assert signature.online_level == "offline"
    assert fees(signature) == [("per_case", 10000, None, None, "any")]

    assert current("2.000908").fee_status == "free"
    assert current("2.001955").online_level == "full"
    assert current("2.001955").competent_agency_types == ["so_nganh"]
    assert current("1.000466").levels == ["central"]
    assert current("1.000466").duration_kind == ""

    residence = current("1.004222")
    assert fees(residence) == [
        ("fixed", 20000, None, None, "in_person"), ("exemption", None, None, None, "in_person"),
        ("fixed", 10000, None, None, "online"), ("exemption", None, None, None, "online"),
    ]
    assert list(residence.papers.values_list("position", "form")) == [
        (0, "unspecified"), (1, "unspecified"), (2, "unspecified")
    ]
    assert residence.papers.first().name.startswith("Tờ khai thay đổi thông tin cư trú")


def test_reimport_is_a_no_op(sample_entries) -> None:
    catalog_import(entries=sample_entries, source_name="catalog_sample.json")
    counts = (ProcedureVersion.objects.count(), FeeItem.objects.count(),
              RequiredPaper.objects.count())
    report = catalog_import(entries=sample_entries, source_name="catalog_sample.json")
    assert (report.created, report.updated, report.unchanged) == (0, 0, 42)
    assert set(report.problems) == set(UNPARSED)  # still reported
    assert (ProcedureVersion.objects.count(), FeeItem.objects.count(),
            RequiredPaper.objects.count()) == counts
    assert catalog_revision() == 1  # nothing written, nothing bumped


def test_changed_entry_makes_version_2_and_retires_version_1(sample_entries) -> None:
    catalog_import(entries=sample_entries, source_name="a.json", valid_from=date(2026, 1, 1))
    changed = next(e for e in sample_entries if e["code"] == "2.001035")
    changed["fee"] = "60.000 đồng/ giao dịch"
    report = catalog_import(entries=sample_entries, source_name="b.json",
                            valid_from=date(2026, 3, 1))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 41)
    versions = {v.number: v for v in Procedure.objects.get(code="2.001035").versions.all()}
    assert set(versions) == {1, 2}
    assert (versions[1].state, versions[1].valid_from, versions[1].valid_to) == (
        "retired", date(2026, 1, 1), date(2026, 3, 1)
    )
    assert (versions[2].state, versions[2].valid_from, versions[2].valid_to) == (
        "published", date(2026, 3, 1), None
    )
    assert current("2.001035") == versions[2]
    assert fees(versions[2]) == [("per_transaction", 60000, None, None, "any")]
    assert fees(versions[1]) == [("per_transaction", 50000, None, None, "any")]  # history kept
    assert catalog_revision() == 2
    # Only that procedure moved.
    assert ProcedureVersion.objects.count() == 43


def test_backdated_change_is_refused_and_rolled_back(sample_entries) -> None:
    catalog_import(entries=sample_entries, source_name="a.json", valid_from=date(2026, 3, 1))
    sample_entries[0]["notes"] = "changed"
    sample_entries[1]["notes"] = "changed too"
    with pytest.raises(CatalogFileError) as caught:
        catalog_import(entries=sample_entries, source_name="b.json",
                       valid_from=date(2026, 1, 1))
    assert caught.value.errors == [
        "procedure 2.000908: the version in force starts on 2026-03-01, after the requested "
        "start 2026-01-01",
        "procedure 2.000815: the version in force starts on 2026-03-01, after the requested "
        "start 2026-01-01",
    ]
    assert ProcedureVersion.objects.count() == 42 and catalog_revision() == 1
    # Unchanged entries do not care about the date.
    sample_entries[0]["notes"] = sample_entries[1]["notes"] = None
    assert catalog_import(entries=sample_entries, source_name="a.json",
                          valid_from=date(2026, 1, 1)).unchanged == 42


def test_whitespace_and_unicode_form_do_not_make_a_new_version(sample_entries) -> None:
    import unicodedata

    catalog_import(entries=sample_entries, source_name="a.json")
    for entry in sample_entries:
        entry["name"] = "  " + unicodedata.normalize("NFD", entry["name"]) + " "
    report = catalog_import(entries=sample_entries, source_name="a.json")
    assert report.unchanged == 42


def assert_nothing_imported() -> None:
    assert (Procedure.objects.count(), ProcedureVersion.objects.count(), Sector.objects.count(),
            FeeItem.objects.count(), RequiredPaper.objects.count()) == (0, 0, 0, 0, 0)
    assert catalog_revision() == 0


def test_malformed_file_names_entry_and_field_and_imports_nothing(sample_entries) -> None:
    entries = sample_entries[:6]
    entries[1]["code"] = "1.1193"
    del entries[2]["name"]
    entries[3]["field"] = "  "
    entries[3]["fee"] = 50000
    entries[4]["documents"] = ["Tờ khai", 7]
    entries[4]["fees"] = "typo of fee"
    entries[5]["code"] = entries[0]["code"]
    entries[5]["full_process_online"] = "yes"
    entries[0]["duration"] = "3 ngày làm việc"  # while processing_time is published
    entries[0]["demo_fields"] = ["fee", "colour"]

    with pytest.raises(CatalogFileError) as caught:
        catalog_import(entries=entries, source_name="bad.json")
    errors = caught.value.errors
    assert "entry 2 (code 1.1193), field 'code': '1.1193' is not a national procedure code " \
           "like 1.001193" in errors
    assert "entry 3 (code 2.000884), field 'name': missing" in errors
    assert "entry 4 (code 2.000992), field 'field': must be a non-empty text" in errors
    assert "entry 4 (code 2.000992), field 'fee': must be a text or null, not int" in errors
    assert "entry 5 (code 2.001008), field 'fees': unknown field" in errors
    assert any(e.startswith("entry 5 (code 2.001008), field 'documents': paper 2:")
               for e in errors)
    assert "entry 6 (code 2.000908), field 'code': duplicate of entry 1" in errors
    assert "entry 6 (code 2.000908), field 'full_process_online': must be true, false or " \
           "null" in errors
    assert any(e.startswith("entry 1 (code 2.000908), field 'duration': only allowed")
               for e in errors)
    assert "entry 1 (code 2.000908), field 'demo_fields': 'colour' cannot be marked as demo " \
           "data" in errors
    assert len(errors) == 10
    assert "nothing was imported" in str(caught.value)
    assert_nothing_imported()


@pytest.mark.parametrize(("entries", "words"), [
    ({"code": "1.001193"}, "list of procedures"),
    ([], "no procedures"),
    (["1.001193"], "entry 1 (code ?), field '-': expected an object, got str"),
    ([{"code": 1001193, "name": "X", "field": "Y"}],
     "entry 1 (code ?), field 'code': must be a non-empty text"),
    ([{"code": "1.001193", "name": "X", "field": "Y", "duration": "ba ngày"}],
     "field 'duration': 'ba ngày' is not a duration"),
    ([{"code": "1.001193", "name": "X", "field": "Y", "documents": [{"name": "A",
                                                                      "form": "photo"}]}],
     "paper form 'photo' is not one of"),
    ([{"code": "1.001193", "name": "X", "field": "Y", "demo_fields": ["fee"]}],
     "lists 'fee', which has no value"),
    ([{"code": "1.001193", "name": "X" * 1001, "field": "Y"}], "longer than 1000"),
])
def test_malformed_shapes(entries: Any, words: str) -> None:
    with pytest.raises(CatalogFileError) as caught:
        catalog_import(entries=entries, source_name="bad.json")
    assert any(words in e for e in caught.value.errors), caught.value.errors
    assert_nothing_imported()


def test_minimal_entry_and_paper_objects() -> None:
    report = catalog_import(entries=[{
        "code": "9.900999", "name": "thủ tục thử", "field": "Thử nghiệm",
        "duration": "4 giờ làm việc", "online_payment": True,
        "documents": ["Đơn (bản chính)", {"name": "Sổ đỏ", "form": "original", "count": 1,
                                            "reusable": True}],
        "demo_fields": ["duration", "documents", "online_payment"],
    }], source_name="x.json")
    assert report.created == 1 and report.problems == {}
    version = current("9.900999")
    assert version.name == "Thử"
    assert (version.duration_kind, version.duration_amount) == ("working_hours", 4)
    assert version.processing_time_text == ""
    assert version.online_payment is True and version.boundary_independent is False
    assert version.demo_fields == ["duration", "online_payment", "papers"]
    assert list(version.papers.values_list("name", "form", "count", "reusable")) == [
        ("Đơn", "original", None, False), ("Sổ đỏ", "original", 1, True)
    ]


@pytest.mark.parametrize(("name", "expected"), [
    ("Thủ tục đăng ký khai sinh", "Đăng ký khai sinh"),
    ("THỦ TỤC đăng ký kết hôn", "Đăng ký kết hôn"),
    ("đăng ký tạm trú", "Đăng ký tạm trú"),
    ("Cấp Giấy phép xây dựng", "Cấp Giấy phép xây dựng"),
    ("Thủ tục", "Thủ tục"),
])
def test_display_name(name: str, expected: str) -> None:
    assert display_name(name) == expected


# --- the Lào Cai demo catalog -----------------------------------------------------------


def test_demo_file_keeps_sample_values_and_marks_every_demo_value(
    demo_entries, sample_by_code
) -> None:
    codes = [e["code"] for e in demo_entries]
    assert len(codes) == len(set(codes))
    for entry in demo_entries:
        demo = set(entry["demo_fields"])
        assert demo <= set(DEMO_FIELD_NAMES), entry["code"]
        if entry["code"] in sample_by_code:
            sample = sample_by_code[entry["code"]]
            # the sample's own values untouched; every added value is a marked demo value
            assert all(entry[key] == value for key, value in sample.items()
                       if value is not None), entry["code"]
            assert {k for k, v in entry.items() if sample.get(k) is None and v is not None
                    and k != "demo_fields"} == demo, entry["code"]
        else:
            assert entry["source"] == DEMO_SOURCE
            assert entry["province"] == "Lào Cai"
            assert entry["code"].startswith("9.9")  # not a real national code
            # wholly invented: every value but the source is demo
            assert demo == {k for k, v in entry.items()
                            if v is not None and k not in ("source", "demo_fields")}


def test_demo_catalog_loads_over_the_sample(sample_entries, demo_entries) -> None:
    catalog_import(entries=sample_entries, source_name="catalog_sample.json")
    report = catalog_import(entries=demo_entries, source_name="lao_cai_demo.json")
    repeated = sum(1 for e in demo_entries if e["source"] != DEMO_SOURCE)
    assert (report.created, report.updated) == (len(demo_entries) - repeated, repeated)
    # No problem in what the demo invented: its texts are written to be read.
    invented = {e["code"] for e in demo_entries if e["source"] == DEMO_SOURCE}
    assert not invented & set(report.problems)

    published = Procedure.objects.filter(current__state=VersionState.PUBLISHED)
    assert published.count() >= 40
    by_field = {
        name: published.filter(current__sector__name=name).count()
        for name in ("Đất đai", "Thành lập và hoạt động của hộ kinh doanh", "Lý lịch tư pháp",
                     "Hộ tịch")
    }
    assert by_field["Đất đai"] >= 4
    assert by_field["Thành lập và hoạt động của hộ kinh doanh"] >= 4
    assert by_field["Lý lịch tư pháp"] >= 2
    names = set(published.values_list("current__name", flat=True))
    assert {"Đăng ký khai tử", "Đăng ký lại khai sinh", "Cấp Giấy xác nhận tình trạng hôn nhân",
            "Đăng ký giám hộ", "Đăng ký thành lập hộ kinh doanh"} <= names

    birth = current("1.001193")
    assert birth.name == "Đăng ký khai sinh" and birth.number == 2
    assert (birth.duration_kind, birth.fee_status, birth.online_level) == (
        "same_day", "free", "full"
    )
    assert "duration" in birth.demo_fields and "papers" in birth.demo_fields
    assert birth.source == next(e["source"] for e in sample_entries
                                if e["code"] == "1.001193")
    assert birth.processing_time_text == ""  # nothing published, the demo value is marked

    record = current("9.900021")
    assert (record.duration_kind, record.duration_amount) == ("calendar_days", 10)
    assert record.competent_agency_types == ["cong_an_tinh"]
    assert record.province == "Lào Cai" and "code" in record.demo_fields
    assert fees(record) == [("per_case", 200000, None, None, "any"),
                            ("per_case", 100000, None, None, "any"),
                            ("exemption", None, None, None, "any")]


def test_demo_loader_order_is_idempotent(sample_entries, demo_entries) -> None:
    # load_demo imports the sample, then the demo file, on every run.
    for _run in range(2):
        catalog_import(entries=sample_entries, source_name="catalog_sample.json")
        catalog_import(entries=demo_entries, source_name="lao_cai_demo.json")
    repeated = sum(1 for e in demo_entries if e["source"] != DEMO_SOURCE)
    assert ProcedureVersion.objects.count() == Procedure.objects.count() + repeated
    third = catalog_import(entries=sample_entries, source_name="catalog_sample.json")
    assert third.unchanged == 42


def test_a_real_change_in_the_sample_still_makes_a_version(sample_entries, demo_entries) -> None:
    catalog_import(entries=sample_entries, source_name="catalog_sample.json")
    catalog_import(entries=demo_entries, source_name="lao_cai_demo.json")
    entry = next(e for e in sample_entries if e["code"] == "1.001193")
    entry["notes"] = "Sửa đổi theo Nghị định mới"
    report = catalog_import(entries=sample_entries, source_name="catalog_sample.json")
    assert report.updated == 1
    assert current("1.001193").number == 3
    assert current("1.001193").demo_fields == []
