from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "motcua.accounts"
    label = "accounts"
    verbose_name = _("Officials and roles")

    def ready(self) -> None:
        # Signal receivers: the sign-in time of every session, the audit of lockouts.
        from motcua.accounts import lockout, signin  # noqa: F401


class AdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with its default site behind the officials' sign-in and second
    factor (listed in INSTALLED_APPS instead of "django.contrib.admin")."""

    default = False  # motcua.accounts itself is AccountsConfig
    default_site = "motcua.accounts.admin_site.SecondFactorAdminSite"
