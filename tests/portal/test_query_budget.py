"""Query budgets of the citizen's pages, signed in (issue 14, "cheaper signed-in pages"):
each page may make at most this many database queries. A page that grows fails here;
a change that needs more raises the number in the same change and says why.

What the numbers hold: every page reads the session and the user with the citizen's
profile (2, motcua.accounts.backends); none writes the session (renewed every few
minutes only, motcua.accounts.middleware.session_renew)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from motcua.dossiers.models import Draft
from tests.filing.birth import BASE, CODE, child, file_every_page
from tests.filing.conftest import commune_code  # noqa: F401  (a fixture)

BUDGET = {
    "home": 2,
    "search": 3,  # + the catalog revision the search index is checked against
    # + the version with its fees and papers, whether it has an online form, the
    # citizen's profile read with the user (whose commune's desk helps: the desk itself
    # from a memo, motcua.core.memo)
    "procedure": 6,
    # + the draft (its version and form from memos)
    "question GET": 3,
    # + the draft, then one statement writing the answer and the page to resume at
    "question POST": 4,
    "my dossiers": 5,  # + a page of dossiers, those waiting for the citizen, the drafts
    "dossier": 9,  # + the dossier, its events, papers, form, rating, bill, the supplement
}


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def citizen_client(demo) -> Client:
    cache.clear()
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(get_user_model().objects.create_user(username="0912345678"))
    client.get("/")  # the session's first request stores its end (a write, once)
    return client


def within_budget(assert_max, client: Client, page: str, url: str, data=None, *, post=False,
                  status: int = 200):
    """The page asked twice: the first warms what is cached (the search index, the memos);
    the second, what most visitors meet, is held to the budget."""
    send = client.post if post else client.get
    if not post:
        send(url, data or {})
    with assert_max(BUDGET[page]):
        response = send(url, data or {})
    assert response.status_code == status, (page, response.status_code)
    return response


def test_public_pages(citizen_client, django_assert_max_num_queries):
    within_budget(django_assert_max_num_queries, citizen_client, "home", "/")
    within_budget(django_assert_max_num_queries, citizen_client, "search", "/tim-kiem/",
                  {"q": "khai sinh"})
    within_budget(django_assert_max_num_queries, citizen_client, "procedure", f"/thu-tuc/{CODE}/")


def test_question_page(citizen_client, django_assert_max_num_queries):
    citizen_client.post(BASE)
    url = f"{BASE}{Draft.objects.get().pk}/tre/"
    within_budget(django_assert_max_num_queries, citizen_client, "question GET", url)
    response = within_budget(django_assert_max_num_queries, citizen_client, "question POST", url,
                             {**child(), "action": "continue"}, post=True, status=302)
    assert response["Location"].endswith("/cha_me/")
    assert Draft.objects.get().answers["tre"]["ho_ten"] == "Lò Văn An"


def test_my_dossiers(citizen_client, commune_code, django_assert_max_num_queries):  # noqa: F811
    citizen_client.post(BASE)
    draft = Draft.objects.get()
    file_every_page(citizen_client, draft, commune_code)
    response = citizen_client.post(f"{BASE}{draft.pk}/kiem-tra/", {"key": draft.idempotency_key})
    assert response.status_code == 302
    page = within_budget(django_assert_max_num_queries, citizen_client, "my dossiers",
                         "/ho-so-cua-toi/")
    link = re.search(r'href="(/ho-so-cua-toi/[^"/?]+/)"', page.content.decode()).group(1)
    within_budget(django_assert_max_num_queries, citizen_client, "dossier", link)
