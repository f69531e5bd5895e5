"""Run one piece of work in many threads at the same moment, each thread on its own
database connection (closed when the thread ends), as parallel requests would."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from django.db import connections

T = TypeVar("T")


def all_at_once(work: Callable[[], T], threads: int) -> list[T]:
    """`work()`'s results, one per thread; fails if any thread raised."""
    barrier = threading.Barrier(threads)
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=30)
            results.append(work())
        except BaseException as exc:  # reported below, with the thread's traceback lost
            errors.append(exc)
        finally:
            connections.close_all()  # each thread had its own connection

    started = [threading.Thread(target=run) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join(timeout=120)
    assert errors == []
    return results
