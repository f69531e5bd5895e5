"""Public tracking page: dossier code + last four digits of the applicant's phone.

Thin: check the form, count the attempt, call the selector, render. A wrong code and
wrong digits get the same answer; more than TRACKING_LIMIT attempts from one address
in TRACKING_WINDOW_SECONDS get 429 (counted in the database: every worker together).
"""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from motcua.core.net import client_ip
from motcua.dossiers.tracking import (
    MAX_CODE_LENGTH,
    TRACKING_WINDOW_SECONDS,
    dossier_tracking,
    tracking_attempt,
    tracking_retry_after,
)


class TrackForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Dossier code"), max_length=MAX_CODE_LENGTH)
    phone_last4 = forms.RegexField(
        label=gettext_lazy("Last 4 digits of the phone number given when filing"),
        regex=r"^\d{4}$",
        max_length=4,
        error_messages={"invalid": gettext_lazy("Enter exactly 4 digits, e.g. 5678.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": 4}),
    )

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split()).upper()


@never_cache
@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        form = TrackForm(initial={"code": request.GET.get("ma", "")[:MAX_CODE_LENGTH]})
        return render(request, "portal/track.html", {"form": form})
    form = TrackForm(request.POST)
    if not tracking_attempt(client=client_ip(request)):
        context = {
            "form": form,
            "limited": _(
                "Too many attempts from your connection. Wait %(minutes)d minutes and try "
                "again, or call the one-stop desk."
            )
            % {"minutes": TRACKING_WINDOW_SECONDS // 60},
        }
        response = render(request, "portal/track.html", context, status=429)
        response["Retry-After"] = str(tracking_retry_after())
        return response
    if not form.is_valid():
        return render(request, "portal/track.html", {"form": form}, status=400)
    view = dossier_tracking(
        code=form.cleaned_data["code"], phone_last4=form.cleaned_data["phone_last4"]
    )
    if view is None:
        return render(request, "portal/track.html", {"form": form, "not_found": True}, status=404)
    return render(request, "portal/track.html", {"form": TrackForm(), "view": view})
