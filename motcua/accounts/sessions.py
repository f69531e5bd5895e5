"""Django's database sessions, the row read by a statement compiled once.

Every signed-in request reads its session row; the ORM compiling that query anew each
time cost more than the database did (motcua.core.reads, issue 14). Same rows, same
expiry: a session whose end has passed is not used (it is deleted by clearsessions).
With Redis, sessions are read from the cache first (settings: cached_db), and this is
not used.
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.utils import timezone

from motcua.core.reads import KeyRead

_session_by_key = KeyRead(lambda key: Session.objects.filter(session_key=key))


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Session | None:
        session = _session_by_key.one(key=self.session_key)
        if session is None or session.expire_date <= timezone.now():
            self._session_key = None
            return None
        return session
