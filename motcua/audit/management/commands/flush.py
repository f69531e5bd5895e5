"""Django's `flush`, allowed to empty the append-only tables too.

`flush` wipes every table; the append-only triggers (motcua.audit.appendonly) would stop
it at the audit trail and the dossiers' history. This command lets the database go empty
for its own transaction only, then runs Django's. The tests run it after every
transactional test (pytest-django, Django's TransactionTestCase); on a production database
nobody should run it at all.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush

from motcua.audit.appendonly import purge_allowed


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        with purge_allowed(options["database"]):
            super().handle(**options)
