"""Workflow reads."""

from __future__ import annotations

from motcua.catalog.models import ProcedureVersion
from motcua.workflows.definitions import COMMUNE_WORKFLOW
from motcua.workflows.models import Workflow


def workflow_latest(*, code: str) -> Workflow:
    workflow = Workflow.objects.filter(code=code).order_by("-version").first()
    if workflow is None:
        from motcua.workflows.services import workflows_ensure_shipped

        workflows_ensure_shipped()
        workflow = Workflow.objects.filter(code=code).order_by("-version").first()
    return workflow


def workflow_for(*, procedure_version: ProcedureVersion) -> Workflow:
    """The procedure version's own workflow, else the default commune workflow."""
    if procedure_version.workflow_id:
        return procedure_version.workflow
    return workflow_latest(code=COMMUNE_WORKFLOW)
