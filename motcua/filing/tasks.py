"""Periodic jobs of online filing."""

from __future__ import annotations

from huey.contrib.djhuey import db_periodic_task

from motcua.core.tasks import vn_crontab
from motcua.filing.drafts import drafts_expiry_notice_send, drafts_purge


@db_periodic_task(vn_crontab(hour="2", minute="30"))
def drafts_housekeeping() -> None:
    """Delete long-abandoned online forms whose citizen was told, with their photos, and
    the photos of submitted ones (settings, "Retention")."""
    drafts_purge()


@db_periodic_task(vn_crontab(hour="9", minute="0"))
def drafts_expiry_notices() -> None:
    """Tell citizens whose unfinished forms are due for deletion: in the morning, not at
    night when the purge runs."""
    drafts_expiry_notice_send()
