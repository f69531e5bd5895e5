from __future__ import annotations

from django.contrib import admin
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from motcua.core.models import CalendarDay
from motcua.core.services import calendar_day_save


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "weekday", "kind", "name", "source", "updated_at"]
    list_filter = ["kind", "source"]
    search_fields = ["name", "note"]
    date_hierarchy = "date"
    ordering = ["-date"]
    fields = ["date", "kind", "name", "note", "source", "created_at", "updated_at"]
    readonly_fields = ["source", "created_at", "updated_at"]

    @admin.display(description=_("weekday"))
    def weekday(self, obj: CalendarDay) -> str:
        return str(WEEKDAYS[obj.date.weekday()])

    def save_model(self, request, obj: CalendarDay, form, change: bool) -> None:
        # Whatever an administrator saves is theirs: seeding will not overwrite it.
        calendar_day_save(day=obj)
