"""Periodic jobs of online filing."""

from __future__ import annotations

from huey.contrib.djhuey import db_periodic_task

from motcua.core.tasks import vn_crontab
from motcua.filing.drafts import drafts_purge


@db_periodic_task(vn_crontab(hour="2", minute="30"))
def drafts_housekeeping() -> None:
    """Delete long-abandoned online forms and the photos of submitted ones."""
    drafts_purge()
