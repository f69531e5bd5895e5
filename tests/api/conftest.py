"""Fixtures for the API tests: the confusable catalog of tests/search/conftest.py.

Conftests are not importable modules, so that file is loaded by path rather than
copied, keeping one catalog for both suites.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

_path = Path(__file__).resolve().parent.parent / "search" / "conftest.py"
_spec = importlib.util.spec_from_file_location("motcua_tests_search_fixtures", _path)
assert _spec is not None and _spec.loader is not None
_shared = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_shared)

CATALOG = _shared.CATALOG
add_procedure = _shared.add_procedure
_fresh_index = _shared._fresh_index
catalog = _shared.catalog
add = _shared.add
codes = _shared.codes
