"""Applicant checks: citizen ID (CCCD), phone, e-mail, tax code; nothing written on error."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from motcua.dossiers.models import Dossier, DossierCodeSequence
from motcua.dossiers.services import (
    Applicant,
    PaperInput,
    applicant_clean,
    dossier_file_online,
    dossier_receive_at_counter,
)
from motcua.dossiers.validation import (
    CCCD_PROVINCE_CODES,
    cccd_birth_year,
    cccd_error,
    normalize_phone,
    phone_error,
)
from motcua.notifications.models import Notification

from .conftest import BIRTH, JUSTICE

CCCD_TABLE = [
    # number, birth date, error (None = valid)
    ("010090001234", None, None),  # Lào Cai, man born 1990
    ("010190001234", date(1990, 5, 1), None),  # woman born 1990
    ("001205012345", date(2005, 1, 9), None),  # Hà Nội, man born 2005
    ("096312000001", date(2012, 12, 31), None),  # Cà Mau, woman born 2012
    ("079099999999", None, None),  # Hồ Chí Minh, man born 1999
    ("01009000123", None, "Citizen ID number: must be exactly 12 digits."),
    ("0100900012345", None, "Citizen ID number: must be exactly 12 digits."),
    ("01009000123A", None, "Citizen ID number: must be exactly 12 digits."),
    (
        "003090001234",
        None,
        "Citizen ID number: the first three digits (003) are not a "
        "province code of birth registration.",
    ),
    (
        "097090001234",
        None,
        "Citizen ID number: the first three digits (097) are not a "
        "province code of birth registration.",
    ),
    (
        "000090001234",
        None,
        "Citizen ID number: the first three digits (000) are not a "
        "province code of birth registration.",
    ),
    (
        "010290001234",
        None,
        "Citizen ID number: digits 4 to 6 give the birth year 2090, which is in the future.",
    ),
    (
        "010490001234",
        None,
        "Citizen ID number: digits 4 to 6 give the birth year 2190, which is in the future.",
    ),
    (
        "010090001234",
        date(1991, 1, 1),
        "Citizen ID number: digits 4 to 6 give the birth year "
        "1990, but the date of birth is in 1991.",
    ),
    (
        "010205001234",
        date(1905, 3, 3),
        "Citizen ID number: digits 4 to 6 give the birth year "
        "2005, but the date of birth is in 1905.",
    ),
]


@pytest.mark.parametrize("number, birth_date, error", CCCD_TABLE)
def test_cccd(number, birth_date, error):
    assert cccd_error(number, birth_date=birth_date) == error


def test_cccd_century_and_sex_digit():
    assert [cccd_birth_year(f"001{d}05000000") for d in "0123456789"] == [
        1905,
        1905,
        2005,
        2005,
        2105,
        2105,
        2205,
        2205,
        2305,
        2305,
    ]


def test_the_63_province_codes():
    assert len(CCCD_PROVINCE_CODES) == 63
    assert min(CCCD_PROVINCE_CODES) == "001" and max(CCCD_PROVINCE_CODES) == "096"
    assert CCCD_PROVINCE_CODES["010"] == "Lào Cai" and CCCD_PROVINCE_CODES["015"] == "Yên Bái"
    # Codes skipped by the numbering (old Hà Tây 028 merged into Hà Nội, …) are not valid.
    assert not {"003", "028", "050", "097"} & set(CCCD_PROVINCE_CODES)


@pytest.mark.parametrize(
    "raw, normalised, valid",
    [
        ("0912345678", "0912345678", True),
        ("+84912345678", "0912345678", True),
        ("+84 912 345 678", "0912345678", True),
        ("84912345678", "0912345678", True),
        ("0387.654.321", "0387654321", True),
        ("091234567", "091234567", False),  # 9 digits
        ("09123456789", "09123456789", False),  # 11 digits
        ("0212345678", "0212345678", False),  # not a mobile prefix
        ("1912345678", "1912345678", False),
        ("+1 202 555 0100", "+12025550100", False),
    ],
)
def test_phone(raw, normalised, valid):
    assert normalize_phone(raw) == normalised
    assert (phone_error(raw) is None) is valid


def test_applicant_clean_normalises():
    cleaned = applicant_clean(
        Applicant(
            name="  Lê Thị Hoa ",
            phone="+84 987 654 321",
            id_number="0101 9000 1234",
            email=" hoa@example.vn ",
        )
    )
    assert (cleaned.name, cleaned.phone, cleaned.id_number, cleaned.email) == (
        "Lê Thị Hoa",
        "0987654321",
        "010190001234",
        "hoa@example.vn",
    )


def test_applicant_errors_name_each_field(world):
    with pytest.raises(ValidationError) as error:
        applicant_clean(
            Applicant(
                type="organisation",
                name="",
                id_number="010090001234",
                birth_date=date(1985, 1, 1),
                phone="12345",
                email="not-an-email",
                tax_code="12-34",
                unit=world.agency("000.00.00.H37").unit,
            )
        )
    assert error.value.message_dict == {
        "name": ["Full name: this field is required."],
        "organisation_name": ["Organisation: this field is required for an organisation."],
        "id_number": [
            "Citizen ID number: digits 4 to 6 give the birth year 1990, but the date "
            "of birth is in 1985."
        ],
        "phone": [
            "Phone: enter a Vietnamese mobile number of 10 digits starting with 0 "
            "(e.g. 0912345678) or +84."
        ],
        "email": ["E-mail: enter a valid e-mail address."],
        "tax_code": [
            "Tax code: must be 10 digits, or 10 digits, a dash and 3 digits for a branch."
        ],
        "unit": ["Commune or ward: choose a commune, ward or special zone."],
    }


def test_future_birth_date():
    with pytest.raises(ValidationError) as error:
        applicant_clean(Applicant(name="A", birth_date=date(2999, 1, 1)))
    assert error.value.message_dict == {"birth_date": ["Date of birth: cannot be in the future."]}


def test_organisation_with_branch_tax_code():
    cleaned = applicant_clean(
        Applicant(
            type="organisation",
            name="Phạm Văn Công",
            organisation_name="Công ty TNHH Sa Pa Xanh",
            tax_code="5300123456-001",
        )
    )
    assert cleaned.tax_code == "5300123456-001"


def test_invalid_filing_writes_nothing(world, clock):
    with pytest.raises(ValidationError) as error:
        dossier_receive_at_counter(
            officer=world.users["desk"],
            agency=world.agency("000.01.32.H37"),
            procedure_version=world.procedures[BIRTH],
            applicant=Applicant(name="Hà Văn Dũng", id_number="123", phone="0123"),
            form_data=["not", "a", "dict"],
            papers=[
                PaperInput(" "),
                PaperInput("Giấy tờ khác", count=0),
                PaperInput("Phiếu", required_paper=world.procedures[BIRTH].papers.first()),
                PaperInput("Sai", required_paper=None, form="photocopy"),
            ],
        )
    assert error.value.message_dict == {
        "id_number": ["Citizen ID number: must be exactly 12 digits."],
        "phone": [
            "Phone: enter a Vietnamese mobile number of 10 digits starting with 0 "
            "(e.g. 0912345678) or +84."
        ],
        "form_data": ["Form answers: must be a set of named answers."],
        "papers": [
            "Papers: paper 1 needs a name.",
            "Papers: the number of copies of paper 2 must be 1 to 1000.",
            "Papers: paper 4 has an unknown form (original or copy).",
        ],
    }
    assert not Dossier.objects.exists()
    assert not DossierCodeSequence.objects.exists()
    assert not Notification.objects.exists()


def test_paper_of_another_procedure_is_refused(world, clock):
    with pytest.raises(ValidationError) as error:
        dossier_file_online(
            procedure_version=world.procedures[JUSTICE],
            applicant=Applicant(name="Hà Văn Dũng"),
            receiving_agency=world.agency("000.00.01.H37"),
            papers=[PaperInput("Tờ khai", required_paper=world.procedures[BIRTH].papers.first())],
        )
    assert error.value.message_dict == {
        "papers": ["Papers: paper 1 is not a paper of this procedure."]
    }
    assert not Dossier.objects.exists()


def test_retired_procedure_version_is_refused(world, clock):
    version = world.procedures[BIRTH]
    version.state = "retired"
    version.save(update_fields=["state"])
    with pytest.raises(ValidationError) as error:
        dossier_file_online(
            procedure_version=version,
            applicant=Applicant(name="A"),
            receiving_agency=world.agency("000.01.32.H37"),
        )
    assert error.value.message_dict == {
        "procedure_version": ["Procedure: this version is not in force; choose the current one."]
    }
