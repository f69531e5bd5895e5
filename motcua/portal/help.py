"""“Cần giúp đỡ?”: the one-stop desk a citizen can call or visit, shown on the procedure
page, every filing page and the citizen's dossier page (issue 12).

The desk is the one that receives (or received) the citizen's dossier: a filed dossier's
receiving agency; else the desk of the citizen's commune as online filing routes it
(motcua.filing.drafts.receiving_agency_for: the commune's service centre, else its
People's Committee, else the provincial service centre), the commune read from the
draft's address answer, else from the citizen's profile; with no commune known, the
provincial service centre. A desk with no phone number on record gives way to the
provincial service centre when that one has a number: help the citizen cannot call is
little help.

Templates include it with `{% load portal_help %}{% desk_help_box %}` (see
motcua/portal/templatetags/portal_help.py). The Agency model has no Zalo account: the
box offers none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from typing import Any

from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext as _

from motcua.accounts.selectors import citizen_profile
from motcua.catalog.selectors import catalog_revision_cached
from motcua.core.memo import Memo
from motcua.filing.drafts import receiving_agency_for
from motcua.organizations.models import AdministrativeUnit, Agency, AgencyType, UnitLevel

WEEKDAYS = (
    pgettext_lazy("weekday", "Monday"),
    pgettext_lazy("weekday", "Tuesday"),
    pgettext_lazy("weekday", "Wednesday"),
    pgettext_lazy("weekday", "Thursday"),
    pgettext_lazy("weekday", "Friday"),
    pgettext_lazy("weekday", "Saturday"),
    pgettext_lazy("weekday", "Sunday"),
)
# The first telephone number in what the agency wrote ("0214 3840 123 (máy lẻ 12)").
_PHONE = re.compile(r"\+?\d[\d .\-()]{5,}\d")


@dataclass(frozen=True)
class DeskHelp:
    agency_name: str
    phone: str  # as the agency writes it; "" when it has none
    tel_href: str  # "tel:+842143840123"; "" when the phone cannot be dialled as written
    hours: str  # "Thứ Hai – Thứ Sáu, 7:00–11:30 và 13:30–17:00"
    address: str = ""
    demo: bool = False  # the phone and address are made up for the demo


def _clock(moment: time) -> str:
    return f"{moment.hour}:{moment.minute:02d}"


def office_hours_text(agency: Agency) -> str:
    """When the desk receives people, in words: "Monday – Friday, 7:00–11:30 and
    13:30–17:00" (days in a row as a range, others listed)."""
    days = sorted({int(c) for c in agency.working_weekdays if c in "0123456"})
    if len(days) >= 3 and days == list(range(days[0], days[-1] + 1)):
        day_text = f"{WEEKDAYS[days[0]]} – {WEEKDAYS[days[-1]]}"
    else:
        day_text = ", ".join(str(WEEKDAYS[d]) for d in days)
    if agency.morning_end >= agency.afternoon_start:  # open through the lunch hour
        times = f"{_clock(agency.morning_start)}–{_clock(agency.afternoon_end)}"
    else:
        times = _("%(morning)s and %(afternoon)s") % {
            "morning": f"{_clock(agency.morning_start)}–{_clock(agency.morning_end)}",
            "afternoon": f"{_clock(agency.afternoon_start)}–{_clock(agency.afternoon_end)}",
        }
    return f"{day_text}, {times}" if day_text else times


def tel_href(phone: str) -> str:
    """A tel: link for the first number in `phone`, in international form (0214… →
    +84214…); "" when there is none."""
    match = _PHONE.search(phone or "")
    if match is None:
        return ""
    number = match.group(0)
    digits = re.sub(r"\D", "", number)
    if number.startswith("+"):
        return f"tel:+{digits}"
    if digits.startswith("0"):
        return f"tel:+84{digits[1:]}"
    return f"tel:{digits}"


def _help_of(agency: Agency) -> DeskHelp:
    return DeskHelp(
        agency_name=agency.name,
        phone=agency.phone.strip(),
        tel_href=tel_href(agency.phone),
        hours=office_hours_text(agency),
        address=agency.address.strip(),
        demo=agency.is_demo_data,
    )


def _draft_commune_code(draft: Any) -> str:
    """The code of the commune the draft's address answer names (what filing will route
    by); "" when not answered yet."""
    if draft is None:
        return ""
    page_id = (draft.form_definition.definition.get("applicant") or {}).get("address")
    answer = (draft.answers or {}).get(page_id) if page_id else None
    return str(answer.get("commune") or "").strip() if isinstance(answer, dict) else ""


def _profile_unit_id(user: Any) -> int | None:
    if user is None:
        return None
    profile = citizen_profile(user=user)
    return profile.commune_id if profile is not None else None


# Every filing page shows the box: its desk is kept per commune, language and catalog
# revision (agency and unit edits move it), at most a minute (motcua.core.memo).
_desks: Memo[DeskHelp | None] = Memo(seconds=60)


def desk_help(
    *,
    user: Any = None,
    draft: Any = None,
    unit: AdministrativeUnit | None = None,
    agency: Agency | None = None,
    procedure_version: Any = None,
) -> DeskHelp | None:
    """The desk that can help the citizen, or None when no desk is on record at all.

    `agency`: the desk itself when known (a filed dossier's receiving agency); else
    `unit`, else the commune of `draft`'s address answer, else that of `user`'s profile
    picks the desk (module docstring). `procedure_version` (else the draft's) is handed
    to the routing."""
    if agency is not None:
        return _desk_of(agency, procedure_version)
    version = procedure_version or (draft.procedure_version if draft is not None else None)
    code = "" if unit is not None else _draft_commune_code(draft)
    if code:
        key: tuple = ("code", code)

        def find_unit() -> AdministrativeUnit | None:
            return AdministrativeUnit.objects.filter(
                code=code, level=UnitLevel.COMMUNE, valid_to__isnull=True
            ).first()
    else:
        unit_id = unit.pk if unit is not None else _profile_unit_id(user)
        key = ("unit", unit_id)

        def find_unit() -> AdministrativeUnit | None:
            if unit is not None or unit_id is None:
                return unit
            return AdministrativeUnit.objects.filter(pk=unit_id).first()

    def compute() -> DeskHelp | None:
        found = receiving_agency_for(procedure_version=version, unit=find_unit())
        return _desk_of(found, procedure_version) if found is not None else None

    return _desks.get((*key, get_language(), catalog_revision_cached()), compute)


def _desk_of(agency: Agency, procedure_version: Any) -> DeskHelp:
    if not agency.phone.strip() and agency.type != AgencyType.PROVINCE_SERVICE_CENTRE:
        centre = receiving_agency_for(procedure_version=procedure_version, unit=None)
        if centre is not None and centre.phone.strip():
            agency = centre
    return _help_of(agency)
