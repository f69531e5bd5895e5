"""What a filing carries: the applicant and the papers, checked and normalised.

Text a person typed is brought to Unicode NFC on the way in (motcua.core.text.clean),
so a name typed with combining marks is stored, compared and searched as one form.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.core.files import File
from django.utils.translation import gettext as _

from motcua.catalog.models import PaperForm, ProcedureVersion, RequiredPaper
from motcua.core.text import clean_text
from motcua.dossiers import validation
from motcua.dossiers.models import ApplicantType, Dossier, DossierPaper
from motcua.organizations.models import AdministrativeUnit, UnitLevel


@dataclass(frozen=True, kw_only=True)
class Applicant:
    type: str = ApplicantType.PERSON
    name: str
    id_number: str = ""
    birth_date: date | None = None
    phone: str = ""
    email: str = ""
    address: str = ""
    unit: AdministrativeUnit | None = None
    organisation_name: str = ""
    tax_code: str = ""


@dataclass(frozen=True)
class PaperInput:
    name: str
    form: str = ""
    count: int = 1
    required_paper: RequiredPaper | None = None  # of the same procedure version
    file: File | None = None
    scanned_at_counter: bool = False
    reused: bool = False


def applicant_clean(applicant: Applicant) -> Applicant:
    """The applicant with normalised values; ValidationError(field → message) if wrong."""
    errors: dict[str, str] = {}
    name = clean_text(applicant.name)
    organisation_name = clean_text(applicant.organisation_name)
    id_number = applicant.id_number.replace(" ", "").strip()
    phone = validation.normalize_phone(applicant.phone) if applicant.phone.strip() else ""
    email = applicant.email.strip()
    tax_code = applicant.tax_code.replace(" ", "").strip()
    address = clean_text(applicant.address)
    if applicant.type not in ApplicantType.values:
        errors["type"] = _("Applicant type: must be a person or an organisation.")
    if not name:
        errors["name"] = _("Full name: this field is required.")
    elif len(name) > 200:
        errors["name"] = _("Full name: at most %(n)d characters.") % {"n": 200}
    if applicant.type == ApplicantType.ORGANISATION and not organisation_name:
        errors["organisation_name"] = _("Organisation: this field is required for an organisation.")
    elif len(organisation_name) > 300:
        errors["organisation_name"] = _("Organisation: at most %(n)d characters.") % {"n": 300}
    if len(address) > 300:
        errors["address"] = _("Address: at most %(n)d characters.") % {"n": 300}
    if applicant.birth_date is not None and (
        problem := validation.birth_date_error(applicant.birth_date)
    ):
        errors["birth_date"] = problem
    if id_number and (problem := validation.cccd_error(id_number, birth_date=applicant.birth_date)):
        errors["id_number"] = problem
    if phone and (problem := validation.phone_error(phone)):
        errors["phone"] = problem
    if email and (problem := validation.email_error(email)):
        errors["email"] = problem
    if tax_code and (problem := validation.tax_code_error(tax_code)):
        errors["tax_code"] = problem
    if applicant.unit is not None and applicant.unit.level != UnitLevel.COMMUNE:
        errors["unit"] = _("Commune or ward: choose a commune, ward or special zone.")
    if errors:
        raise ValidationError(errors)
    return dataclasses.replace(
        applicant,
        name=name,
        organisation_name=organisation_name,
        id_number=id_number,
        phone=phone,
        email=email,
        tax_code=tax_code,
        address=address,
    )


def paper_errors(
    papers: Sequence[PaperInput], procedure_version: ProcedureVersion | None
) -> list[str]:
    """Problems of the papers, numbered; `procedure_version`: the papers must be its own."""
    errors: list[str] = []
    forms = {"", *PaperForm.values}
    for number, paper in enumerate(papers, start=1):
        if not isinstance(paper.name, str) or not paper.name.strip():
            errors.append(_("Papers: paper %(n)d needs a name.") % {"n": number})
        elif len(paper.name.strip()) > 500:
            errors.append(_("Papers: the name of paper %(n)d is too long.") % {"n": number})
        if paper.form not in forms:
            errors.append(
                _("Papers: paper %(n)d has an unknown form (original or copy).") % {"n": number}
            )
        if (
            isinstance(paper.count, bool)
            or not isinstance(paper.count, int)
            or not (1 <= paper.count <= 1000)
        ):
            errors.append(
                _("Papers: the number of copies of paper %(n)d must be 1 to 1000.") % {"n": number}
            )
        if (
            procedure_version is not None
            and paper.required_paper is not None
            and paper.required_paper.version_id != procedure_version.pk
        ):
            errors.append(
                _("Papers: paper %(n)d is not a paper of this procedure.") % {"n": number}
            )
    return errors


def papers_save(dossier: Dossier, papers: Sequence[PaperInput]) -> None:
    # Files are written to storage at save(); a rolled-back transaction can leave an
    # orphan file behind but never a row pointing at a missing file.
    for paper in papers:
        DossierPaper.objects.create(
            dossier=dossier,
            required_paper=paper.required_paper,
            name=clean_text(paper.name),
            form=paper.form,
            count=paper.count,
            file=paper.file,
            scanned_at_counter=paper.scanned_at_counter,
            reused=paper.reused,
        )
    if any(p.scanned_at_counter for p in papers) and not dossier.scanned_at_counter:
        dossier.scanned_at_counter = True
    if any(p.reused for p in papers) and not dossier.reused_data:
        dossier.reused_data = True
