"""Per-process memos of rows that every citizen page reads and that almost never change.

A question page used to read the form definition (a large JSON document), the procedure,
the commune list and the help desk from the database on every request; parsing them
cost more than the rest of the page. A memo keeps them in this process:

- keyed on what identifies the value *and* on a version the caller passes (the catalog
  revision: catalog_revision_bump moves it on every edit), so an edit is seen as soon
  as the process sees the new revision (at most motcua.catalog.selectors
  REVISION_CACHE_SECONDS later);
- entries also expire after `seconds`, for changes that do not move a version (an
  agency's phone imported by a command);
- values are shared by every thread of the process: callers must not change them.

Not Django's cache: the local-memory backend pickles every value in and out, which is
the very parsing this avoids, and Redis would add a round trip.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")

_memos: list[Memo] = []


class Memo(Generic[T]):
    def __init__(self, *, seconds: float | None, size: int = 256) -> None:
        self.seconds = seconds
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[float, T]] = OrderedDict()
        self._lock = threading.Lock()
        _memos.append(self)

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value kept for `key`, else compute()'s, kept unless it is None."""
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and (self.seconds is None or now - entry[0] < self.seconds):
                self._entries.move_to_end(key)
                return entry[1]
        value = compute()  # outside the lock: two threads may both compute, both right
        if value is not None:
            self.put(key, value)
        return value

    def put(self, key: Hashable, value: T) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic(), value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def memos_clear() -> None:
    """Forget every memo of this process (tests: ids are reused after a rollback)."""
    for memo in _memos:
        memo.clear()
