"""Writes for administrative units and agencies.

Units come from two sources: today's list from the `vietnam-provinces` package and
the pre-reform units (with their successors) from a JSON history file. Both imports
validate everything first and then write in one transaction, so a bad file imports
nothing; both are idempotent (keyed on level, code and validity period).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from vietnam_provinces import Province, VietNamDivisionType, Ward

from motcua.core.datafiles import DataFileError, read_json
from motcua.organizations.models import (
    REFORM_DATE,
    AdministrativeUnit,
    Agency,
    AgencyType,
    UnitLevel,
    UnitSuccession,
    UnitType,
)

PACKAGE_SOURCE = "vietnam-provinces"
HISTORY_FILE = Path(__file__).parent / "data" / "pre_2025_units.json"
_PACKAGE_TYPES = {
    VietNamDivisionType.TINH: UnitType.PROVINCE,
    VietNamDivisionType.THANH_PHO_TRUNG_UONG: UnitType.CENTRAL_CITY,
    VietNamDivisionType.XA: UnitType.COMMUNE,
    VietNamDivisionType.PHUONG: UnitType.WARD,
    VietNamDivisionType.DAC_KHU: UnitType.SPECIAL_ZONE,
}
_CODE_PATTERNS = {
    UnitLevel.PROVINCE: re.compile(r"^\d{2}$"),
    UnitLevel.DISTRICT: re.compile(r"^\d{3}$"),
    UnitLevel.COMMUNE: re.compile(r"^\d{5}$"),
}


class UnitFileError(ValueError):
    """A unit file that cannot be imported; `errors` names each entry and field."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass
class UnitImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    successions: int = 0
    by_level: dict[str, int] = field(default_factory=dict)


def _province_name(province: Province) -> str:
    # The package names provinces bare ("Lào Cai"); official documents say "Tỉnh Lào Cai".
    if province.division_type == VietNamDivisionType.TINH and not province.name.startswith("Tỉnh"):
        return f"Tỉnh {province.name}"
    return province.name


def _upsert_unit(
    report: UnitImportReport, *, level: str, code: str, valid_to: dt.date | None, **values: Any
) -> AdministrativeUnit:
    unit = AdministrativeUnit.objects.filter(level=level, code=code, valid_to=valid_to).first()
    report.by_level[str(level)] = report.by_level.get(str(level), 0) + 1
    if unit is None:
        report.created += 1
        return AdministrativeUnit.objects.create(
            level=level, code=code, valid_to=valid_to, **values
        )
    changed = [name for name, value in values.items() if getattr(unit, name) != value]
    if changed:
        for name in changed:
            setattr(unit, name, values[name])
        unit.save(update_fields=changed)
        report.updated += 1
    else:
        report.unchanged += 1
    return unit


def units_import_current(*, province_codes: list[str] | None = None) -> UnitImportReport:
    """Import today's provinces and communes/wards from the vietnam-provinces package."""
    provinces = [
        p
        for p in Province.iter_all()
        if province_codes is None or f"{int(p.code):02d}" in province_codes
    ]
    unknown = set(province_codes or []) - {f"{int(p.code):02d}" for p in provinces}
    if unknown:
        raise UnitFileError([_("Unknown province code: %s") % code for code in sorted(unknown)])
    report = UnitImportReport()
    source = f"{PACKAGE_SOURCE} {_package_version()}"
    with transaction.atomic():
        for province in provinces:
            parent = _upsert_unit(
                report,
                level=UnitLevel.PROVINCE,
                code=f"{int(province.code):02d}",
                valid_to=None,
                name=_province_name(province),
                type=_PACKAGE_TYPES[province.division_type],
                parent=None,
                valid_from=REFORM_DATE,
                source=source,
            )
            for ward in Ward.iter_by_province(province.code):
                _upsert_unit(
                    report,
                    level=UnitLevel.COMMUNE,
                    code=f"{int(ward.code):05d}",
                    valid_to=None,
                    name=ward.name,
                    type=_PACKAGE_TYPES[ward.division_type],
                    parent=parent,
                    valid_from=REFORM_DATE,
                    source=source,
                )
    return report


def _package_version() -> str:
    import vietnam_provinces

    return vietnam_provinces.__version__


