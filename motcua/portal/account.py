"""The citizen's account: who they are signed in as, how they want news of their
dossiers (SMS, Zalo or e-mail; one question on the contact page), and the download of
everything the portal holds about them (motcua.dossiers.my_data)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from motcua.accounts.selectors import citizen_profile
from motcua.accounts.services import citizen_contact_set
from motcua.audit.services import audit_record
from motcua.core.downloads import private_file_response
from motcua.dossiers.my_data import citizen_data_export
from motcua.notifications.selectors import contact_preference_for
from motcua.portal.filing import citizen_required

CHANNELS = (
    ("sms", gettext_lazy("SMS text message")),
    ("zalo", gettext_lazy("Zalo message (to the same phone number)")),
    ("email", gettext_lazy("E-mail")),
)


def _phone_shown(phone: str) -> str:
    return "0" + phone[2:] if phone.startswith("84") else phone


@citizen_required
def overview(request: HttpRequest) -> HttpResponse:
    profile = citizen_profile(user=request.user)
    channel = contact_preference_for(
        phone=profile.phone or "", email=profile.email
    ) if profile else ""
    return render(request, "portal/account/overview.html", {
        "profile": profile,
        "phone": _phone_shown(profile.phone or "") if profile else "",
        "channel": dict(CHANNELS).get(channel, _("SMS text message")),
    })


@citizen_required
@require_http_methods(["GET", "POST"])
def contact(request: HttpRequest) -> HttpResponse:
    profile = citizen_profile(user=request.user)
    if profile is None or not profile.phone:
        return render(request, "portal/account/no_phone.html", status=404)
    errors: dict[str, str] = {}
    if request.method == "POST":
        channel = str(request.POST.get("channel", ""))
        email = str(request.POST.get("email", ""))[:254]
        if channel not in dict(CHANNELS):
            errors["channel"] = _("Choose how you want to be told.")
        else:
            try:
                citizen_contact_set(user=request.user, channel=channel, email=email)
            except ValidationError as exc:
                messages_by_field = exc.message_dict if hasattr(exc, "error_dict") else {
                    "channel": exc.messages
                }
                errors = {k: " ".join(v) for k, v in messages_by_field.items()}
            else:
                messages.success(request, _("Saved. We will tell you by %(channel)s.") % {
                    "channel": dict(CHANNELS)[channel]
                })
                return redirect(reverse("citizen:account"))
        chosen = channel
    else:
        email = profile.email
        chosen = contact_preference_for(phone=profile.phone, email=profile.email) or "sms"
    return render(request, "portal/account/contact.html", {
        "channels": CHANNELS,
        "chosen": chosen,
        "email": email,
        "phone": _phone_shown(profile.phone),
        "errors": errors,
        "error_list": [(f"f-{name}", message) for name, message in errors.items()],
    }, status=400 if errors else 200)


@citizen_required
@require_GET
def my_data(request: HttpRequest) -> HttpResponse:
    """The citizen's own data as a JSON file (Decree 13/2023/NĐ-CP art. 9(3), 9(7)):
    a download never kept by a browser or proxy (ASVS 5.0 V14.3.2), and on record."""
    data = citizen_data_export(citizen=request.user)
    audit_record(
        action="citizen.data_export",
        request=request,
        detail=f"{len(data['dossiers'])} dossier(s), {len(data['unfinished_forms'])} form(s)",
    )
    body = json.dumps(data, ensure_ascii=False, indent=2, cls=DjangoJSONEncoder)
    return private_file_response(
        body.encode(),
        filename=f"du-lieu-cua-toi-{timezone.localdate():%Y%m%d}.json",
        content_type="application/json; charset=utf-8",
    )
