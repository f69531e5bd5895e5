"""Citizen sign-in: phone number → one-time code by SMS, or VNeID (OpenID Connect).

Thin: check the form, call the accounts services, render. Plain HTML forms: every step
works with JavaScript off. One question per page.
"""

from __future__ import annotations

import logging

from django import forms
from django.contrib.auth import login, logout
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from motcua.accounts.contrib.oidc import client as oidc
from motcua.accounts.middleware import session_renew
from motcua.accounts.services import (
    OtpError,
    citizen_from_oidc_claims,
    phone_otp_send,
    phone_otp_verify,
)
from motcua.audit.services import audit_code_failed, audit_vneid_failed
from motcua.core.net import client_ip

logger = logging.getLogger(__name__)

SESSION_OTP = "citizen_otp"  # {"id": PhoneOtp pk, "phone": "84…"}
SESSION_NEXT = "citizen_next"
SESSION_OIDC = "citizen_oidc"
BACKEND = "motcua.accounts.backends.AccountBackend"


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=gettext_lazy("Your mobile phone number"),
        max_length=20,
        error_messages={"required": gettext_lazy("Enter your mobile phone number.")},
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("The 6-digit code in the SMS"),
        max_length=12,
        error_messages={"required": gettext_lazy("Enter the 6-digit code from the SMS.")},
    )


def _safe_next(request: HttpRequest, value: str | None) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return "/"


def _remember_next(request: HttpRequest) -> None:
    value = request.POST.get("next") or request.GET.get("next")
    if value is not None:
        request.session[SESSION_NEXT] = _safe_next(request, value)


def _phone_display(phone: str) -> str:
    local = "0" + phone[2:]
    return f"{local[:4]} {local[4:7]} {local[7:]}"


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    """Page 1: the phone number."""
    _remember_next(request)
    context = {"vneid": oidc.vneid_config() is not None}
    if request.method == "GET":
        return render(request, "portal/auth/phone.html", {**context, "form": PhoneForm()})
    form = PhoneForm(request.POST)
    if not form.is_valid():
        return render(request, "portal/auth/phone.html", {**context, "form": form}, status=400)
    return _send_code(request, form, form.cleaned_data["phone"], context)


def _send_code(request: HttpRequest, form: forms.Form, phone: str, context: dict) -> HttpResponse:
    try:
        row = phone_otp_send(phone=phone, client_ip=client_ip(request))
    except ValidationError as exc:
        for message in exc.message_dict.get("phone", exc.messages):
            form.add_error("phone", message)
        return render(request, "portal/auth/phone.html", {**context, "form": form}, status=400)
    except OtpError as exc:
        return render(
            request,
            "portal/auth/phone.html",
            {**context, "form": form, "limited": exc.message},
            status=429,
        )
    request.session[SESSION_OTP] = {"id": row.pk, "phone": row.phone}
    return redirect("citizen:code")


@never_cache
@require_http_methods(["GET", "POST"])
def enter_code(request: HttpRequest) -> HttpResponse:
    """Page 2: the code."""
    pending = request.session.get(SESSION_OTP)
    if not pending:
        return redirect("citizen:sign_in")
    context = {"phone": _phone_display(pending["phone"]), "vneid": oidc.vneid_config() is not None}
    if request.method == "GET":
        return render(request, "portal/auth/code.html", {**context, "form": CodeForm()})
    form = CodeForm(request.POST)
    if not form.is_valid():
        return render(request, "portal/auth/code.html", {**context, "form": form}, status=400)
    try:
        user = phone_otp_verify(otp_id=pending["id"], code=form.cleaned_data["code"])
    except OtpError as exc:
        audit_code_failed(request=request, phone=pending["phone"], reason=exc.code or "")
        form.add_error("code", exc.message)
        dead = exc.code in {"locked", "expired", "used"}
        return render(
            request, "portal/auth/code.html", {**context, "form": form, "dead": dead}, status=400
        )
    return _signed_in(request, user)


