"""Public pages served whole from the cache to anonymous visitors.

Home, search (with the list of procedures by field) and procedure pages are the same
for every visitor without a session, so they are rendered once per address, language,
catalog revision and release and kept in the `default` cache (local memory, or Redis when
REDIS_URL is set). A hit reads the revision from the cache too
(motcua.catalog.selectors.catalog_revision_cached): no database query, no session.

- Only requests without a session cookie (and no cookie but the language and CSRF
  ones) are served from or stored in the cache: a signed-in citizen gets the normal
  page, with the account menu, and that page is never stored.
- A response is stored only if it is a plain 200 that sets no cookie, used no CSRF
  token and left the session untouched; the pages carry none (the language switch is a
  GET link, motcua.portal.views.switch_language).
- Phones revalidate cheaply: the ETag is a hash of the body, the same in every process
  for the same page; Last-Modified is when this copy was rendered (never before the
  change it shows); `max-age=0, must-revalidate` makes each visit ask, and
  If-None-Match / If-Modified-Since answer 304 without a body. Vary: Cookie keeps a
  browser or proxy from showing the anonymous copy once the visitor has signed in.
- A catalog change (catalog_revision_bump: import, admin edits of procedures, fields,
  units and agencies) moves the revision, hence the key. A new release does too: Redis
  keeps its pages across a deploy, so the key carries a hash of the code, templates,
  translations and static manifest that rendered them (release_id). Entries also expire
  after MOTCUA_PAGE_CACHE_SECONDS, which bounds how long other changes (payment methods
  configured, online forms loaded) take to show; 0 turns caching off.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache as memoize
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

from motcua.catalog.selectors import catalog_revision_cached
from motcua.core.conf import setting
from motcua.core.memo import Memo

CACHE_CONTROL = "max-age=0, must-revalidate"
PACKAGE_DIR = Path(__file__).resolve().parents[1]  # motcua/


def release_digest(package_dir: Path, manifest: Path | None) -> str:
    """A short hash of what renders a page: the Python sources, the templates and the
    compiled translations under `package_dir`, and the static files' manifest (the
    hashed file names the pages link to) if there is one."""
    files_by_name: dict[str, Path] = {}  # relative names: the same on every machine
    for folder, subfolders, files in os.walk(package_dir):
        subfolders[:] = [d for d in subfolders if d != "__pycache__"]
        parts = set(Path(folder).relative_to(package_dir).parts)
        for name in files:
            if (
                name.endswith(".py")
                or "templates" in parts
                or ("locale" in parts and name.endswith(".mo"))
            ):
                path = Path(folder, name)
                files_by_name[path.relative_to(package_dir).as_posix()] = path
    if manifest is not None and manifest.is_file():
        files_by_name[f"static:{manifest.name}"] = manifest
    digest = hashlib.blake2b(digest_size=8)
    for name, path in sorted(files_by_name.items()):
        content = path.read_bytes()
        digest.update(f"{name}\0{len(content)}\0".encode())
        digest.update(content)
    return digest.hexdigest()


@memoize
def release_id() -> str:
    """This process's release: computed once, on the first cached page (~15 ms)."""
    return release_digest(PACKAGE_DIR, Path(settings.STATIC_ROOT) / "staticfiles.json")


@dataclass(frozen=True)
class CachedPage:
    revision: tuple
    body: bytes
    content_type: str
    etag: str
    modified: int  # seconds since the epoch
    last_modified: str  # the same, as the header says it

    def response(self, request: HttpRequest) -> HttpResponse:
        response = HttpResponse(self.body, content_type=self.content_type)
        response["ETag"] = self.etag
        response["Last-Modified"] = self.last_modified
        response["Cache-Control"] = CACHE_CONTROL
        response["Vary"] = "Cookie"  # what the page depends on: session, language
        return get_conditional_response(
            request, etag=self.etag, last_modified=self.modified, response=response
        )


# The pages this process served last, in front of the cache: a hit then unpickles
# nothing and, with Redis, makes no round trip. Keyed like the cache (revision, release),
# and never kept past the cache's own expiry.
_recent: Memo[CachedPage] = Memo(seconds=60, size=300)


def _anonymous(request: HttpRequest) -> bool:
    """No cookie but the language and CSRF ones: no session, so no signed-in citizen,
    no flash message waiting."""
    allowed = {settings.LANGUAGE_COOKIE_NAME, settings.CSRF_COOKIE_NAME}
    return not set(request.COOKIES) - allowed


def _key(request: HttpRequest, revision: tuple) -> str:
    number, changed_at = revision
    stamp = changed_at.timestamp() if changed_at is not None else 0
    # The pages hold no absolute address, so the host is not part of the key (and
    # CommonMiddleware has already refused a host not in ALLOWED_HOSTS).
    address = hashlib.blake2b(request.get_full_path().encode(), digest_size=16).hexdigest()
    return f"motcua:page:{release_id()}:{request.LANGUAGE_CODE}:{number}:{stamp}:{address}"


def _storable(request: HttpRequest, response: HttpResponse) -> bool:
    session = getattr(request, "session", None)
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not response.has_header("Cache-Control")  # the view decided itself
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")  # a token is on the page
        and not (session is not None and (session.modified or session.session_key))
    )


def public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve `view`'s page from the cache to anonymous visitors (module docstring)."""

    @wraps(view)
    def cached_view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        seconds = setting("MOTCUA_PAGE_CACHE_SECONDS", 600)
        if seconds <= 0 or request.method not in ("GET", "HEAD") or not _anonymous(request):
            return view(request, *args, **kwargs)
        revision = catalog_revision_cached()
        key = _key(request, revision)
        page = _recent.get(key, lambda: cache.get(key))
        if page is not None and page.modified + seconds <= time.time():
            page = None  # this process's copy outlived the cache's
        if page is None or page.revision != revision:
            response = view(request, *args, **kwargs)
            if not _storable(request, response):
                return response
            body = response.content
            now = int(time.time())
            page = CachedPage(
                revision=revision,
                body=body,
                content_type=response["Content-Type"],
                etag=f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"',
                modified=now,
                last_modified=http_date(now),
            )
            cache.set(key, page, seconds)
            _recent.put(key, page)
        return page.response(request)

    return cached_view
