"""Fixtures for the catalog tests: the shipped catalog files, messages in English."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

DATA_DIR = Path(__file__).resolve().parents[2] / "motcua" / "catalog" / "data"
SAMPLE_PATH = DATA_DIR / "catalog_sample.json"
DEMO_PATH = DATA_DIR / "lao_cai_demo.json"


def load(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))


_SAMPLE = load(SAMPLE_PATH)
_DEMO = load(DEMO_PATH)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    # Problem messages are gettext msgids; pin English so Vietnamese translations added
    # later do not change what the assertions read.
    with translation.override("en"):
        yield


@pytest.fixture
def sample_entries() -> list[dict[str, Any]]:
    return copy.deepcopy(_SAMPLE)


@pytest.fixture
def demo_entries() -> list[dict[str, Any]]:
    return copy.deepcopy(_DEMO)


@pytest.fixture
def sample_by_code() -> dict[str, dict[str, Any]]:
    return {entry["code"]: copy.deepcopy(entry) for entry in _SAMPLE}
