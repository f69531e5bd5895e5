"""Assisted online filing in the back office: a receiving officer starts the online form
for a citizen (phone number + procedure), then walks the citizen's question pages
(motcua.portal.filing); the citizen confirms with the code sent to their phone.
Thin: motcua.filing.assisted does the work."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from motcua.accounts.models import Role
from motcua.backoffice.views import Desk, _add_errors, _render, official_required
from motcua.filing import assisted
from motcua.filing.drafts import draft_continue_page


def draft_continue_url(draft) -> str:
    """The citizen's question page the officer continues at (the portal's filing pages,
    by URL name: the back office does not import the portal)."""
    code = draft.procedure_version.procedure.code
    page = draft_continue_page(draft)
    if page is None:
        return reverse("filing:done", args=[code, draft.pk])
    return reverse("filing:page", args=[code, draft.pk, page])


class AssistedStartForm(forms.Form):
    phone = forms.CharField(
        label=gettext_lazy("The citizen’s mobile phone number"),
        help_text=gettext_lazy("The code that confirms the dossier is sent to this number."),
        max_length=20,
        error_messages={"required": gettext_lazy("Enter the citizen’s mobile phone number.")},
    )
    procedure = forms.ChoiceField(
        label=gettext_lazy("Procedure"),
        error_messages={
            "required": gettext_lazy("Choose a procedure."),
            "invalid_choice": gettext_lazy("Choose a procedure that can be filed online."),
        },
    )

    def __init__(self, *args, procedures: list, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["procedure"].choices = [("", "—")] + [
            (version.procedure.code, f"{version.procedure.code} · {version.name}")
            for version, _form in procedures
        ]


@require_http_methods(["GET", "POST"])
@official_required
def assisted_home(request: HttpRequest, desk: Desk) -> HttpResponse:
    """Start an online form for a citizen, and the forms this officer has in progress."""
    may_file = Role.RECEIVING_OFFICER in desk.roles
    procedures = assisted.assisted_procedures()
    form = AssistedStartForm(
        request.POST if request.method == "POST" else None, procedures=procedures
    )
    status = 200
    if request.method == "POST":
        if not may_file:
            form.add_error(None, _not_receiving(desk))
        elif form.is_valid():
            try:
                draft = assisted.assisted_draft_start(
                    officer=request.user,
                    agency=desk.agency,
                    phone=form.cleaned_data["phone"],
                    procedure_code=form.cleaned_data["procedure"],
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            except assisted.AssistError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect(draft_continue_url(draft))
        status = 400
    rows = [
        {"draft": draft, "phone": _phone_of(draft), "url": draft_continue_url(draft)}
        for draft in assisted.assisted_drafts_open(officer=request.user)[:MAX_ROWS]
    ]
    context = {"nav": "assisted", "form": form, "may_file": may_file, "rows": rows}
    return _render(request, desk, "backoffice/assisted/home.html", context, status)


MAX_ROWS = 100


def _phone_of(draft) -> str:
    profile = getattr(draft.citizen, "citizen_profile", None)  # None when it has none
    return assisted.phone_display(profile.phone) if profile and profile.phone else ""


def _not_receiving(desk: Desk) -> str:
    return _("Only a receiving officer of %(agency)s can file online for a citizen here.") % {
        "agency": desk.agency.name
    }
