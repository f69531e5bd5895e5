"""The audit trail for the province administrator (/mot-cua/nhat-ky/): who signed in or
failed to, who opened which dossier's personal data, who exported what, who changed what
in the administration. Search by day, action, person, address and object; newest first.

Thin: the form, motcua.audit.selectors, the template. Others get 403 (and the link is not
shown to them).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from motcua.audit.selectors import (
    AuditFilters,
    action_choices,
    action_label,
    audit_page,
    event_changes,
    event_details,
)
from motcua.audit.services import audit_search_record
from motcua.backoffice.views import Desk, _render, official_required

PAGE_SIZE = 50
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


class AuditSearchForm(forms.Form):
    tu = forms.DateField(
        label=gettext_lazy("From"),
        required=False,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    den = forms.DateField(
        label=gettext_lazy("To"),
        required=False,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    hanh_dong = forms.ChoiceField(label=gettext_lazy("What happened"), required=False)
    nguoi = forms.CharField(
        label=gettext_lazy("Who (username)"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "batxat.tiepnhan"}),
    )
    dia_chi = forms.CharField(
        label=gettext_lazy("Internet address"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"placeholder": "203.0.113.7"}),
    )
    doi_tuong = forms.CharField(
        label=gettext_lazy("About (dossier code, username…)"),
        required=False,
        max_length=200,
    )
    truoc = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["hanh_dong"].choices = action_choices()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        first, last = data.get("tu"), data.get("den")
        if first and last and first > last:
            self.add_error("den", _("The last day comes before the first day."))
        return data

    def filters(self) -> AuditFilters:
        data = self.cleaned_data
        return AuditFilters(
            date_from=data.get("tu"),
            date_to=data.get("den"),
            action=data.get("hanh_dong") or "",
            who=(data.get("nguoi") or "").strip(),
            ip=(data.get("dia_chi") or "").strip(),
            object=(data.get("doi_tuong") or "").strip(),
        )


def _forbidden(request: HttpRequest, desk: Desk) -> HttpResponse:
    message = _("Only the province administrator reads the audit trail.")
    return _render(request, desk, "backoffice/reports/forbidden.html", {"message": message}, 403)


@require_GET
@official_required
def audit_log(request: HttpRequest, desk: Desk) -> HttpResponse:
    if not desk.scope.province_admin:
        return _forbidden(request, desk)
    form = AuditSearchForm(request.GET or None)
    events: list[Any] = []
    next_url = first_url = ""
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        filters = form.filters() if form.is_bound else AuditFilters()
        before = form.cleaned_data.get("truoc") if form.is_bound else None
        events, next_pk = audit_page(filters=filters, before_pk=before, size=PAGE_SIZE)
        # Reading the trail is in the trail, after the page was read (it does not list
        # itself): who looked for whom (ASVS 5.0 V16.4.2).
        audit_search_record(request=request, filters=filters, page_before=before)
        query = request.GET.copy()
        if next_pk is not None:
            query["truoc"] = str(next_pk)
            next_url = "?" + query.urlencode()
        if before is not None:
            query.pop("truoc", None)
            first_url = "?" + query.urlencode()
    rows = [
        {
            "event": event,
            "label": action_label(event.action),
            "changes": event_changes(event),
            "details": event_details(event),
        }
        for event in events
    ]
    context = {
        "nav": "audit",
        "form": form,
        "rows": rows,
        "next_url": next_url,
        "first_url": first_url,
    }
    return _render(request, desk, "backoffice/audit.html", context, status=status)
