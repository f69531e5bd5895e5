"""Public pages served whole from the cache (motcua.portal.pagecache).

Every test runs twice: on the local-memory cache (demo, tests) and on the real Redis
(production's REDIS_URL; tests/redis_support.py).
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.db.models import F
from django.db.models.functions import Now
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import Client
from django.test.utils import CaptureQueriesContext

from motcua.catalog.models import CatalogRevision, Procedure, ProcedureVersion
from motcua.catalog.selectors import REVISION_CACHE_KEY
from motcua.catalog.services import catalog_import, catalog_revision_bump
from motcua.core.memo import memos_clear
from motcua.portal import pagecache
from motcua.portal.pagecache import public_page, release_digest, release_id
from tests.redis_support import redis_cache_settings

pytestmark = pytest.mark.usefixtures("demo")

BIRTH = "/thu-tuc/1.001193/"
PAGES = ["/", "/tim-kiem/", "/tim-kiem/?q=khai+sinh", BIRTH]
DATA = Path(__file__).resolve().parents[2] / "motcua" / "catalog" / "data"


@pytest.fixture(autouse=True, params=["locmem", "redis"])
def cache_backend(request, settings) -> Iterator[str]:
    if request.param == "redis":
        settings.CACHES = redis_cache_settings(request.getfixturevalue("redis_url"), "pages")
        cache.clear()  # conftest's clear before the test emptied the local-memory cache
        yield request.param
        cache.clear()  # only this prefix's keys
    else:
        yield request.param


def account_menu(response) -> str:
    return re.search(r'<nav[^>]*class="account">(.*?)</nav>', response.content.decode(), re.S)[1]


@pytest.mark.parametrize("path", PAGES)
def test_a_second_visit_is_served_without_any_database_query(
    client, path, django_assert_num_queries
):
    first = client.get(path)
    assert first.status_code == 200
    with django_assert_num_queries(0):
        second = client.get(path)
    assert second.status_code == 200
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    assert second["Cache-Control"] == "max-age=0, must-revalidate"
    assert "Cookie" in second["Vary"]
    assert second["Content-Security-Policy"] == first["Content-Security-Policy"]


def test_the_cached_page_has_no_csrf_token_and_sets_no_cookie(client):
    for response in (client.get(BIRTH), client.get(BIRTH)):
        assert "csrfmiddlewaretoken" not in response.content.decode()
        assert not response.cookies


def test_each_language_has_its_own_entry(client, settings):
    vietnamese = client.get(BIRTH)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(BIRTH)
    assert '<html lang="en">' in english.content.decode()
    assert "How long it takes" in english.content.decode()
    assert english["ETag"] != vietnamese["ETag"]
    del client.cookies[settings.LANGUAGE_COOKIE_NAME]
    again = client.get(BIRTH)
    assert '<html lang="vi">' in again.content.decode()
    assert again.content == vietnamese.content


def test_the_query_string_is_part_of_the_key(client):
    birth = client.get("/tim-kiem/", {"q": "khai sinh"}).content.decode()
    land = client.get("/tim-kiem/", {"q": "đất đai"}).content.decode()
    assert birth != land
    assert 'value="khai sinh"' in birth and 'value="đất đai"' in land


def test_publishing_a_catalog_version_shows_at_once(client):
    before = client.get(BIRTH)
    entries = json.loads((DATA / "lao_cai_demo.json").read_text(encoding="utf-8"))
    entry = next(e for e in entries if e["code"] == "1.001193")
    entry["notes"] = "Ghi chú mới của bản công bố thử"
    report = catalog_import(entries=[entry], source_name="test.json")
    assert report.updated == 1
    after = client.get(BIRTH)
    assert "Ghi chú mới của bản công bố thử" in after.content.decode()
    assert "Ghi chú mới của bản công bố thử" not in before.content.decode()
    assert after["ETag"] != before["ETag"]


def test_an_edit_with_its_revision_bump_shows_at_once(client):
    """What the admin does for procedures, fields, units and agencies: save, then bump."""
    client.get(BIRTH)
    version = Procedure.objects.get(code="1.001193").current
    ProcedureVersion.objects.filter(pk=version.pk).update(notes="Sửa trong trang quản trị")
    assert "Sửa trong trang quản trị" not in client.get(BIRTH).content.decode()  # cached
    catalog_revision_bump()
    assert "Sửa trong trang quản trị" in client.get(BIRTH).content.decode()


def test_304_with_the_etag_or_the_date(client):
    first = client.get(BIRTH)
    etag, modified = first["ETag"], first["Last-Modified"]
    same = client.get(BIRTH, HTTP_IF_NONE_MATCH=etag)
    assert same.status_code == 304
    assert same.content == b""
    assert same["ETag"] == etag
    assert "Cookie" in same["Vary"]
    assert client.get(BIRTH, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    assert client.get(BIRTH, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_etag_is_the_same_in_another_process_for_the_same_page(client):
    first = client.get(BIRTH)["ETag"]
    cache.clear()  # as if the next visit reached another worker with its own cache
    assert client.get(BIRTH)["ETag"] == first


@pytest.mark.parametrize("path", PAGES)
def test_a_signed_in_citizen_never_gets_the_anonymous_page(client, path):
    anonymous = Client()
    assert 'href="/dang-nhap/"' in account_menu(anonymous.get(path))
    citizen = get_user_model().objects.create_user(username="0912345678")
    client.force_login(citizen)
    menu = account_menu(client.get(path))
    assert 'href="/tai-khoan/"' in menu and 'href="/dang-nhap/"' not in menu
    signed_in = client.get(path)
    assert not signed_in.has_header("ETag")
    # And the other way round: the signed-in page was not stored for anyone.
    menu = account_menu(Client().get(path))
    assert 'href="/dang-nhap/"' in menu and 'href="/tai-khoan/"' not in menu


def test_a_signed_in_citizen_gets_no_304_for_the_anonymous_etag(client):
    etag = Client().get(BIRTH)["ETag"]
    client.force_login(get_user_model().objects.create_user(username="0912345678"))
    response = client.get(BIRTH, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert 'href="/tai-khoan/"' in account_menu(response)


def test_the_language_link_switches_and_keeps_the_page(client, settings):
    page = client.get(BIRTH).content.decode()
    link = re.search(r'<p class="lang">\s*<a href="([^"]+)"', page)[1].replace("&amp;", "&")
    assert link == "/ngon-ngu/en/?next=/thu-tuc/1.001193/"
    response = client.get(link)
    assert response.status_code == 302
    assert response["Location"] == BIRTH
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    english = client.get(BIRTH).content.decode()
    assert '<html lang="en">' in english
    back = re.search(r'<p class="lang">\s*<a href="([^"]+)"', english)[1]
    assert back.startswith("/ngon-ngu/vi/")
    client.get(back.replace("&amp;", "&"))
    assert '<html lang="vi">' in client.get(BIRTH).content.decode()


def test_the_language_link_keeps_the_query(client):
    page = client.get("/tim-kiem/", {"q": "khai sinh"}).content.decode()
    link = re.search(r'<p class="lang">\s*<a href="([^"]+)"', page)[1].replace("&amp;", "&")
    assert client.get(link)["Location"] == "/tim-kiem/?q=khai+sinh"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", ""]
)
def test_the_language_link_goes_nowhere_else(client, target):
    response = client.get("/ngon-ngu/en/", {"next": target})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_an_unknown_language_is_404_and_sets_nothing(client, settings):
    response = client.get("/ngon-ngu/fr/", {"next": "/"})
    assert response.status_code == 404
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_the_language_cookie_follows_the_settings(client, settings):
    settings.LANGUAGE_COOKIE_NAME = "__Host-lang"
    settings.LANGUAGE_COOKIE_SECURE = True
    response = client.get("/ngon-ngu/en/", {"next": BIRTH}, secure=True)
    cookie = response.cookies["__Host-lang"]
    assert cookie.value == "en"
    assert cookie["secure"] and cookie["path"] == "/" and not cookie["domain"]
    assert cookie["samesite"] == "Lax"


def test_caching_can_be_turned_off(client, settings):
    settings.MOTCUA_PAGE_CACHE_SECONDS = 0
    client.get(BIRTH)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(BIRTH)
    assert response.status_code == 200 and not response.has_header("ETag")
    assert len(queries) > 0


@pytest.mark.parametrize("kind", ["plain", "csrf token", "cookie", "error"])
def test_only_a_plain_page_is_stored(rf, kind):
    rendered = []

    @public_page
    def view(request):
        rendered.append(kind)
        response = HttpResponse(f"<p>{kind}</p>", status=400 if kind == "error" else 200)
        if kind == "csrf token":
            response.content = get_token(request).encode()
        if kind == "cookie":
            response.set_cookie("seen", "1")
        return response

    for _ in range(2):
        request = rf.get("/x/")
        request.LANGUAGE_CODE = "vi"
        view(request)
    assert len(rendered) == (1 if kind == "plain" else 2)


def test_a_change_made_by_another_process_shows_once_the_revision_is_read_again(
    client, django_assert_num_queries
):
    """With the local-memory cache each process keeps the revision it read for
    REVISION_CACHE_SECONDS: a change committed elsewhere shows when that copy expires."""
    client.get(BIRTH)
    version = Procedure.objects.get(code="1.001193").current
    # Another process publishes: its rows and its revision bump, not this process's cache.
    ProcedureVersion.objects.filter(pk=version.pk).update(notes="Công bố từ tiến trình khác")
    CatalogRevision.objects.filter(pk=1).update(number=F("number") + 1, changed_at=Now())
    with django_assert_num_queries(0):
        assert "Công bố từ tiến trình khác" not in client.get(BIRTH).content.decode()
    # REVISION_CACHE_SECONDS later: the cached copy and this process's second are gone.
    cache.delete(REVISION_CACHE_KEY)
    memos_clear()
    assert "Công bố từ tiến trình khác" in client.get(BIRTH).content.decode()


def test_an_agency_saved_in_the_admin_moves_the_revision(admin_client):
    from motcua.catalog.selectors import catalog_revision
    from motcua.organizations.models import Agency

    agency = Agency.objects.filter(phone__gt="").first()
    url = f"/admin/organizations/agency/{agency.pk}/change/"
    form = admin_client.get(url).context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = field.widget.format_value(value) or ""
    data["phone"] = "0214 3999 999"
    before = catalog_revision()
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    agency.refresh_from_db()
    assert agency.phone == "0214 3999 999"
    assert catalog_revision() == before + 1


def test_the_pages_are_stored_in_the_variants_cache(client, cache_backend):
    client.get(BIRTH)
    backend = caches["default"]
    if cache_backend == "locmem":
        assert isinstance(backend, LocMemCache)
        return
    assert isinstance(backend, RedisCache)
    server = backend._cache.get_client(None)
    stored = list(server.scan_iter(match=f"{backend.key_prefix}:*:motcua:page:*"))
    assert len(stored) == 1
    assert isinstance(cache.get(stored[0].decode().split(":", 2)[2]), pagecache.CachedPage)


def test_a_page_this_process_served_is_served_again_without_asking_the_cache(
    client, monkeypatch
):
    first = client.get(BIRTH)
    asked = []

    class Counting:  # the cache as pagecache sees it, counting what it is asked
        def get(self, key, *args):
            asked.append((key, *args))
            return cache.get(key, *args)

        def __getattr__(self, name):
            return getattr(cache, name)

    monkeypatch.setattr(pagecache, "cache", Counting())
    assert client.get(BIRTH).content == first.content
    assert not [key for key, *_ in asked if ":page:" in key]  # no Redis round trip, no unpickling
    memos_clear()  # another process: it has the page from the shared cache
    assert client.get(BIRTH).content == first.content
    assert [key for key, *_ in asked if ":page:" in key]


def test_this_processs_copy_is_not_kept_past_the_caches_expiry(client, settings, monkeypatch):
    settings.MOTCUA_PAGE_CACHE_SECONDS = 30
    first = client.get(BIRTH)
    version = Procedure.objects.get(code="1.001193").current
    ProcedureVersion.objects.filter(pk=version.pk).update(notes="Sửa không qua bản sửa đổi")
    assert "Sửa không qua bản sửa đổi" not in client.get(BIRTH).content.decode()
    later = time.time() + 31
    monkeypatch.setattr(pagecache.time, "time", lambda: later)
    cache.clear()  # the cache's copy expired too
    assert "Sửa không qua bản sửa đổi" in client.get(BIRTH).content.decode()
    assert first.status_code == 200


# --- a new release: the key carries a hash of what renders the pages ---------------------


def test_a_new_release_renders_its_own_pages(rf, monkeypatch):
    """With Redis the pages outlive a deploy: the next release must not serve them."""
    rendered = []

    @public_page
    def view(request):
        rendered.append(pagecache.release_id())
        return HttpResponse("<p>page</p>")

    def visit() -> None:
        request = rf.get("/x/")
        request.LANGUAGE_CODE = "vi"
        view(request)

    visit()
    visit()
    assert rendered == [release_id()]
    monkeypatch.setattr(pagecache, "release_id", lambda: "0123456789abcdef")
    visit()
    visit()
    assert rendered == [release_id(), "0123456789abcdef"]


def test_the_release_id_is_computed_once_per_process():
    first = release_id()
    assert re.fullmatch(r"[0-9a-f]{16}", first)
    assert release_id() is first
    assert release_id.cache_info().currsize == 1


def test_the_release_id_follows_what_renders_the_pages(tmp_path):
    package, static = tmp_path / "motcua", tmp_path / "static"
    files = {
        "core/views.py": "def view(): pass\n",
        "portal/templates/portal/page.html": "<p>{{ x }}</p>",
        "portal/templates/portal/sms.txt": "Hồ sơ {{ code }}",
        "locale/vi/LC_MESSAGES/django.mo": "compiled",
        "locale/vi/LC_MESSAGES/django.po": "msgid ...",  # the source: not deployed as such
        "portal/static/portal/site.css": "body{}",  # reaches pages through the manifest
        "core/__pycache__/views.cpython-311.pyc": "bytecode",
        "README.md": "notes",
    }
    for name, text in files.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text, encoding="utf-8")
    static.mkdir()
    manifest = static / "staticfiles.json"
    manifest.write_text('{"paths": {"portal/site.css": "portal/site.abc123.css"}}')
    base = release_digest(package, manifest)
    assert re.fullmatch(r"[0-9a-f]{16}", base)
    assert release_digest(package, manifest) == base

    def digest_after(name: str, text: str) -> str:
        path = package / name if name != "manifest" else manifest
        before = path.read_text(encoding="utf-8")
        path.write_text(text, encoding="utf-8")
        try:
            return release_digest(package, manifest)
        finally:
            path.write_text(before, encoding="utf-8")

    for name in ("core/views.py", "portal/templates/portal/sms.txt",
                 "locale/vi/LC_MESSAGES/django.mo", "manifest"):  # fmt: skip
        assert digest_after(name, "changed") != base, name
    (package / "core/new.py").write_text("")
    assert release_digest(package, manifest) != base, "a new module"
    (package / "core/new.py").unlink()
    for name in ("locale/vi/LC_MESSAGES/django.po", "portal/static/portal/site.css",
                 "core/__pycache__/views.cpython-311.pyc", "README.md"):  # fmt: skip
        assert digest_after(name, "changed") == base, name
    assert release_digest(package, None) != base  # no manifest (runserver, tests)
    # The same release elsewhere on disk (another server, another VAR_DIR): the same id.
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(package, elsewhere / "motcua")
    shutil.copytree(static, elsewhere / "var-static")
    assert release_digest(elsewhere / "motcua", elsewhere / "var-static" / manifest.name) == base
