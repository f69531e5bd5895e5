"""The real Redis for tests that need it: production's cache and Huey queue.

`redis_url` gives MOTCUA_TEST_REDIS_URL (default db 15 of the local Redis; `make redis`
starts one). When Redis does not answer the test is skipped, except on CI (CI set):
there it fails, so that CI never passes without having exercised Redis.

Tests share that database with each other (xdist workers, a second run on the same
machine), so each keeps to keys of its own: a cache KEY_PREFIX or Huey queue name with
the process id, deleted afterwards. Nothing here runs FLUSHDB (`redis_cache_settings`
clears only its prefix), and db 0, where a development REDIS_URL points, is refused.
"""

from __future__ import annotations

import os

import pytest
from django.core.cache.backends.redis import RedisCache

DEFAULT_URL = "redis://127.0.0.1:6379/15"


def redis_client(url: str):
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)


def delete_keys(url: str, pattern: str) -> int:
    """Delete the keys matching `pattern` (SCAN, never KEYS or FLUSHDB)."""
    client = redis_client(url)
    keys = list(client.scan_iter(match=pattern, count=1000))
    return client.delete(*keys) if keys else 0


@pytest.fixture(scope="session")
def redis_url() -> str:
    """MOTCUA_TEST_REDIS_URL, checked to answer (skip, or fail on CI, if it does not)."""
    url = os.environ.get("MOTCUA_TEST_REDIS_URL") or DEFAULT_URL
    try:
        import redis
    except ImportError as error:  # requirements.txt pins it
        pytest.fail(f"the redis package is missing ({error})", pytrace=False)
    client = redis_client(url)
    if client.connection_pool.connection_kwargs.get("db", 0) == 0:
        pytest.fail(f"MOTCUA_TEST_REDIS_URL={url} is db 0: give the tests a db of their own",
                    pytrace=False)  # fmt: skip
    try:
        client.ping()
        return url
    except redis.RedisError as error:
        message = f"Redis does not answer at {url} ({error}); `make redis` starts it"
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the Redis tests: {message}", pytrace=False)
    pytest.skip(message)


class PrefixClearingRedisCache(RedisCache):
    """Django's RedisCache whose clear() deletes only this cache's keys instead of
    FLUSHDB, which would empty the keys of tests running at the same time."""

    def clear(self) -> None:
        client = self._cache.get_client(None, write=True)
        keys = list(client.scan_iter(match=f"{self.key_prefix}:*", count=1000))
        if keys:
            client.delete(*keys)


def redis_cache_settings(url: str, name: str) -> dict:
    """CACHES as production has them with REDIS_URL, under a prefix of this process."""
    from django.conf import settings

    return {
        "fragments": settings.CACHES["fragments"],
        "default": {
            "BACKEND": f"{__name__}.PrefixClearingRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"motcua-test-{name}-{os.getpid()}",
        }
    }