def _signed_in(request: HttpRequest, user) -> HttpResponse:
    target = _safe_next(request, request.session.pop(SESSION_NEXT, None))
    request.session.pop(SESSION_OTP, None)
    login(request, user, backend=BACKEND)  # rotates the session key
    return redirect(target)


@never_cache
@require_POST
def resend_code(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(SESSION_OTP)
    if not pending:
        return redirect("citizen:sign_in")
    form = PhoneForm({"phone": "0" + pending["phone"][2:]})
    form.is_valid()
    return _send_code(request, form, pending["phone"], {"vneid": oidc.vneid_config() is not None})


@never_cache
@require_POST
def keepalive(request: HttpRequest) -> HttpResponse:
    """The "continue" button of the session-expiry warning: renews the session's idle
    expiry in full (other requests renew it only when it has run down a few minutes) and
    says whether it was still alive: 204 to the script, with the seconds left in
    X-Session-Expires-In (401 when it had already ended), a redirect to a plain form post."""
    from_script = request.headers.get("X-Requested-With") == "fetch"
    back = _safe_next(request, request.POST.get("next"))
    if not request.user.is_authenticated:
        if from_script:
            return HttpResponse(status=401)
        return redirect(f"{reverse('citizen:sign_in')}?{urlencode({'next': back})}")
    session_renew(request.session, force=True)
    return HttpResponse(status=204) if from_script else redirect(back)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("/")


# --- VNeID (OpenID Connect) -----------------------------------------------------------------


def _oidc_failed(request: HttpRequest, status: int = 400) -> HttpResponse:
    return render(
        request,
        "portal/auth/phone.html",
        {
            "form": PhoneForm(),
            "vneid": oidc.vneid_config() is not None,
            "limited": _(
                "Signing in with VNeID did not work. Try again, or sign in with your phone number."
            ),
        },
        status=status,
    )


def _oidc_cancelled(request: HttpRequest) -> HttpResponse:
    # Not an error: the citizen said no at VNeID. Back to the choice, nothing kept.
    return render(
        request,
        "portal/auth/phone.html",
        {
            "form": PhoneForm(),
            "vneid": oidc.vneid_config() is not None,
            "notice": _(
                "You cancelled signing in with VNeID, so VNeID shared nothing with us. "
                "You can try VNeID again, or sign in with your phone number below."
            ),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def vneid_start(request: HttpRequest) -> HttpResponse:
    config = oidc.vneid_config()
    if config is None:
        return redirect("citizen:sign_in")
    _remember_next(request)
    redirect_uri = request.build_absolute_uri(reverse("citizen:vneid_callback"))
    try:
        url, pending = oidc.authorization_start(config, redirect_uri=redirect_uri)
    except oidc.OidcError as exc:
        logger.warning("VNeID sign-in could not start: %s", exc.reason)
        return _oidc_failed(request, status=502)
    request.session[SESSION_OIDC] = pending
    return redirect(url)


@never_cache
@require_http_methods(["GET"])
def vneid_callback(request: HttpRequest) -> HttpResponse:
    config = oidc.vneid_config()
    if config is None:
        return redirect("citizen:sign_in")
    pending = request.session.pop(SESSION_OIDC, None)
    try:
        claims = oidc.authorization_finish(config, params=request.GET.dict(), pending=pending)
        user = citizen_from_oidc_claims(claims=claims, id_claim=config.id_claim)
    except oidc.OidcError as exc:
        if exc.error == "access_denied":
            logger.info("VNeID sign-in cancelled by the citizen")
            return _oidc_cancelled(request)
        logger.warning("VNeID sign-in refused: %s", exc.reason)
        audit_vneid_failed(request=request, reason=str(exc.reason))
        return _oidc_failed(request)
    except OtpError as exc:
        audit_vneid_failed(request=request, reason=exc.code or "")
        return _oidc_failed(request)
    return _signed_in(request, user)
