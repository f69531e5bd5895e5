from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "motcua.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from motcua.notifications.contrib import PLUGIN_MODULES

        for module in PLUGIN_MODULES:
            import_module(module)  # each registers its channel
