"""Workflow writes."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from motcua.workflows.definitions import SHIPPED, workflow_validate
from motcua.workflows.models import Workflow
from motcua.workflows.selectors import workflow_latest_forget


def workflow_create(*, code: str, name: str, definition: dict[str, Any]) -> Workflow:
    """A new version of workflow `code` (versions in use are never edited)."""
    workflow_validate(definition)
    with transaction.atomic():
        latest = Workflow.objects.select_for_update().filter(code=code).first()
        if latest is not None and latest.definition == definition and latest.name == name:
            return latest
        # The new version is the latest: forget the old one now and again on commit.
        workflow_latest_forget()
        transaction.on_commit(workflow_latest_forget)
        return Workflow.objects.create(
            code=code,
            name=name,
            definition=definition,
            version=(latest.version + 1) if latest else 1,
        )


def workflows_ensure_shipped() -> list[Workflow]:
    """Create (or bring up to date) the workflows motcua ships. Idempotent."""
    return [
        workflow_create(code=code, name=name, definition=definition)
        for code, (name, definition) in SHIPPED.items()
    ]
