"""Demo agencies of Lào Cai province.

The agency names follow the 2025 two-tier organisation; the identifier codes,
addresses and phone numbers are made up (format of Decision 20/2020/QĐ-TTg, suffix
H37 chosen for the demo) and every agency is flagged `is_demo_data`.
"""

from __future__ import annotations

from django.db import transaction

from motcua.organizations.models import AdministrativeUnit, AgencyType, UnitLevel
from motcua.organizations.selectors import unit_list_communes
from motcua.organizations.services import agency_upsert

SUFFIX = "H37"
PROVINCE_AGENCIES = [
    ("00", "Ủy ban nhân dân tỉnh Lào Cai", AgencyType.PROVINCE_PEOPLES_COMMITTEE, None),
    (
        "01",
        "Trung tâm Phục vụ hành chính công tỉnh Lào Cai",
        AgencyType.PROVINCE_SERVICE_CENTRE,
        "00",
    ),
    ("02", "Sở Tư pháp tỉnh Lào Cai", AgencyType.DEPARTMENT, "00"),
    ("03", "Sở Nông nghiệp và Môi trường tỉnh Lào Cai", AgencyType.DEPARTMENT, "00"),
    ("04", "Văn phòng Đăng ký đất đai tỉnh Lào Cai", AgencyType.DEPARTMENT, "03"),
    ("05", "Sở Tài chính tỉnh Lào Cai", AgencyType.DEPARTMENT, "00"),
    ("06", "Sở Xây dựng tỉnh Lào Cai", AgencyType.DEPARTMENT, "00"),
    ("07", "Sở Nội vụ tỉnh Lào Cai", AgencyType.DEPARTMENT, "00"),
    ("08", "Sở Công Thương tỉnh Lào Cai", AgencyType.DEPARTMENT, "00"),
    ("09", "Sở Y tế tỉnh Lào Cai", AgencyType.DEPARTMENT, "00"),
    ("10", "Sở Giáo dục và Đào tạo tỉnh Lào Cai", AgencyType.DEPARTMENT, "00"),
    ("11", "Công an tỉnh Lào Cai", AgencyType.PROVINCE_POLICE, "00"),
]
COMMUNE_AGENCIES = [
    ("31", "Ủy ban nhân dân {name}", AgencyType.COMMUNE_PEOPLES_COMMITTEE),
    ("32", "Trung tâm Phục vụ hành chính công {name}", AgencyType.COMMUNE_SERVICE_CENTRE),
    ("33", "Công an {name}", AgencyType.COMMUNE_POLICE),
]


def _lower_first(name: str) -> str:
    # "Xã Bát Xát" reads "Ủy ban nhân dân xã Bát Xát" inside a longer name.
    return name[:1].lower() + name[1:]


def _phone(commune: int, number: str) -> str:
    """A made-up landline of Lào Cai (area code 0214), one per agency: what the "Need
    help?" box of the portal shows."""
    return f"0214 3{commune:03d} {number}0"


@transaction.atomic
def demo_agencies_load(*, province_code: str) -> int:
    province = AdministrativeUnit.objects.get(
        level=UnitLevel.PROVINCE, code=province_code, valid_to__isnull=True
    )
    created = {}
    for number, name, agency_type, parent in PROVINCE_AGENCIES:
        created[number] = agency_upsert(
            code=f"000.00.{number}.{SUFFIX}",
            name=name,
            type=agency_type,
            unit=province,
            parent=created.get(parent) if parent else None,
            is_demo_data=True,
            phone=_phone(0, number),
        )
    committee = created["00"]
    count = len(created)
    communes = sorted(unit_list_communes(province_code=province_code), key=lambda u: u.code)
    for index, commune in enumerate(communes, start=1):
        commune_committee = None
        for number, pattern, agency_type in COMMUNE_AGENCIES:
            agency = agency_upsert(
                code=f"000.{index:02d}.{number}.{SUFFIX}",
                name=pattern.format(name=_lower_first(commune.name)),
                type=agency_type,
                unit=commune,
                parent=committee if commune_committee is None else commune_committee,
                is_demo_data=True,
                phone=_phone(index, number),
            )
            commune_committee = commune_committee or agency
            count += 1
    return count
