"""Forms of the back office: they parse and check input, services do the rest."""

from __future__ import annotations

import os
import re
from datetime import date, datetime
from typing import Any

from django import forms
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from motcua.backoffice.selectors import BOX_ORDER
from motcua.catalog.models import PaperForm, RequiredPaper
from motcua.dossiers.models import ResultDelivery
from motcua.dossiers.validation import (
    birth_date_error,
    cccd_error,
    email_error,
    normalize_phone,
    phone_error,
)
from motcua.filing.uploads import UploadRefused, upload_read
from motcua.organizations.models import AdministrativeUnit, Agency
from motcua.reporting.register import RegisterPeriod

MAX_LINES = 30

# --- inbox and search ---------------------------------------------------------------


class InboxFilterForm(forms.Form):
    box = forms.ChoiceField(choices=[(b, b) for b in BOX_ORDER], required=False)
    overdue = forms.BooleanField(required=False)
    due_soon = forms.BooleanField(required=False)
    procedure = forms.CharField(max_length=30, required=False)
    after = forms.CharField(max_length=80, required=False)


class DossierSearchForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Code, citizen ID, phone or name"), max_length=100)


class RegisterPeriodForm(forms.Form):
    """The period of the tracking register (form 06): a month, or a first and last day.

    The dates win when given (the month field of the inbox comes filled in).
    """

    FIRST_YEAR, LAST_YEAR = 2000, 2100
    MAX_DAYS = 366
    _MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")

    thang = forms.CharField(label=gettext_lazy("Month"), max_length=7, required=False)
    tu = forms.DateField(
        label=gettext_lazy("From"), required=False, input_formats=["%Y-%m-%d", "%d/%m/%Y"]
    )
    den = forms.DateField(
        label=gettext_lazy("To"), required=False, input_formats=["%Y-%m-%d", "%d/%m/%Y"]
    )

    def _year_ok(self, day: date) -> bool:
        return self.FIRST_YEAR <= day.year <= self.LAST_YEAR

    def _years_error(self) -> forms.ValidationError:
        return forms.ValidationError(
            _("The period must lie between the years %(first)d and %(last)d.")
            % {"first": self.FIRST_YEAR, "last": self.LAST_YEAR}
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        first, last = data.get("tu"), data.get("den")
        month = (data.get("thang") or "").strip()
        if first or last:
            if not (first and last):
                raise forms.ValidationError(_("Give both the first and the last day."))
            if first > last:
                raise forms.ValidationError(_("The first day must not be after the last day."))
            if not (self._year_ok(first) and self._year_ok(last)):
                raise self._years_error()
            if (last - first).days >= self.MAX_DAYS:
                raise forms.ValidationError(
                    _("The period can be at most %(n)d days.") % {"n": self.MAX_DAYS}
                )
            data["period"] = RegisterPeriod(first=first, last=last)
            return data
        if not month:
            raise forms.ValidationError(
                _("Choose a month, or a first and a last day, for the tracking register.")
            )
        found = self._MONTH.match(month)
        if not found or not 1 <= int(found.group(2)) <= 12:
            raise forms.ValidationError(_("Write the month as year-month, for example 2026-02."))
        year, number = int(found.group(1)), int(found.group(2))
        if not self.FIRST_YEAR <= year <= self.LAST_YEAR:
            raise self._years_error()
        after = date(year + 1, 1, 1) if number == 12 else date(year, number + 1, 1)
        data["period"] = RegisterPeriod(
            first=date(year, number, 1), last=date.fromordinal(after.toordinal() - 1), month=True
        )
        return data


# --- actions on a dossier -------------------------------------------------------------


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class ActionForm(forms.Form):
    """What every action posts: which action, on which version of the dossier.

    `params()` gives the action's own input (motcua.dossiers.actions) from the cleaned
    data: the fields of the form, less the two above."""

    action = forms.CharField(max_length=40, widget=forms.HiddenInput)
    expected_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def params(self) -> dict[str, Any]:
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in ("action", "expected_version")
        }


