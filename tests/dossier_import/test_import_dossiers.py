"""Importing historical dossiers from a CSV export (motcua.dossiers.importing)."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from motcua.catalog.services import catalog_import
from motcua.dossiers.importing import (
    APPLICANT_PLACEHOLDER,
    COLUMNS,
    DossierImportError,
    RowError,
    dossiers_import_csv,
)
from motcua.dossiers.models import Dossier, DossierEvent, Outcome
from motcua.notifications.models import Notification
from motcua.organizations.models import AdministrativeUnit, UnitLevel, UnitSuccession
from motcua.workflows.selectors import workflow_latest
from motcua.workflows.services import workflow_create

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
PROVINCE_CENTRE = "000.00.01.H37"  # the rows' receiving agency (conftest)
JUSTICE = "000.00.02.H37"  # their competent agency


def current_unit(code: str) -> AdministrativeUnit:
    return AdministrativeUnit.objects.get(level=UnitLevel.COMMUNE, code=code, valid_to=None)


def errors_of(path: Path) -> list[RowError]:
    with pytest.raises(DossierImportError) as caught:
        dossiers_import_csv(path=path)
    return caught.value.errors


def rows_with_each_status(make_row: Callable[..., dict[str, str]]) -> list[dict[str, str]]:
    open_ = {"finished_at": "", "returned_at": "", "e_result": "0", "rating": ""}
    return [
        make_row(code="C-10"),
        make_row(code="C-09", status=9, returned_at=""),
        make_row(code="C-08", status=8, finished_at="2024-03-02 09:00", returned_at="", due_at=""),
        make_row(code="C-07", status=7, **open_),
        make_row(code="C-06", status=6, **open_),
        make_row(code="C-05", status=5, supplement_requests=1, supplement_days="2.5", **open_),
        make_row(code="C-04", status=4, **open_),
        make_row(
            code="C-03",
            status=3,
            due_at="",
            channel=1,
            full_online=0,
            paid_online=0,
            fee_amount=0,
            **open_,
        ),
        make_row(code="C-02", status=2, channel=1, full_online=0, **open_),
        make_row(code="C-01", status=1, **open_),
    ]


def test_good_file_imports_every_status(world, write_csv, make_row):
    path = write_csv(rows_with_each_status(make_row), name="lao-cai-2024.csv")

    report = dossiers_import_csv(path=path)

    assert (report.rows, report.created, report.updated, report.unchanged) == (10, 10, 0, 0)
    start = workflow_latest(code="commune-default").definition["start"]
    got = {d.code: (d.state, d.status, d.outcome) for d in Dossier.objects.all()}
    assert got == {
        "C-10": ("returned", 10, Outcome.GRANTED),
        "C-09": ("decided", 9, Outcome.GRANTED),
        "C-08": ("stopped", 8, Outcome.WITHDRAWN),
        "C-07": ("withdrawal_requested", 7, Outcome.PENDING),
        "C-06": ("fee", 6, Outcome.PENDING),
        "C-05": ("supplement", 5, Outcome.PENDING),
        "C-04": (start, 4, Outcome.PENDING),
        "C-03": ("not_received", 3, Outcome.NOT_RECEIVED),
        "C-02": (start, 2, Outcome.PENDING),
        "C-01": ("submitted", 1, Outcome.PENDING),
    }
    returned = Dossier.objects.get(code="C-10")
    assert returned.imported and returned.applicant_name == APPLICANT_PLACEHOLDER
    assert returned.procedure_version.procedure.code == "1.001193"
    assert returned.receiving_agency.code == PROVINCE_CENTRE
    assert returned.competent_agency.code == JUSTICE
    assert returned.applicant_unit == current_unit("02647")
    assert returned.received_at == dt.datetime(2024, 3, 1, 8, 30, tzinfo=HCM)
    assert returned.submitted_at == returned.received_at  # online
    assert returned.decided_at == dt.datetime(2024, 3, 4, 10, 0, tzinfo=HCM)
    assert returned.returned_at == dt.datetime(2024, 3, 4, 15, 0, tzinfo=HCM)
    assert (returned.fee_amount, returned.paid_online, returned.rating) == (8000, True, 2)
    assert returned.electronic_result and returned.scanned_at_counter
    assert not returned.reused_data and not returned.is_late
    assert returned.full_online is True
    filed = Dossier.objects.get(code="C-01")
    assert filed.received_at is None and filed.submitted_at is not None
    supplement = Dossier.objects.get(code="C-05")
    # 2.5 working days of 8 working hours, the unit the lifecycle counts waits in.
    assert supplement.supplement_seconds == 72000 and supplement.resume_state == start
    asked = Dossier.objects.get(code="C-07")
    assert (asked.state, asked.status, asked.before_withdrawal) == (
        "withdrawal_requested",
        7,
        start,
    )

    events = DossierEvent.objects.filter(dossier=returned)
    assert [(e.action, e.to_state, e.status) for e in events] == [("imported", "returned", 10)]
    assert events[0].data == {"source": "lao-cai-2024.csv", "line": 2}
    assert DossierEvent.objects.count() == 10
    assert Notification.objects.count() == 0


def test_reimport_is_a_no_op(world, write_csv, make_row):
    path = write_csv(rows_with_each_status(make_row))
    dossiers_import_csv(path=path)
    before = list(Dossier.objects.values_list("code", "updated_at", "lock_version"))

    report = dossiers_import_csv(path=path)

    assert (report.created, report.updated, report.unchanged) == (0, 0, 10)
    assert list(Dossier.objects.values_list("code", "updated_at", "lock_version")) == before
    assert DossierEvent.objects.count() == 10


def test_changed_row_updates_in_place(world, write_csv, make_row):
    dossiers_import_csv(path=write_csv([make_row(code="A"), make_row(code="B")]))
    changed = write_csv(
        [
            make_row(code="A"),
            make_row(code="B", returned_at="", status=9, full_online=0, rating=""),
        ],
        name="corrected.csv",
    )

    report = dossiers_import_csv(path=changed)

    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert Dossier.objects.count() == 2
    b = Dossier.objects.get(code="B")
    assert (b.status, b.state, b.returned_at, b.rating, b.lock_version) == (
        9,
        "decided",
        None,
        None,
        2,
    )
    assert b.full_online is False
    last = b.events.last()
    assert last.action == "import_updated"
    assert last.data["source"] == "corrected.csv" and last.data["line"] == 3
    assert set(last.data["changed"]) == {"status", "state", "returned_at", "rating", "full_online"}


def test_catalog_or_workflow_change_is_no_change_in_the_export(world, write_csv, make_row):
    path = write_csv([make_row(code="A", status=4, finished_at="", returned_at="")])
    dossiers_import_csv(path=path)
    first = Dossier.objects.get()
    # A new version of the procedure and of the default workflow after the first import.
    catalog_import(
        entries=[{"code": "1.001193", "name": "Đăng ký khai sinh (sửa đổi)", "field": "Hộ tịch"}],
        source_name="t2",
    )
    default = workflow_latest(code="commune-default")
    workflow_create(
        code="commune-default",
        name=default.name + " 2",
        definition={**default.definition, "start": "received"},
    )
    assert workflow_latest(code="commune-default") != default

    report = dossiers_import_csv(path=path)

    assert report.unchanged == 1
    again = Dossier.objects.get()
    assert (again.procedure_version, again.workflow) == (first.procedure_version, default)
    # A dossier imported now gets the versions in force today.
    dossiers_import_csv(path=write_csv([make_row(code="B")], name="b.csv"))
    b = Dossier.objects.get(code="B")
    assert b.procedure_version.name == "Đăng ký khai sinh (sửa đổi)"
    assert b.workflow == workflow_latest(code="commune-default")


def test_dry_run_counts_and_writes_nothing(world, write_csv, make_row):
    report = dossiers_import_csv(
        path=write_csv([make_row(code="A"), make_row(code="B")]), dry_run=True
    )
    assert (report.dry_run, report.created) == (True, 2)
    assert not Dossier.objects.exists() and not DossierEvent.objects.exists()


def test_every_bad_row_is_listed_and_nothing_is_written(world, write_csv, make_row):
    path = write_csv(
        [
            make_row(code="OK-1"),
            make_row(code="X-3", procedure_code="9.999999"),
            make_row(code="X-4", receiving_agency_code="000.99.99.H99", competent_agency_code=""),
            make_row(code="X-5", unit_code="99999"),
            make_row(code="X-6", received_at="01/03/2024 08:30"),
            make_row(code="X-7", due_at="2024-02-28 17:00"),
            make_row(code="X-8", returned_at="2024-03-03 09:00"),
            make_row(code="X-9", status=11),
            make_row(code="X-10", returned_at=""),
            make_row(code="X-11", fee_amount=-1, supplement_requests=-2, supplement_days="-1"),
            make_row(code="OK-1"),
            make_row(code="X-13", channel=4, applicant_type="company", paid_online="yes", rating=5),
            make_row(code="X-14", received_at="2024-03-01"),
            make_row(code="X-15", status=7),
        ]
    )

    errors = errors_of(path)

    found = {(e.line, e.column) for e in errors}
    assert found == {
        (3, "procedure_code"),
        (4, "receiving_agency_code"),
        (4, "competent_agency_code"),
        (5, "unit_code"),
        (6, "received_at"),
        (7, "due_at"),
        (8, "returned_at"),
        (9, "status"),
        (10, "returned_at"),
        (11, "fee_amount"),
        (11, "supplement_requests"),
        (11, "supplement_days"),
        (12, "code"),
        (13, "channel"),
        (13, "applicant_type"),
        (13, "paid_online"),
        (13, "rating"),
        (14, "received_at"),
        # Status 7 (withdrawal requested) is a step of its own now: not finished yet.
        (15, "finished_at"),
        (15, "returned_at"),
    }
    assert [e.line for e in errors] == sorted(e.line for e in errors)
    text = {(e.line, e.column): e.message for e in errors}
    assert "unknown procedure code 9.999999" in text[3, "procedure_code"]
    assert "unknown agency code 000.99.99.H99" in text[4, "receiving_agency_code"]
    assert "unknown commune or ward code 99999" in text[5, "unit_code"]
    assert "is before received_at" in text[7, "due_at"]
    assert "is before finished_at" in text[8, "returned_at"]
    assert "required with status 10" in text[10, "returned_at"]
    assert "negative" in text[11, "fee_amount"]
    assert "first on line 2" in text[12, "code"]
    assert str(errors[0]).startswith("line 3, column procedure_code: ")
    assert not Dossier.objects.exists() and not DossierEvent.objects.exists()


def test_consistency_rules(world, write_csv, make_row):
    path = write_csv(
        [
            make_row(code="A", status=9, returned_at="", finished_at=""),  # finished_at required
            make_row(code="B", status=4, returned_at=""),  # finished_at but still processing
            make_row(
                code="C", status=4, finished_at="", returned_at="", due_at=""
            ),  # due_at required
            make_row(code="D", received_at=""),  # received_at required
            make_row(code="E", status=1, channel=1, full_online=0, finished_at="", returned_at=""),
            make_row(code="F", fee_amount=0),  # paid online without a fee
            make_row(code="G", channel=1),  # fully online but filed in person
            make_row(code="H", supplement_days=3),  # waited for a supplement never requested
            make_row(
                code="I",
                received_at="2099-01-01 08:00",
                due_at="2099-01-02 08:00",
                finished_at="",
                returned_at="",
                status=4,
            ),
        ]
    )
    assert {(e.line, e.column) for e in errors_of(path)} == {
        (2, "finished_at"),
        (3, "finished_at"),
        (4, "due_at"),
        (5, "received_at"),
        (6, "channel"),
        (7, "paid_online"),
        (8, "full_online"),
        (9, "supplement_days"),
        (10, "received_at"),
    }


def test_late_and_refused_outcomes(world, write_csv, make_row):
    dossiers_import_csv(
        path=write_csv(
            [
                make_row(
                    code="LATE", finished_at="2024-03-06 10:00", returned_at="2024-03-06 15:00"
                ),
                # Two days after the appointment (Tue 5/3 17:00), but two working days
                # were spent waiting for the fee: due Thu 7/3 17:00, on time.
                make_row(
                    code="PAUSED",
                    finished_at="2024-03-07 10:00",
                    returned_at="2024-03-07 15:00",
                    fee_amount=8000,
                    fee_days=2,
                ),
                # After a supplement the legal time restarts (Decree 61 art. 19(4)): the
                # appointment in force is the one given again; the wait is not taken
                # off a second time.
                make_row(
                    code="RESTARTED",
                    due_at="2024-03-07 17:00",
                    finished_at="2024-03-07 10:00",
                    returned_at="2024-03-07 15:00",
                    supplement_requests=1,
                    supplement_days=2,
                ),
                make_row(
                    code="SUPPLEMENT-LATE",
                    finished_at="2024-03-07 10:00",
                    returned_at="2024-03-07 15:00",
                    supplement_requests=1,
                    supplement_days=2,
                ),
                make_row(code="TWICE", supplement_requests=2, supplement_days=1),
                make_row(code="REFUSED", outcome="refused"),
            ],
            columns=[*COLUMNS, "outcome", "fee_days"],
        )
    )
    late = dict(Dossier.objects.values_list("code", "is_late"))
    assert late == {
        "LATE": True,
        "PAUSED": False,
        "RESTARTED": False,
        "SUPPLEMENT-LATE": True,
        "TWICE": True,
        "REFUSED": False,
    }
    paused = Dossier.objects.get(code="PAUSED")
    assert paused.fee_seconds == 2 * 8 * 3600
    assert paused.appointment_at == dt.datetime(2024, 3, 5, 17, 0, tzinfo=HCM)
    assert paused.due_at == dt.datetime(2024, 3, 7, 17, 0, tzinfo=HCM)
    assert Dossier.objects.get(code="REFUSED").outcome == Outcome.REFUSED


def test_old_unit_code_maps_to_todays_unit(world, write_csv, make_row):
    # Phường Cốc Lếu (02644) merged into today's Phường Lào Cai (02647) on 1 July 2025.
    dossiers_import_csv(path=write_csv([make_row(unit_code="02644")]))
    assert Dossier.objects.get().applicant_unit == current_unit("02647")


def test_former_unit_without_or_with_several_successors_is_an_error(world, write_csv, make_row):
    # Every former commune has its successor on record (VietMap's mapping): take the
    # former Phường Lào Cai's (02641) away, and give 02644 a second one.
    UnitSuccession.objects.filter(
        predecessor__code="02641", predecessor__valid_to__isnull=False
    ).delete()
    cocleu = AdministrativeUnit.objects.get(code="02644", valid_to__isnull=False)
    UnitSuccession.objects.create(predecessor=cocleu, successor=current_unit("02683"))
    errors = errors_of(
        write_csv([make_row(code="A", unit_code="02641"), make_row(code="B", unit_code="02644")])
    )
    assert [(e.line, e.column) for e in errors] == [(2, "unit_code"), (3, "unit_code")]
    assert "no current successor" in errors[0].message
    assert "Phường Lào Cai" in errors[1].message and "Xã Bát Xát" in errors[1].message


def test_reused_code_means_the_unit_valid_on_the_receipt_date(world, write_csv, make_row):
    # A former unit carrying the code today's Xã Bát Xát (02683) also carries, merged into
    # Phường Lào Cai: before the reform the code means the former unit, after it today's.
    former = AdministrativeUnit.objects.get(code="02683", valid_to__isnull=False)
    UnitSuccession.objects.filter(predecessor=former).delete()
    UnitSuccession.objects.create(predecessor=former, successor=current_unit("02647"))
    dossiers_import_csv(
        path=write_csv(
            [
                make_row(code="OLD", unit_code="02683"),
                make_row(
                    code="NEW",
                    unit_code="02683",
                    received_at="2025-08-01 08:00",
                    due_at="2025-08-05 17:00",
                    finished_at="2025-08-04 10:00",
                    returned_at="2025-08-04 15:00",
                ),
            ]
        )
    )
    units = dict(Dossier.objects.values_list("code", "applicant_unit__code"))
    names = dict(Dossier.objects.values_list("code", "applicant_unit__name"))
    assert units == {"OLD": "02647", "NEW": "02683"}
    assert names["NEW"] == "Xã Bát Xát"


def test_bom_quoting_and_blank_lines(world, tmp_path, make_row, csv_text):
    text = csv_text(
        [
            make_row(code="Q-1"),
            make_row(code="Q-2", applicant_type=" organisation "),
        ]
    )
    # Quoted cells with commas, doubled quotes and a line break; CRLF; trailing blank lines.
    text = text.replace("\r\nQ-2,", '\r\n"Q-2",', 1)
    text = text.replace(",person,", ',"person",', 1)
    header, *lines = text.split("\r\n")
    header = header.replace("code,", '"code",', 1)
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join([header, *lines, "", ""]).encode())
    report = dossiers_import_csv(path=path)
    assert report.created == 2
    assert Dossier.objects.get(code="Q-2").applicant_type == "organisation"


def test_quoted_line_break_keeps_line_numbers(world, tmp_path, make_row, csv_text):
    good = csv_text([make_row(code="A")]).split("\r\n")[1]
    bad = csv_text([make_row(code="B", status=42)]).split("\r\n")[1]
    header = ",".join(COLUMNS)
    # Line 2 is a record whose code cell spans lines 2-3 ("A\nB" is not a dossier code).
    multi = good.replace("A,", '"A\nB",', 1)
    path = tmp_path / "multi.csv"
    path.write_text("\r\n".join([header, multi, good.replace("A,", "C,", 1), bad, ""]))
    errors = errors_of(path)
    assert [(e.line, e.column) for e in errors] == [(2, "code"), (5, "status")]


def test_file_object_text_or_binary(world, make_row, csv_text):
    data = "\ufeff" + csv_text([make_row(code="T-1")])
    assert dossiers_import_csv(file=io.StringIO(data)).created == 1
    report = dossiers_import_csv(file=io.BytesIO(data.encode()), source_name="upload.csv")
    assert (report.source_name, report.unchanged) == ("upload.csv", 1)


def test_semicolons_not_utf8_and_header_problems(world, tmp_path, write_csv, make_row, csv_text):
    semi = tmp_path / "semi.csv"
    semi.write_text(csv_text([make_row()]).replace(",", ";"))
    assert "semicolons" in errors_of(semi)[0].message

    ansi = tmp_path / "ansi.csv"
    ansi.write_bytes(csv_text([make_row(), make_row(code="Bát-Xát")]).encode("cp1258"))
    [error] = errors_of(ansi)
    assert (error.line, "UTF-8" in error.message) == (3, True)

    columns = [c for c in COLUMNS if c != "rating"] + ["recieved_at", "code"]
    header = write_csv([], columns=columns, name="header.csv")
    assert {(e.line, e.column, e.message) for e in errors_of(header)} == {
        (1, "rating", "column missing from the header row"),
        (1, "recieved_at", "unknown column"),
        (1, "code", "column appears more than once"),
    }

    short = tmp_path / "short.csv"
    short.write_text(csv_text([make_row()]) + "X,1\r\n")
    assert [(e.line, e.message) for e in errors_of(short)] == [(3, "expected 21 values, found 2")]


def test_header_only_imports_nothing(world, write_csv):
    report = dossiers_import_csv(path=write_csv([]))
    assert (report.rows, report.created) == (0, 0)


def test_live_dossier_is_never_overwritten(world, write_csv, make_row):
    dossiers_import_csv(path=write_csv([make_row(code="LIVE"), make_row(code="WORKED")]))
    Dossier.objects.filter(code="LIVE").update(imported=False)
    worked = Dossier.objects.get(code="WORKED")
    DossierEvent.objects.create(dossier=worked, action="return", status=10, at=worked.returned_at)
    errors = errors_of(
        write_csv([make_row(code="LIVE", rating=1), make_row(code="WORKED", rating=1)])
    )
    assert [(e.line, e.column) for e in errors] == [(2, "code"), (3, "code")]
    assert "filed in motcua" in errors[0].message and "worked on" in errors[1].message


def test_command_output_and_exit(world, write_csv, capsys, make_row):
    good = write_csv([make_row(code="A"), make_row(code="B")], name="good.csv")
    call_command("import_dossiers", str(good), "--dry-run")
    assert "would create 2" in capsys.readouterr().out
    assert not Dossier.objects.exists()

    call_command("import_dossiers", str(good))
    out = capsys.readouterr().out
    assert "good.csv: 2 rows; 2 created, 0 updated, 0 unchanged" in out

    bad = write_csv([make_row(code="A"), make_row(code="B", status=0)], name="bad.csv")
    with pytest.raises(CommandError) as caught:
        call_command("import_dossiers", str(bad))
    assert str(caught.value).splitlines() == [
        "bad.csv has 1 error; nothing was imported:",
        "  line 3, column status: '0': must be a national status code from 1 to 10",
    ]
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_dossiers", str(good.with_name("missing.csv")))


def test_command_exits_non_zero_without_traceback(world, write_csv, make_row, tmp_path):
    bad = write_csv([make_row(status=11)], name="bad.csv")
    # A child process cannot see the test database; a header error is found before any
    # lookup, and the child gets an empty database of its own in case it connects.
    bad.write_text(bad.read_text().replace("rating", "score"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "motcua.test_settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'child.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "import_dossiers", str(bad)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    # Officials read the command's messages in Vietnamese.
    assert "dòng 1, cột score: cột không xác định" in result.stderr
