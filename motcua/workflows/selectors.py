"""Workflow reads."""

from __future__ import annotations

from motcua.catalog.models import ProcedureVersion
from motcua.core.memo import Memo
from motcua.workflows.definitions import COMMUNE_WORKFLOW
from motcua.workflows.models import Workflow


def workflow_latest(*, code: str) -> Workflow:
    workflow = Workflow.objects.filter(code=code).order_by("-version").first()
    if workflow is None:
        from motcua.workflows.services import workflows_ensure_shipped

        workflows_ensure_shipped()
        workflow = Workflow.objects.filter(code=code).order_by("-version").first()
    return workflow


# The default workflow every reception reads. A stored version is never edited; a new
# one (workflow_create clears this in its process) reaches other processes within a
# minute. Shared by the threads of the process: read only.
_latest: Memo[Workflow] = Memo(seconds=60, size=16)


def workflow_latest_cached(*, code: str) -> Workflow:
    return _latest.get(code, lambda: workflow_latest(code=code))


def workflow_latest_forget() -> None:
    _latest.clear()


def workflow_for(*, procedure_version: ProcedureVersion) -> Workflow:
    """The procedure version's own workflow, else the default commune workflow."""
    if procedure_version.workflow_id:
        return procedure_version.workflow
    return workflow_latest_cached(code=COMMUNE_WORKFLOW)
