"""Shared test fixtures: a real headless Chromium (Debian's) driven by Playwright."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from tests.redis_support import redis_url  # noqa: F401  (the fixture: tests/redis_support.py)

# Playwright's sync API runs an event loop in the test thread; the ORM calls the
# tests make around it are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Modules of tens of seconds (real Chromium, real servers, a real Huey consumer).
SLOW_MARKERS = ("browser", "live_server")
SLOW_MODULES = {"test_worker_kill.py", "test_redis_broker.py"}


def _is_slow(item: pytest.Item) -> bool:
    return item.path.name in SLOW_MODULES or any(
        item.get_closest_marker(name) for name in SLOW_MARKERS
    )


def _needs_real_transactions(item: pytest.Item) -> bool:
    names = getattr(item, "fixturenames", ())
    marker = item.get_closest_marker("django_db")
    return (
        "transactional_db" in names
        or "live_server" in names
        or bool(marker and marker.kwargs.get("transaction"))
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """One file after another, slow files first, real-transaction tests first in a file.

    pytest-django's own order (every test with `db`, then those with real transactions,
    then the rest) cannot hold under xdist: `make test` runs two workers, each taking
    whole files (`--dist loadfile --no-loadscope-reorder`) in this order. Slow files
    first, so the workers finish together instead of one waiting on a long file picked
    up last. Within a file, tests that need real transactions first: module-scoped
    fixtures (_demo_loaded, dossiers' _world_seeded) keep an outer transaction open from
    their first test to the file's last, and such a test must not run inside it. The
    same order without xdist, so that a serial run is not another case.
    """
    first_seen: dict[object, int] = {}
    slow: set[object] = set()
    for index, item in enumerate(items):
        first_seen.setdefault(item.path, index)
        if _is_slow(item):
            slow.add(item.path)
    items.sort(
        key=lambda item: (
            item.path not in slow,
            first_seen[item.path],
            not _needs_real_transactions(item),
        )
    )


# --- Content-Security-Policy: every browser test fails on a violation --------------------
# Chromium reports a blocked inline style or script, eval, or a form sent elsewhere as a
# console error ("Refused to … because it violates the following Content Security Policy
# directive"). Every context the session's browser makes (the `page` fixture,
# browsing.phone_context, tests calling browser.new_context or new_page) records them, and
# `_no_csp_violations` fails the test at teardown, listing them with the page's errors.
# A `securitypolicyviolation` listener, added to every page before its own scripts, logs
# each violation too, so a change of Chromium's wording cannot hide one (pages with
# JavaScript turned off still have the console message).
_CSP_MARKERS = ("Content Security Policy", "Content-Security-Policy", "Refused to")
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => console.error(
  `Content Security Policy violation event: ${e.effectiveDirective} blocked ` +
  `${e.blockedURI || "inline"} at ${e.sourceFile || location.href}:${e.lineNumber}`));
"""
_browser_log: list[tuple[bool, str]] = []  # (a CSP violation?, what and where)


def _is_csp(text: str) -> bool:
    return any(marker in text for marker in _CSP_MARKERS)


def _browser_watch(context) -> None:
    def console(message) -> None:
        if _is_csp(message.text):
            where = message.page.url if message.page else message.location.get("url", "?")
            _browser_log.append((True, f"{where}: {message.text}"))

    def web_error(error) -> None:
        text = str(error.error)
        where = error.page.url if error.page else "?"
        _browser_log.append((_is_csp(text), f"{where}: page error: {text}"))

    context.add_init_script(_CSP_LISTENER)
    context.on("console", console)
    context.on("weberror", web_error)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        new_context, new_page = browser.new_context, browser.new_page

        def watched_context(*args, **kwargs):
            context = new_context(*args, **kwargs)
            _browser_watch(context)
            return context

        def watched_page(*args, **kwargs):
            page = new_page(*args, **kwargs)
            _browser_watch(page.context)
            return page

        browser.new_context, browser.new_page = watched_context, watched_page
        yield browser
        browser.close()


class CspWatch:
    """What the browser reported since the test began (see `csp_violations`)."""

    def violations(self) -> list[str]:
        return [text for is_csp, text in _browser_log if is_csp]

    def check(self) -> None:
        """Fails the test if a violation was reported; the log starts afresh either way."""
        log, _browser_log[:] = list(_browser_log), []
        if any(is_csp for is_csp, _text in log):
            pytest.fail(
                "Content-Security-Policy violations in the browser:\n"
                + "\n".join(f"- {text}" for _is_csp, text in log),
                pytrace=False,
            )


@pytest.fixture
def csp_violations() -> CspWatch:
    """The browser's CSP violations in this test; every test is checked at teardown."""
    return CspWatch()


@pytest.fixture(autouse=True)
def _no_csp_violations():
    _browser_log.clear()
    yield
    CspWatch().check()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def assert_accessible():
    """`assert_accessible(page)`: zero axe-core WCAG 2.2 AA violations (tests/portal/a11y.py)."""
    from portal.a11y import assert_accessible, close_copy_tab  # tests/ is on sys.path

    yield assert_accessible
    close_copy_tab()


@pytest.fixture(autouse=True)
def _fresh_search_index():
    # Each test rolls back, so a later test can reach the same catalog revision
    # number with other rows; the in-memory index must not survive across tests, nor
    # the cached revision and public pages (motcua.portal.pagecache), nor the memos of
    # rows by id (motcua.core.memo).
    from django.core.cache import cache

    from motcua.catalog.search import clear_index_cache
    from motcua.core.memo import memos_clear

    clear_index_cache()
    cache.clear()
    memos_clear()
    yield
    clear_index_cache()
    cache.clear()
    memos_clear()


@pytest.fixture(scope="module")
def _demo_loaded(django_db_setup, django_db_blocker):
    # `make demo`'s data (units, agencies, calendar, catalog, forms, workflows, officials)
    # takes about a second: load it once per module inside a transaction rolled back at
    # the end; each test runs in a savepoint of its own.
    from django.core.management import call_command
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", verbosity=0, history_days=0)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo(_demo_loaded, db) -> None:
    """The Lào Cai demo as `make demo` loads it (officials and online forms included)."""


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's, signed in as the admin site requires: with the second factor
    (tests/officials.py); force_login alone is refused."""
    from tests.officials import official_login

    return official_login(client, admin_user)


@pytest.fixture
def officials(demo) -> dict:
    """The demo officials by username (see motcua.demo.officials)."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(username__contains=".")
    return {user.username: user for user in users}


@pytest.fixture
def agencies(demo) -> dict:
    """The demo agencies the back-office and notification tests work with."""
    from motcua.organizations.models import Agency, AgencyType

    def agency(unit: str, agency_type: str) -> Agency:
        return Agency.objects.get(unit__name=unit, unit__valid_to__isnull=True, type=agency_type)

    return {
        "batxat_desk": agency("Xã Bát Xát", AgencyType.COMMUNE_SERVICE_CENTRE),
        "batxat_committee": agency("Xã Bát Xát", AgencyType.COMMUNE_PEOPLES_COMMITTEE),
        "laocai_desk": agency("Phường Lào Cai", AgencyType.COMMUNE_SERVICE_CENTRE),
        "laocai_committee": agency("Phường Lào Cai", AgencyType.COMMUNE_PEOPLES_COMMITTEE),
        "province_desk": Agency.objects.get(code="000.00.01.H37"),
    }


# --- e-ID and population data: the VNeID and population-database simulators -------------------
# `vneid`: the local OpenID Connect provider standing in for VNeID, with motcua's
# OIDC_VNEID_* settings pointed at it (live_server too: same process). It signs in
# `vneid.user` (default: the demo's first-time mother, demo_people.json) without asking;
# `vneid.consent_page = True`, or
# `@pytest.mark.parametrize("vneid", [{"consent_page": True}], indirect=True)`, shows the
# consent page where a person is chosen. `vneid.forge_signature = True` forges ID tokens.
# `population`: the population database's data-sharing service with the same demo people,
# POPULATION_* settings pointed at it; `population.fail = True` answers 503,
# `population.delay` slows it, `population.revoke_tokens()`, `population.queries`.
# One server each per test session, reset before each test.


@pytest.fixture(scope="session")
def _vneid_simulator():
    from motcua.accounts.contrib.oidc.simulator import OidcProviderSimulator

    sim = OidcProviderSimulator(client_id="motcua-test", client_secret="s3cret").start()
    yield sim
    sim.stop()


@pytest.fixture
def vneid(request, _vneid_simulator, settings):
    from motcua.accounts.contrib.oidc import client as oidc

    options = getattr(request, "param", None) or {}
    _vneid_simulator.reset(
        user=options.get("user"), consent_page=bool(options.get("consent_page", False))
    )
    settings.OIDC_VNEID_ISSUER = _vneid_simulator.issuer
    settings.OIDC_VNEID_CLIENT_ID = _vneid_simulator.client_id
    settings.OIDC_VNEID_CLIENT_SECRET = _vneid_simulator.client_secret
    settings.OIDC_VNEID_ID_CLAIM = "citizen_id"
    oidc.clear_cache()
    yield _vneid_simulator
    _vneid_simulator.reset()
    oidc.clear_cache()


@pytest.fixture(scope="session")
def _population_simulator():
    from motcua.accounts.contrib.population.simulator import PopulationSimulator

    sim = PopulationSimulator(client_id="motcua-test", client_secret="s3cret-population").start()
    yield sim
    sim.stop()


@pytest.fixture
def population(_population_simulator, settings):
    from motcua.accounts.contrib.population import client

    _population_simulator.reset()
    settings.POPULATION_API_URL = _population_simulator.url
    settings.POPULATION_CLIENT_ID = _population_simulator.client_id
    settings.POPULATION_CLIENT_SECRET = _population_simulator.client_secret
    client.clear_token_cache()
    yield _population_simulator
    _population_simulator.reset()
    client.clear_token_cache()
