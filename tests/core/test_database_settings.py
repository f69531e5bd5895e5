"""The database connection as production runs it (issue 14): on PostgreSQL a statement
the connection repeats is prepared once; the signed-in user comes with their profile."""

from __future__ import annotations

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
