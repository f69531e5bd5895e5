"""The database connection as production runs it (issue 14): on PostgreSQL a statement
the connection repeats is prepared once; the signed-in user comes with their profile."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client

from motcua.accounts.models import CitizenProfile
from motcua.accounts.selectors import citizen_profile


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_a_repeated_statement_is_prepared_on_postgresql():
    def prepared() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements")
            return cursor.fetchone()[0]

    before = prepared()
    for pk in range(3):
        list(get_user_model().objects.filter(pk=pk).values_list("pk"))
    assert prepared() > before


@pytest.mark.django_db
def test_the_signed_in_citizen_comes_with_the_profile(django_assert_num_queries):
    user = get_user_model().objects.create_user(username="84912345678")
    CitizenProfile.objects.create(user=user, phone="84912345678", full_name="Lò Thị Mai")
    official = get_user_model().objects.create_user(username="batxat.test")
    client = Client()
    for who, name in ((user, "Lò Thị Mai"), (official, None)):
        client.force_login(who, backend="motcua.accounts.backends.AccountBackend")
        request = client.get("/").wsgi_request
        request.user.is_authenticated  # noqa: B018  (loads the user)
        with django_assert_num_queries(0):
            profile = citizen_profile(user=request.user)
        assert (profile.full_name if profile else None) == name


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _next_request() -> None:
    """What Django does when a request starts (close_old_connections), the connection
    kept whatever its age."""
    connection.health_check_enabled = True
    connection.close_at = None
    connection.close_if_unusable_or_obsolete()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's backend")
def test_a_connection_the_server_ended_is_replaced_before_the_request_uses_it():
    import psycopg

    pid = _backend_pid()
    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"] or None,
        port=settings["PORT"] or None, autocommit=True,
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    for _ in range(200):  # the server's goodbye reaches the socket
        if not connection.idle_and_open():
            break
        time.sleep(0.01)
    _next_request()
    assert _backend_pid() != pid  # a new connection, and the statement went through


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's backend")
def test_a_healthy_connection_is_kept_without_a_round_trip(monkeypatch):
    pid = _backend_pid()

    def round_trip() -> bool:
        raise AssertionError("the health check sent a statement")

    monkeypatch.setattr(connection, "is_usable", round_trip)
    _next_request()
    assert _backend_pid() == pid
