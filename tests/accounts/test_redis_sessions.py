"""Sessions as production keeps them with REDIS_URL (motcua/settings.py): read from the
shared Redis cache, written through to the database. A signed-in page then reads no
session row, and signing out ends the session everywhere, cache included."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.redis_support import redis_cache_settings


@pytest.fixture(autouse=True)
def _redis_sessions(settings, redis_url):
    settings.CACHES = redis_cache_settings(redis_url, "sessions")
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    yield
    caches["default"].clear()


def test_a_signed_in_page_reads_the_session_from_redis_and_sign_out_ends_it(db):
    citizen = get_user_model().objects.create_user(username="0912345678")
    client = Client()
    client.force_login(citizen)
    key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=key).exists()  # written through
    client.get("/ho-so-cua-toi/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/ho-so-cua-toi/").status_code == 200
    assert not [q for q in queries.captured_queries if "django_session" in q["sql"]]

    client.post("/dang-xuat/")
    assert not Session.objects.filter(session_key=key).exists()
    stolen = Client()
    stolen.cookies[django_settings.SESSION_COOKIE_NAME] = key
    response = stolen.get("/ho-so-cua-toi/")
    assert response.status_code == 302 and "/dang-nhap/" in response["Location"]
