from django.contrib import admin
from django.db import transaction
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from motcua.catalog.models import (
    FeeItem,
    Procedure,
    ProcedureVersion,
    RequiredPaper,
    SearchPhrase,
    Sector,
)
from motcua.catalog.search import procedure_search
from motcua.catalog.selectors import procedure_versions_without_legal_time
from motcua.catalog.services import catalog_revision_bump


class RevisionBumpingAdmin(admin.ModelAdmin):
    """Admin edits change what citizens search, so they move the catalog revision too."""

    def save_related(self, request, form, formsets, change):
        with transaction.atomic():
            super().save_related(request, form, formsets, change)
            catalog_revision_bump()

    def delete_model(self, request, obj):
        with transaction.atomic():
            super().delete_model(request, obj)
            catalog_revision_bump()

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            catalog_revision_bump()


@admin.register(Sector)
class SectorAdmin(RevisionBumpingAdmin):
    search_fields = ["name"]


class FeeItemInline(admin.TabularInline):
    model = FeeItem
    extra = 0


class RequiredPaperInline(admin.TabularInline):
    model = RequiredPaper
    extra = 0


class LegalTimeFilter(admin.SimpleListFilter):
    """The versions whose legal time motcua cannot count: officers must type an
    appointment at every reception until the administrator fixes the duration."""

    title = _("legal processing time")
    parameter_name = "thoi_han"

    def lookups(self, request, model_admin):
        return [("chua_doc_duoc", _("not readable: fix it"))]

    def queryset(self, request, queryset):
        if self.value() == "chua_doc_duoc":
            return queryset.filter(pk__in=procedure_versions_without_legal_time().values("pk"))
        return queryset


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(RevisionBumpingAdmin):
    list_display = [
        "procedure_code",
        "number",
        "short_name",
        "sector",
        "state",
        "online_level",
        "valid_from",
    ]
    list_display_links = ["procedure_code", "short_name"]
    list_filter = [
        LegalTimeFilter,
        "state",
        "online_level",
        "fee_status",
        "sector",
        "boundary_independent",
    ]
    search_fields = ["procedure__code", "name"]
    autocomplete_fields = ["procedure", "sector"]
    list_select_related = ["procedure", "sector"]
    inlines = [RequiredPaperInline, FeeItemInline]
    readonly_fields = ["import_problems", "created_at"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "procedure",
                    "number",
                    "state",
                    ("valid_from", "valid_to"),
                    "name",
                    "sector",
                    "levels",
                    "competent_agency_types",
                    "agency_text",
                ]
            },
        ),
        (
            _("Processing time"),
            {
                "fields": [
                    "processing_time_text",
                    ("duration_kind", "duration_amount"),
                    "duration_notes",
                ]
            },
        ),
        (_("Fees"), {"fields": ["fee_text", "fee_status"]}),
        (
            _("Online service"),
            {
                "fields": [
                    "online_level",
                    "online_level_reason",
                    "online_payment",
                    "boundary_independent",
                    "submission_place",
                ]
            },
        ),
        (
            _("Source"),
            {
                "fields": [
                    "province",
                    "source",
                    "notes",
                    "demo_fields",
                    "import_problems",
                    "created_at",
                ]
            },
        ),
    ]

    @admin.display(description=_("national code"), ordering="procedure__code")
    def procedure_code(self, obj):
        return obj.procedure.code

    @admin.display(description=_("name"), ordering="name")
    def short_name(self, obj):
        return obj.name if len(obj.name) <= 120 else obj.name[:117] + "…"


class VersionInline(admin.TabularInline):
    model = ProcedureVersion
    fields = ["number", "name", "state", "valid_from", "valid_to"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Procedure)
class ProcedureAdmin(RevisionBumpingAdmin):
    list_display = ["code", "current_name", "current_sector", "current_online_level"]
    search_fields = ["code", "versions__name"]
    list_select_related = ["current", "current__sector"]
    raw_id_fields = ["current"]
    inlines = [VersionInline]

    @admin.display(description=_("name"), ordering="current__name")
    def current_name(self, obj):
        return obj.current.name if obj.current else "—"

    @admin.display(description=_("field"))
    def current_sector(self, obj):
        return obj.current.sector if obj.current else "—"

    @admin.display(description=_("online level"))
    def current_online_level(self, obj):
        return obj.current.get_online_level_display() if obj.current else "—"


class PhraseTargetFilter(admin.SimpleListFilter):
    title = _("stands for")
    parameter_name = "target"

    def lookups(self, request, model_admin):
        return [("procedure", _("a procedure")), ("words", _("official words"))]

    def queryset(self, request, queryset):
        if self.value() == "procedure":
            return queryset.filter(procedure__isnull=False)
        if self.value() == "words":
            return queryset.filter(procedure__isnull=True)
        return queryset


@admin.register(SearchPhrase)
class SearchPhraseAdmin(RevisionBumpingAdmin):
    """The everyday names citizens search with. Saving one moves the catalog revision,
    so every process rebuilds its search index with it."""

    list_display = ["phrase", "target", "language", "active", "updated_at"]
    list_filter = ["active", "language", PhraseTargetFilter, "procedure__current__sector"]
    search_fields = [
        "phrase", "official_words", "note", "procedure__code", "procedure__current__name"
    ]
    list_select_related = ["procedure", "procedure__current"]
    autocomplete_fields = ["procedure"]
    readonly_fields = ["found_now", "created_at", "updated_at"]
    fields = [
        "phrase", "procedure", "official_words", "language", "note", "active", "found_now",
        "created_at", "updated_at",
    ]
    actions = ["make_active", "make_inactive"]

    @admin.display(description=_("stands for"), ordering="procedure__code")
    def target(self, obj):
        if obj.procedure_id:
            current = obj.procedure.current
            return f"{obj.procedure.code} {current.name if current else ''}".strip()
        return obj.official_words

    @admin.display(description=_("what a search for these words finds now"))
    def found_now(self, obj):
        if not obj.pk:
            return "—"
        hits = procedure_search(query=obj.phrase, limit=3).items
        if not hits:
            return _("nothing")
        return format_html_join(
            "", "<div>{} {}</div>", ((hit.code, hit.name) for hit in hits)
        )

    @admin.action(description=_("Use the selected phrases in the search"))
    def make_active(self, request, queryset):
        self._set_active(request, queryset, True)

    @admin.action(description=_("Stop using the selected phrases in the search"))
    def make_inactive(self, request, queryset):
        self._set_active(request, queryset, False)

    def _set_active(self, request, queryset, active: bool) -> None:
        with transaction.atomic():
            changed = queryset.exclude(active=active).update(active=active)
            if changed:
                catalog_revision_bump()
        self.message_user(
            request,
            ngettext("%(n)d phrase changed.", "%(n)d phrases changed.", changed) % {"n": changed},
        )
