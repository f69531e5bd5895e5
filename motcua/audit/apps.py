from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "motcua.audit"
    verbose_name = _("audit trail")

    def ready(self) -> None:
        from motcua.audit import receivers  # noqa: F401
        from motcua.audit.admin import audit_every_admin

        # Every app's admin module is imported by now (the admin app, listed first,
        # discovers them in its own ready()): wrap each registration so that every change
        # made in the admin lands in the trail, whatever app it belongs to.
        audit_every_admin()
