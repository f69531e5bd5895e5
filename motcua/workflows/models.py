from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Workflow(models.Model):
    """A processing workflow as data: states (with national status and SLA) and actions.

    `definition` is validated by motcua.workflows.definitions.workflow_validate before
    it is saved; see that module for the schema. Versions are immutable once used:
    a change is a new row with the same code and a higher version.
    """

    code = models.SlugField(_("code"), max_length=60)
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=200)
    definition = models.JSONField(_("definition"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("workflow")
        verbose_name_plural = _("workflows")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="workflow_code_version")
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"
