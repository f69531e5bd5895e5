from __future__ import annotations

import pytest

from motcua.core.calendar import WorkingCalendar
from motcua.core.services import holidays_package_calendar


@pytest.fixture(scope="session")
def vn() -> WorkingCalendar:
    """National calendar 2025–2028 from the holidays package, without the database."""
    return holidays_package_calendar(years=range(2025, 2029))
