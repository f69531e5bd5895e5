"""Working-time arithmetic: pure functions over a WorkingCalendar.

(Being written: see the helper's task. DurationKind and Duration are the shared
interface other apps import.)
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class DurationKind(models.TextChoices):
    WORKING_DAYS = "working_days", _("working days")
    CALENDAR_DAYS = "calendar_days", _("days")
    WORKING_HOURS = "working_hours", _("working hours")
    SAME_DAY = "same_day", _("same day")


@dataclass(frozen=True)
class Duration:
    kind: DurationKind
    amount: int = 0  # ignored for SAME_DAY
