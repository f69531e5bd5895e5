from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "motcua.reporting"
    verbose_name = "Reporting"
