"""The admin site behind the officials' sign-in: password, then the authenticator code,
on the back office's sign-in page; the admin's own login page only sends there."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from motcua.accounts.credentials import official_must_change_password
from motcua.accounts.signin import second_factor_verified


def _must_change(request: HttpRequest) -> bool:
    # has_permission is asked several times a page: one read per request.
    if not hasattr(request, "_motcua_must_change"):
        request._motcua_must_change = official_must_change_password(user=request.user)
    return request._motcua_must_change


class SecondFactorAdminSite(admin.AdminSite):
    """Django's admin, for staff whose session passed the second factor and who have no
    temporary password left to change (ASVS 5.0 V6.3.3, V6.4.1)."""

    def has_permission(self, request: HttpRequest) -> bool:
        return (
            super().has_permission(request)
            and second_factor_verified(request)
            and not _must_change(request)
        )

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        index = reverse("admin:index", current_app=self.name)
        if request.user.is_authenticated and second_factor_verified(request):
            if _must_change(request):
                return redirect(f"{reverse('backoffice:password')}?{urlencode({'next': index})}")
            if not (request.user.is_active and request.user.is_staff):
                raise PermissionDenied  # signed in properly, but not an administrator
        target = request.GET.get("next") or index
        return redirect(f"{reverse('backoffice:login')}?{urlencode({'next': target})}")

    def password_change(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        # One page to change a password, with the validators and the audit trail.
        index = reverse("admin:index", current_app=self.name)
        return redirect(f"{reverse('backoffice:password')}?{urlencode({'next': index})}")
