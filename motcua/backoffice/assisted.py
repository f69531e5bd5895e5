"""Assisted online filing in the back office: a receiving officer starts the online form
for a citizen (whose phone receives the code + procedure), then walks the citizen's
question pages (motcua.portal.filing), where the citizen confirms with a code sent to
their own phone or a relative's, or by signing the printed form. Here too: the scans of
the pages citizens signed, attached afterwards. Thin: motcua.filing.assisted does the work."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from motcua.accounts.models import Role
from motcua.backoffice.selectors import dossier_for_official
from motcua.backoffice.views import Desk, _add_errors, _render, official_required
from motcua.core.downloads import private_file_response
from motcua.dossiers.models import PhoneOwner
from motcua.filing import assisted
from motcua.filing.drafts import draft_continue_page
from motcua.filing.uploads import UPLOAD_CONTENT_TYPES

SCAN_QUERY = "ban-quet"  # ?ban-quet=<dossier code>: the scan of the page the citizen signed


def draft_continue_url(draft) -> str:
    """The citizen's question page the officer continues at (the portal's filing pages,
    by URL name: the back office does not import the portal)."""
    code = draft.procedure_version.procedure.code
    page = draft_continue_page(draft)
    if page is None:
        return reverse("filing:done", args=[code, draft.pk])
    return reverse("filing:page", args=[code, draft.pk, page])


class AssistedStartForm(forms.Form):
    phone_owner = forms.ChoiceField(
        label=gettext_lazy("Whose phone receives the code?"),
        choices=[
            (PhoneOwner.CITIZEN, gettext_lazy("The citizen’s own phone")),
            (PhoneOwner.RELATIVE, gettext_lazy("The phone of a relative or acquaintance")),
            (PhoneOwner.NONE, gettext_lazy("No phone: the citizen signs the printed form")),
        ],
        widget=forms.RadioSelect,
        required=False,  # the citizen's own phone unless said otherwise
        initial=PhoneOwner.CITIZEN,
    )
    phone = forms.CharField(
        label=gettext_lazy("Mobile phone number"),
        help_text=gettext_lazy(
            "The code that confirms the dossier is sent to this number, and then the news "
            "of the dossier."
        ),
        max_length=20,
        required=False,
    )
    relative_name = forms.CharField(
        label=gettext_lazy("Full name of the phone’s owner"), max_length=100, required=False
    )
    relation = forms.CharField(
        label=gettext_lazy("How they are related to the citizen"),
        help_text=gettext_lazy("For example: son, daughter, neighbour, village head."),
        max_length=60,
        required=False,
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

    def clean(self) -> dict:
        cleaned = super().clean()
        owner = cleaned.get("phone_owner") or PhoneOwner.CITIZEN
        cleaned["phone_owner"] = owner
        if not cleaned.get("phone"):
            if owner == PhoneOwner.CITIZEN:
                self.add_error("phone", _("Enter the citizen’s mobile phone number."))
            elif owner == PhoneOwner.RELATIVE:
                self.add_error("phone", _(
                    "Enter the mobile number of the relative or acquaintance."
                ))
        return cleaned


class ScanForm(forms.Form):
    confirmation = forms.IntegerField(widget=forms.HiddenInput)
    scan = forms.FileField(
        label=gettext_lazy("Scan or photo of the signed page"),
        error_messages={"required": gettext_lazy("Choose the scan or photo of the signed page.")},
    )


@require_http_methods(["GET", "POST"])
@official_required
def assisted_home(request: HttpRequest, desk: Desk) -> HttpResponse:
    """Start an online form for a citizen; the forms this officer has in progress; the
    dossiers signed on paper at this desk whose signed page is not scanned yet."""
    if request.method == "GET" and SCAN_QUERY in request.GET:
        return _scan_file(request, desk, str(request.GET[SCAN_QUERY]))
    may_file = Role.RECEIVING_OFFICER in desk.roles
    procedures = assisted.assisted_procedures()
    posted = request.method == "POST"
    scanning = posted and request.POST.get("action") == "scan"
    form = AssistedStartForm(
        request.POST if posted and not scanning else None, procedures=procedures
    )
    scan_form = ScanForm(request.POST, request.FILES) if scanning else None
    status = 200
    if scanning:
        if _scan_attach(request, scan_form):
            return redirect(f"{reverse('backoffice:assisted')}#scans")
        status = 400
    elif posted:
        if not may_file:
            form.add_error(None, _not_receiving(desk))
        elif form.is_valid():
            data = form.cleaned_data
            try:
                draft = assisted.assisted_draft_start(
                    officer=request.user,
                    agency=desk.agency,
                    phone=data["phone"],
                    procedure_code=data["procedure"],
                    phone_owner=data["phone_owner"],
                    relation=data["relation"],
                    relative_name=data["relative_name"],
                )
            except ValidationError as exc:
                _add_errors(form, exc, aliases={"relative_phone": "phone"})
            except assisted.AssistError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect(draft_continue_url(draft))
        status = 400
    rows = [
        {"draft": draft, "phone": _phone_of(draft), "url": draft_continue_url(draft)}
        for draft in assisted.assisted_drafts_open(officer=request.user)[:MAX_ROWS]
    ]
    scans = list(assisted.assisted_scans_missing(agency=desk.agency)) if may_file else []
    context = {
        "nav": "assisted", "form": form, "may_file": may_file, "rows": rows,
        "scans": scans, "scan_form": scan_form, "scan_query": SCAN_QUERY,
    }
    return _render(request, desk, "backoffice/assisted/home.html", context, status)


MAX_ROWS = 100


def _phone_of(draft) -> str:
    """Where the draft's codes go, as the officer's list shows it."""
    row = getattr(draft, "confirmation", None)  # None for a draft started before it existed
    if row is not None and row.phone_owner == PhoneOwner.RELATIVE:
        return _("%(phone)s (%(relation)s: %(name)s)") % {
            "phone": row.phone_display, "relation": row.relation, "name": row.relative_name,
        }
    if row is not None and row.phone_owner == PhoneOwner.NONE:
        return _("no phone")
    profile = getattr(draft.citizen, "citizen_profile", None)  # None when it has none
    return assisted.phone_display(profile.phone) if profile and profile.phone else ""


def _not_receiving(desk: Desk) -> str:
    return _("Only a receiving officer of %(agency)s can file online for a citizen here.") % {
        "agency": desk.agency.name
    }


def _scan_attach(request: HttpRequest, form: ScanForm) -> bool:
    if not form.is_valid():
        return False
    try:
        assisted.assisted_scan_attach(
            officer=request.user,
            confirmation_id=form.cleaned_data["confirmation"],
            upload=form.cleaned_data["scan"],
        )
    except assisted.AssistError as exc:
        form.add_error("scan", exc.message)
        return False
    return True


def _scan_file(request: HttpRequest, desk: Desk, code: str) -> HttpResponse:
    """The scan of the page a citizen signed, for officials who may see the dossier."""
    dossier = dossier_for_official(scope=desk.scope, code=code, reader=request.user)
    row = getattr(dossier, "assisted_confirmation", None) if dossier else None
    if row is None or not row.scan:
        raise Http404
    kind = row.scan.name.rsplit(".", 1)[-1].lower()
    return private_file_response(
        row.scan.open("rb"),
        filename=row.scan.name,
        content_type=UPLOAD_CONTENT_TYPES.get(kind, "application/octet-stream"),
    )