def _validate_history(data: Any) -> list[str]:
    errors: list[str] = []
    if not isinstance(data, dict):
        return [_("The unit file must be a JSON object with provinces, districts and communes.")]
    try:
        dt.date.fromisoformat(str(data.get("valid_to")))
    except ValueError:
        errors.append(_("Field 'valid_to': expected a date YYYY-MM-DD."))
    levels = (
        ("provinces", UnitLevel.PROVINCE, None),
        ("districts", UnitLevel.DISTRICT, "province_code"),
        ("communes", UnitLevel.COMMUNE, "district_code"),
    )
    seen: dict[str, set[str]] = {}
    for key, level, parent_key in levels:
        entries = data.get(key)
        if not isinstance(entries, list):
            errors.append(_("Field '%s': expected a list.") % key)
            continue
        seen[key] = set()
        for index, entry in enumerate(entries, start=1):
            where = _("%(list)s entry %(n)d") % {"list": key, "n": index}
            if not isinstance(entry, dict):
                errors.append(_("%s: expected an object.") % where)
                continue
            code = entry.get("code")
            where = _("%(where)s (code %(code)s)") % {"where": where, "code": code}
            if not isinstance(code, str) or not _CODE_PATTERNS[level].match(code):
                errors.append(_("%s, field 'code': not a valid official code.") % where)
            elif code in seen[key]:
                errors.append(_("%s, field 'code': appears twice.") % where)
            else:
                seen[key].add(code)
            if not isinstance(entry.get("name"), str) or not entry["name"].strip():
                errors.append(_("%s, field 'name': must not be empty.") % where)
            if entry.get("type") not in UnitType.values:
                errors.append(_("%s, field 'type': unknown unit type.") % where)
            if parent_key:
                parent_list = "provinces" if parent_key == "province_code" else "districts"
                if entry.get(parent_key) not in seen.get(parent_list, set()):
                    errors.append(
                        _("%(where)s, field '%(field)s': no such unit in the file.")
                        % {"where": where, "field": parent_key}
                    )
            successors = entry.get("successors", [])
            if not isinstance(successors, list) or not all(
                isinstance(s, dict) and isinstance(s.get("code"), str) for s in successors
            ):
                errors.append(
                    _("%s, field 'successors': expected a list of {code, source}.") % where
                )
    return errors


def units_import_history(*, path: Path = HISTORY_FILE) -> UnitImportReport:
    """Import pre-reform units and link each to today's successor units.

    Today's units must be imported first; a successor code that names no current
    unit is an error, reported with the entry, and nothing is written.
    """
    try:
        data = read_json(path)
    except DataFileError as exc:
        raise UnitFileError([str(exc)]) from None
    errors = _validate_history(data)
    if errors:
        raise UnitFileError(errors)

    current = {
        (u.level, u.code): u for u in AdministrativeUnit.objects.filter(valid_to__isnull=True)
    }
    succ_level = {"provinces": UnitLevel.PROVINCE, "communes": UnitLevel.COMMUNE}
    for key, level in succ_level.items():
        for index, entry in enumerate(data[key], start=1):
            for successor in entry.get("successors", []):
                if (level, successor["code"]) not in current:
                    errors.append(
                        _(
                            "%(list)s entry %(n)d (code %(code)s), field 'successors': "
                            "no current unit has code %(succ)s; import today's units first."
                        )
                        % {
                            "list": key,
                            "n": index,
                            "code": entry["code"],
                            "succ": successor["code"],
                        }
                    )
    if errors:
        raise UnitFileError(errors)

    valid_to = dt.date.fromisoformat(data["valid_to"])
    source = data.get("source", "")
    report = UnitImportReport()
    with transaction.atomic():
        provinces = {}
        for entry in data["provinces"]:
            provinces[entry["code"]] = _upsert_unit(
                report,
                level=UnitLevel.PROVINCE,
                code=entry["code"],
                valid_to=valid_to,
                name=entry["name"],
                type=entry["type"],
                parent=None,
                valid_from=None,
                source=source,
            )
        districts = {}
        for entry in data["districts"]:
            districts[entry["code"]] = _upsert_unit(
                report,
                level=UnitLevel.DISTRICT,
                code=entry["code"],
                valid_to=valid_to,
                name=entry["name"],
                type=entry["type"],
                parent=provinces[entry["province_code"]],
                valid_from=None,
                source=source,
            )
        for key, level in succ_level.items():
            for entry in data[key]:
                if level == UnitLevel.PROVINCE:
                    unit = provinces[entry["code"]]
                else:
                    unit = _upsert_unit(
                        report,
                        level=level,
                        code=entry["code"],
                        valid_to=valid_to,
                        name=entry["name"],
                        type=entry["type"],
                        parent=districts[entry["district_code"]],
                        valid_from=None,
                        source=source,
                    )
                for successor in entry.get("successors", []):
                    _link, created = UnitSuccession.objects.update_or_create(
                        predecessor=unit,
                        successor=current[(level, successor["code"])],
                        defaults={
                            "effective_on": valid_to + dt.timedelta(days=1),
                            "source": successor.get("source", "")[:300],
                        },
                    )
                    report.successions += int(created)
    return report


def agency_upsert(
    *,
    code: str,
    name: str,
    type: AgencyType | str,
    unit: AdministrativeUnit,
    parent: Agency | None = None,
    is_demo_data: bool = False,
    address: str = "",
    phone: str = "",
) -> Agency:
    agency, _created = Agency.objects.update_or_create(
        code=code,
        defaults={
            "name": name,
            "type": type,
            "unit": unit,
            "parent": parent,
            "is_demo_data": is_demo_data,
            "address": address,
            "phone": phone,
        },
    )
    agency.full_clean()
    return agency
