from importlib import import_module

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "motcua.payments"
    label = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from motcua.payments.contrib import PLUGIN_MODULES

        for module in PLUGIN_MODULES:
            import_module(module)  # each registers its method
