from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from motcua.catalog.admin import RevisionBumpingAdmin
from motcua.organizations.models import AdministrativeUnit, Agency, UnitSuccession


class SuccessorInline(admin.TabularInline):
    model = UnitSuccession
    fk_name = "predecessor"
    autocomplete_fields = ["successor"]
    extra = 0
    verbose_name = _("successor unit")
    verbose_name_plural = _("successor units")


class PredecessorInline(admin.TabularInline):
    model = UnitSuccession
    fk_name = "successor"
    autocomplete_fields = ["predecessor"]
    extra = 0
    verbose_name = _("former unit")
    verbose_name_plural = _("former units")


class CurrentFilter(admin.SimpleListFilter):
    title = _("validity")
    parameter_name = "current"

    def lookups(self, request, model_admin):
        return [("yes", _("exists today")), ("no", _("former unit"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(valid_to__isnull=True)
        if self.value() == "no":
            return queryset.filter(valid_to__isnull=False)
        return queryset


@admin.register(AdministrativeUnit)
class AdministrativeUnitAdmin(RevisionBumpingAdmin):
    """Units and agencies are on the public pages (the desk to call, its hours), which
    are cached per catalog revision (motcua.portal.pagecache): an edit moves it."""

    list_display = ["code", "name", "type", "level", "parent", "valid_from", "valid_to"]
    list_filter = [CurrentFilter, "level", "type"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]
    inlines = [SuccessorInline, PredecessorInline]
    list_select_related = ["parent"]


@admin.register(Agency)
class AgencyAdmin(RevisionBumpingAdmin):
    list_display = ["code", "name", "type", "unit", "is_active", "is_demo_data"]
    list_filter = ["type", "is_active", "is_demo_data"]
    search_fields = ["code", "name", "unit__name"]
    autocomplete_fields = ["unit", "parent"]
    list_select_related = ["unit"]
    fieldsets = [
        (None, {"fields": ["code", "name", "type", "unit", "parent", "is_active", "is_demo_data"]}),
        (_("Contact"), {"fields": ["address", "phone"]}),
        (
            _("Office hours"),
            {
                "fields": [
                    ("morning_start", "morning_end"),
                    ("afternoon_start", "afternoon_end"),
                    "working_weekdays",
                ]
            },
        ),
    ]
