"""Django's PostgreSQL backend, with a health check that costs no round trip.

A connection kept between requests (CONN_MAX_AGE) may have been closed by the server
meanwhile: restarted, the backend terminated, an idle timeout, PgBouncer's. Django's
health check (CONN_HEALTH_CHECKS) finds out with a `SELECT 1` before each request's
first statement: one round trip in four on a signed-in question page, and the server's
work too (issue 14, bench/portal.py). A server that ends a session first says so (an
ErrorResponse such as 57P01 "terminating connection due to administrator command") or
closes the socket, and either makes the idle socket readable, while a healthy idle
connection has nothing to read (psycopg reads every answer to the end). So the check
here polls the socket without waiting: anything to read, a hang-up or an error, and the
connection is closed and a new one opened before the request uses it. A false alarm
(a notice nobody asked for) costs only a reconnection.

What neither check finds: a peer that vanished without a word (a cable cut, a firewall
dropping the state). `SELECT 1` would hang there too, until TCP gives up.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self) -> None:
        if (
            self.pool
            or self.connection is None
            or not self.health_check_enabled
            or self.health_check_done
        ):
            return
        if not self.idle_and_open():
            self.close()
        self.health_check_done = True

    def idle_and_open(self) -> bool:
        """Whether the connection is open and the server has sent nothing unasked."""
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        try:
            poller = select.poll()
            poller.register(connection.fileno(), select.POLLIN | select.POLLPRI)
            return not poller.poll(0)
        except (OSError, ValueError):
            return False
