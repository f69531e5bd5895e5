"""Fixtures for the dossier import: Lào Cai units and agencies, a small catalog, CSV files."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.utils import translation

from motcua.catalog.services import catalog_import
from motcua.demo.agencies import demo_agencies_load
from motcua.dossiers.importing import COLUMNS
from motcua.organizations.models import Agency, AgencyType
from motcua.organizations.services import units_import_current, units_import_history

PROCEDURES = [
    {"code": "1.001193", "name": "Đăng ký khai sinh", "field": "Hộ tịch"},
    {"code": "1.000656", "name": "Đăng ký khai tử", "field": "Hộ tịch"},
    {"code": "2.000908", "name": "Cấp bản sao từ sổ gốc", "field": "Chứng thực"},
]
PROVINCE_CENTRE = "000.00.01.H37"  # Trung tâm Phục vụ hành chính công tỉnh
JUSTICE = "000.00.02.H37"  # Sở Tư pháp


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    # Error messages are asserted in their English source form.
    with translation.override("en"):
        yield


@pytest.fixture(scope="module")
def _reference_data(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, str]]:
    # Loading ~420 units and ~300 agencies takes over a second: do it once per module in
    # an outer transaction; each test then runs in a savepoint inside it, and the whole
    # module's data is rolled back at the end.
    with django_db_blocker.unblock(), transaction.atomic():
        units_import_current(province_codes=["15"])
        units_import_history()
        demo_agencies_load(province_code="15")
        catalog_import(entries=[dict(p) for p in PROCEDURES], source_name="t")
        lao_cai = Agency.objects.get(
            unit__code="02647",
            unit__valid_to__isnull=True,
            type=AgencyType.COMMUNE_PEOPLES_COMMITTEE,
        )
        yield {"commune_agency": lao_cai.code}
        transaction.set_rollback(True)


@pytest.fixture
def world(_reference_data: dict[str, str], db: None) -> dict[str, str]:
    """Units (today's and pre-2025), demo agencies and three procedures of Lào Cai."""
    return _reference_data


def _row(**overrides: Any) -> dict[str, str]:
    """A valid row: a birth registration returned to the citizen, online, in 2024."""
    values = {
        "code": "000.00.01.H37-240301-0001",
        "procedure_code": "1.001193",
        "receiving_agency_code": PROVINCE_CENTRE,
        "competent_agency_code": JUSTICE,
        "unit_code": "02647",
        "channel": "2",
        "applicant_type": "person",
        "received_at": "2024-03-01 08:30",
        "due_at": "2024-03-05 17:00",
        "finished_at": "2024-03-04 10:00",
        "returned_at": "2024-03-04 15:00",
        "status": "10",
        "full_online": "1",
        "fee_amount": "8000",
        "paid_online": "true",
        "supplement_requests": "0",
        "supplement_days": "",
        "e_result": "1",
        "digitized": "1",
        "reused_data": "0",
        "rating": "2",
    }
    values.update({k: str(v) for k, v in overrides.items()})
    return values


def _csv_text(rows: list[dict[str, str]], columns: tuple[str, ...] | list[str] = COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@pytest.fixture
def make_row() -> Callable[..., dict[str, str]]:
    """make_row(**overrides): a valid row, a birth registration returned in March 2024."""
    return _row


@pytest.fixture
def csv_text() -> Callable[..., str]:
    """csv_text(rows, columns=COLUMNS): the CSV text Python's csv module writes (CRLF)."""
    return _csv_text


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    def write(
        rows: list[dict[str, str]],
        *,
        name: str = "export.csv",
        columns: tuple[str, ...] | list[str] = COLUMNS,
        bom: bool = False,
    ) -> Path:
        path = tmp_path / name
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + _csv_text(rows, columns).encode())
        return path

    return write