class ReceiveForm(ActionForm):
    """Reception; the appointment only for a procedure whose legal time motcua cannot
    count (the officer sets it, as the receipt slip must carry one)."""

    appointment = forms.DateTimeField(
        label=gettext_lazy("Appointment (the procedure has no legal time motcua can count)"),
        input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args: Any, appointment_needed: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not appointment_needed:
            del self.fields["appointment"]


class NoteForm(ActionForm):
    note = forms.CharField(
        label=gettext_lazy("Note (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class WorkflowActionForm(NoteForm):
    consult_agency = forms.ModelChoiceField(
        label=gettext_lazy("Agency to consult"), queryset=Agency.objects.none(), required=False
    )
    assignee = forms.TypedChoiceField(
        label=gettext_lazy("Assign to"), choices=(), required=False, coerce=int, empty_value=None
    )

    def __init__(
        self,
        *args: Any,
        consult: bool = False,
        consult_agencies: Any = None,
        assignees: list[Any] | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.consult = consult
        if consult:
            self.fields["consult_agency"].queryset = consult_agencies or Agency.objects.none()
            self.fields["consult_agency"].required = True
        else:
            del self.fields["consult_agency"]
        if assignees:
            self.fields["assignee"].choices = [("", _("anyone in the team"))] + [
                (user.pk, user.get_full_name() or user.get_username()) for user in assignees
            ]
        else:
            del self.fields["assignee"]

    def params(self) -> dict[str, Any]:
        from django.contrib.auth import get_user_model

        params = super().params()
        if params.get("assignee"):
            params["assignee"] = get_user_model().objects.filter(pk=params["assignee"]).first()
        return params


class ReasonsForm(ActionForm):
    reasons = forms.CharField(
        label=gettext_lazy("Reasons (one per line)"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_reasons(self) -> list[str]:
        lines = _lines(self.cleaned_data["reasons"])
        if not lines:
            raise forms.ValidationError(_("Write at least one reason."))
        if len(lines) > MAX_LINES:
            raise forms.ValidationError(_("At most %(n)d lines.") % {"n": MAX_LINES})
        return lines


class SupplementForm(ActionForm):
    missing = forms.CharField(
        label=gettext_lazy("Papers missing or to correct, and why (one per line)"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    contact = forms.CharField(
        label=gettext_lazy("Officer to contact"), max_length=200, required=False
    )

    def clean_missing(self) -> list[str]:
        lines = _lines(self.cleaned_data["missing"])
        if not lines:
            raise forms.ValidationError(_("List at least one missing paper."))
        if len(lines) > MAX_LINES:
            raise forms.ValidationError(_("At most %(n)d lines.") % {"n": MAX_LINES})
        return lines


class FeeForm(ActionForm):
    """The financial obligation, as one bill line (what for, how much)."""

    description = forms.CharField(
        label=gettext_lazy("What the fee is for"), max_length=300,
        initial=gettext_lazy("Fee for processing the dossier"),
    )
    amount_vnd = forms.IntegerField(
        label=gettext_lazy("Amount (VND)"), min_value=1, max_value=10_000_000_000
    )


class ApologyForm(ActionForm):
    reason = forms.CharField(
        label=gettext_lazy("Reason for the delay"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    new_due_at = forms.DateTimeField(
        label=gettext_lazy("New return date and time"),
        input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def clean_new_due_at(self) -> datetime:
        value = self.cleaned_data["new_due_at"]
        if value <= timezone.now():
            raise forms.ValidationError(_("The new return date must be in the future."))
        return value


class WithdrawForm(ActionForm):
    reason = forms.CharField(
        label=gettext_lazy("Reason given by the applicant"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReturnForm(ActionForm):
    """Returning the result; `notice` tells the officer how the applicant asked for it
    (the address the post delivers to, or the electronic copy), chosen when filing."""

    electronic = forms.BooleanField(
        label=gettext_lazy("Electronic result (kept for reuse)"), required=False
    )

    def __init__(self, *args: Any, delivery: str = "", address: str = "", **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.notice = delivery_notice(delivery, address)
        if delivery == ResultDelivery.ELECTRONIC:
            self.fields["electronic"].initial = True


def delivery_notice(delivery: str, address: str) -> str:
    """What the returning officer must do with the result, in one line."""
    if delivery == ResultDelivery.POST:
        return _("Send by public post to: %(address)s") % {"address": address or "–"}
    if delivery == ResultDelivery.ELECTRONIC:
        return _(
            "The citizen receives the electronic copy: attach the signed result (PDF) and "
            "tick “Electronic result”."
        )
    if delivery == ResultDelivery.DESK:
        return _("The applicant collects the result at the one-stop desk.")
    return ""


# The form that collects each action's input, by the spec's `form` kind.
ACTION_FORMS: dict[str, type[ActionForm]] = {
    "": ActionForm,
    "receive": ReceiveForm,
    "workflow": WorkflowActionForm,
    "reasons": ReasonsForm,
    "supplement": SupplementForm,
    "fee": FeeForm,
    "apology": ApologyForm,
    "withdraw": WithdrawForm,
    "return": ReturnForm,
}


class ResultForm(forms.Form):
    """The signed electronic result (a PDF) of a decided dossier (motcua.dossiers.results)."""

    expected_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    result_file = forms.FileField(
        label=gettext_lazy("Electronic result (PDF)"),
        error_messages={"required": gettext_lazy("Choose the PDF of the signed result.")},
    )


# --- counter reception ----------------------------------------------------------------


class ProcedurePickForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Procedure"), max_length=200, required=False)


class WalkInSlipForm(forms.Form):
    """A person at the counter whose papers are not received: form 02 (what is missing)
    or 03 (why it is refused) is printed for them, and nothing is recorded."""

    slip = forms.ChoiceField(choices=[("02", "02"), ("03", "03")], widget=forms.HiddenInput)
    applicant_name = forms.CharField(label=gettext_lazy("Full name"), max_length=200)
    applicant_phone = forms.CharField(
        label=gettext_lazy("Phone"), max_length=20, required=False
    )
    applicant_address = forms.CharField(
        label=gettext_lazy("Address"), max_length=300, required=False
    )
    lines = forms.CharField(
        label=gettext_lazy(
            "Papers missing or to correct, and why; or the reasons for refusing (one per line)"
        ),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean_lines(self) -> list[str]:
        lines = _lines(self.cleaned_data["lines"])
        if not lines:
            raise forms.ValidationError(_("Write at least one line."))
        if len(lines) > MAX_LINES:
            raise forms.ValidationError(_("At most %(n)d lines.") % {"n": MAX_LINES})
        return lines


class CounterForm(forms.Form):
    """The applicant and the papers received, for one procedure version."""

    name = forms.CharField(label=gettext_lazy("Full name"), max_length=200)
    id_number = forms.CharField(
        label=gettext_lazy("Citizen ID number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    birth_date = forms.DateField(
        label=gettext_lazy("Date of birth"),
        required=False,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    phone = forms.CharField(
        label=gettext_lazy("Phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    email = forms.CharField(label=gettext_lazy("E-mail"), max_length=254, required=False)
    address = forms.CharField(label=gettext_lazy("Address"), max_length=300, required=False)
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Commune or ward"),
        queryset=AdministrativeUnit.objects.none(),
        required=False,
    )

    appointment = ReceiveForm.base_fields["appointment"]

    # How the applicant receives the result (Decree 61/2018 art. 20; the post:
    # Decision 45/2016/QĐ-TTg). The service checks the choice against the procedure.
    result_delivery = forms.ChoiceField(
        label=gettext_lazy("How the applicant receives the result"),
        choices=ResultDelivery.choices,
        initial=ResultDelivery.DESK,
        required=False,  # nothing chosen: at the desk, as before this question existed
        widget=forms.RadioSelect,
    )
    result_address = forms.CharField(
        label=gettext_lazy("Address the post delivers the result to (for the post)"),
        max_length=300,
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        papers: list[RequiredPaper],
        communes: Any,
        appointment_needed: bool = False,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = communes
        if not appointment_needed:  # the legal time gives the appointment
            del self.fields["appointment"]
        self.paper_rows: list[dict[str, Any]] = []
        for paper in papers:
            self._add_paper(str(paper.pk), paper)
        self._add_paper("other", None)

    def _add_paper(self, key: str, paper: RequiredPaper | None) -> None:
        prefix = f"paper-{key}"
        self.fields[f"{prefix}-received"] = forms.BooleanField(
            label=gettext_lazy("received"), required=False
        )
        if paper is None:
            self.fields[f"{prefix}-name"] = forms.CharField(
                label=gettext_lazy("Other paper"), max_length=500, required=False
            )
        default_form = paper.form if paper is not None else PaperForm.ORIGINAL
        self.fields[f"{prefix}-form"] = forms.ChoiceField(
            label=gettext_lazy("Original or copy"),
            choices=[
                (PaperForm.ORIGINAL, PaperForm.ORIGINAL.label),
                (PaperForm.COPY, PaperForm.COPY.label),
                (PaperForm.CERTIFIED_COPY, PaperForm.CERTIFIED_COPY.label),
            ],
            initial=default_form if default_form in PaperForm.values[:3] else PaperForm.ORIGINAL,
            required=False,
        )
        self.fields[f"{prefix}-count"] = forms.IntegerField(
            label=gettext_lazy("Number of copies"),
            min_value=1,
            max_value=99,
            initial=(paper.count if paper and paper.count else 1),
            required=False,
        )
        self.fields[f"{prefix}-file"] = forms.FileField(
            label=gettext_lazy("Scan or photo"),
            required=False,
            widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}),
        )
        self.paper_rows.append({"key": key, "prefix": prefix, "paper": paper})

    def bound_paper_rows(self) -> list[dict[str, Any]]:
        return [
            {
                **row,
                "received": self[f"{row['prefix']}-received"],
                "name": self[f"{row['prefix']}-name"] if row["paper"] is None else None,
                "form": self[f"{row['prefix']}-form"],
                "count": self[f"{row['prefix']}-count"],
                "file": self[f"{row['prefix']}-file"],
            }
            for row in self.paper_rows
        ]

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Full name: required."))
        return name

    def clean_id_number(self) -> str:
        number = "".join(self.cleaned_data["id_number"].split())
        error = cccd_error(number)
        if error:
            raise forms.ValidationError(error)
        return number

    def clean_birth_date(self) -> Any:
        value = self.cleaned_data.get("birth_date")
        if value is not None:
            error = birth_date_error(value)
            if error:
                raise forms.ValidationError(error)
        return value

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        if not phone:
            return ""
        error = phone_error(phone)
        if error:
            raise forms.ValidationError(error)
        return normalize_phone(phone)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if email:
            error = email_error(email)
            if error:
                raise forms.ValidationError(error)
        return email

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        number, birth = data.get("id_number"), data.get("birth_date")
        if number and birth and "id_number" not in self.errors:
            error = cccd_error(number, birth_date=birth)
            if error:
                self.add_error("id_number", error)
        received_any = False
        for row in self.paper_rows:
            prefix = row["prefix"]
            upload = data.get(f"{prefix}-file")
            if upload:
                try:  # checked by content; a photo stored again without its EXIF
                    content, kind = upload_read(upload)
                except UploadRefused as exc:
                    self.add_error(f"{prefix}-file", exc.message)
                    continue
                stem = os.path.splitext(os.path.basename(str(upload.name)))[0][:80] or "scan"
                data[f"{prefix}-file"] = upload = ContentFile(content, name=f"{stem}.{kind}")
            if row["paper"] is None:
                name = (data.get(f"{prefix}-name") or "").strip()
                if (data.get(f"{prefix}-received") or upload) and not name:
                    self.add_error(f"{prefix}-name", _("Write the name of the other paper."))
            if data.get(f"{prefix}-received") or upload:
                received_any = True
        if not received_any and not self.errors:
            raise forms.ValidationError(_("Tick at least one paper received."))
        return data

    def papers(self) -> list[dict[str, Any]]:
        """The papers received, in the order of the procedure (after is_valid())."""
        found = []
        for row in self.paper_rows:
            prefix = row["prefix"]
            upload = self.cleaned_data.get(f"{prefix}-file")
            if not (self.cleaned_data.get(f"{prefix}-received") or upload):
                continue
            paper = row["paper"]
            found.append(
                {
                    "name": paper.name if paper else self.cleaned_data[f"{prefix}-name"].strip(),
                    "form": self.cleaned_data.get(f"{prefix}-form") or PaperForm.ORIGINAL,
                    "count": self.cleaned_data.get(f"{prefix}-count") or 1,
                    "required_paper": paper,
                    "file": upload or None,
                }
            )
        return found
