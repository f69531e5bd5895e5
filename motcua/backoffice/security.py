"""Officials' own security pages and the administrators' "Tài khoản cán bộ": changing
one's password, the lockout page, and unlocking, resetting the password or the
authenticator app of the officials an administrator looks after."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import authenticate, get_user_model, logout, update_session_auth_hash
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from motcua.accounts import lockout
from motcua.accounts.credentials import (
    manages_officials,
    official_must_change_password,
    official_password_change,
    official_password_reset,
    official_second_factor_reset,
    official_unlock,
    officials_for_admin,
    temporary_password_lifetime,
)
from motcua.backoffice.views import Desk, _render, official_required, signed_in_required

# --- the lockout page (settings.AXES_LOCKOUT_CALLABLE) ------------------------------------


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """429 in the back office's layout: what happened, until when, whom to call."""
    username = (credentials or {}).get("username") or request.POST.get("username") or ""
    found = lockout.lockout_of(username=username, ip=lockout.axes_client_ip(request))
    context = {
        "kind": found.kind if found else "account",
        "minutes": found.minutes_left if found else None,
        "until": found.until if found else None,
        "account_limit": lockout.account_limit(),
        "address_limit": lockout.address_limit(),
    }
    return render(request, "backoffice/locked_out.html", context, status=429)


# --- one's own password ----------------------------------------------------------------------


class PasswordChangeForm(forms.Form):
    current = forms.CharField(
        label=gettext_lazy("Your current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new1 = forms.CharField(
        label=gettext_lazy("New password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new2 = forms.CharField(
        label=gettext_lazy("New password again"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("new1") and data.get("new2") and data["new1"] != data["new2"]:
            self.add_error("new2", _("The two new passwords are not the same."))
        return data


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@never_cache
@require_http_methods(["GET", "POST"])
@signed_in_required
def password_change(request: HttpRequest, desk: Desk | None) -> HttpResponse:
    """The current password, the new one twice (ASVS 5.0 V6.2.2, V6.2.3). The current one
    goes through authenticate(), so wrong guesses count towards the lockout."""
    must_change = official_must_change_password(user=request.user)
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = request.user
        checked = authenticate(
            request, username=user.get_username(), password=form.cleaned_data["current"]
        )
        if getattr(request, "axes_locked_out", False):
            logout(request)  # someone is guessing this official's password
            return redirect("backoffice:login")
        if checked is None or checked.pk != user.pk:
            form.add_error("current", _("This is not your current password."))
        else:
            try:
                official_password_change(
                    user=user, new_password=form.cleaned_data["new1"], request=request
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error("new1", message)
            else:
                update_session_auth_hash(request, user)  # this session goes on, others end
                messages.success(request, _("Your password has been changed."))
                return redirect(_safe_next(request, reverse("backoffice:inbox")))
    context = {
        "form": form,
        "must_change": must_change,
        "next": _safe_next(request, ""),
        "nav": "password",
        "rules": password_validators_help_texts(),
    }
    status = 400 if form.is_bound and form.errors else 200
    if desk is None:
        return render(request, "backoffice/password_change.html", context, status=status)
    return _render(request, desk, "backoffice/password_change.html", context, status=status)


# --- the officials an administrator looks after -------------------------------------------


def _admin_only(request: HttpRequest) -> None:
    if not manages_officials(user=request.user):
        raise PermissionDenied


@never_cache
@require_GET
@official_required
def officials(request: HttpRequest, desk: Desk) -> HttpResponse:
    """Tài khoản cán bộ: who is locked out, who has two-step sign-in, who must change a
    temporary password; and the buttons to help them."""
    _admin_only(request)
    query = request.GET.get("q", "")[:100]
    rows, cut = officials_for_admin(actor=request.user, query=query)
    context = {"rows": rows, "cut": cut, "query": query, "nav": "officials"}
    return _render(request, desk, "backoffice/officials.html", context)


_ACTIONS = {"unlock", "reset_password", "reset_second_factor"}


@never_cache
@require_POST
@official_required
def official_action(request: HttpRequest, desk: Desk, pk: int) -> HttpResponse:
    _admin_only(request)
    target = get_object_or_404(get_user_model(), pk=pk, is_active=True)
    action = request.POST.get("action", "")
    if action not in _ACTIONS:
        return redirect("backoffice:officials")
    name = target.get_full_name() or target.get_username()
    if action == "unlock":
        official_unlock(actor=request.user, target=target, request=request)
        messages.success(request, _("%(name)s can sign in again.") % {"name": name})
    elif action == "reset_second_factor":
        official_second_factor_reset(actor=request.user, target=target, request=request)
        messages.success(
            request,
            _(
                "Two-step sign-in of %(name)s was reset. At the next sign-in, after the "
                "password, they set up the authenticator app on their new phone."
            )
            % {"name": name},
        )
    else:
        password = official_password_reset(actor=request.user, target=target, request=request)
        # Shown once, on this answer only: never stored, never put in a message.
        hours = round(temporary_password_lifetime().total_seconds() / 3600)
        context = {"target": target, "password": password, "hours": hours, "nav": "officials"}
        return _render(request, desk, "backoffice/official_password.html", context)
    return redirect("backoffice:officials")
