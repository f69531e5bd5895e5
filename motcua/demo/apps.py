from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The Lào Cai demo: data loader and the one-command demo server."""

    name = "motcua.demo"
    label = "demo"
