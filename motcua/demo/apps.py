from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The Lào Cai demo: data loader and the one-command demo server."""

    name = "motcua.demo"
    label = "demo"
    verbose_name = _("Demo")
