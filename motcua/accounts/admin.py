"""Roles of officials in the admin: an inline on the user, and a list of their own; the
record of population-database lookups, read only."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from motcua.accounts.models import PhoneOtp, PopulationLookup, RoleAssignment


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    fk_name = "user"
    autocomplete_fields = ["agency"]
    extra = 0
    verbose_name = _("role")
    verbose_name_plural = _("roles in agencies")


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "agency", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__first_name", "agency__name", "agency__code"]
    autocomplete_fields = ["user", "agency"]
    list_select_related = ["user", "agency"]


@admin.register(PopulationLookup)
class PopulationLookupAdmin(admin.ModelAdmin):
    """Who looked whom up in the population database, why and with what result: an audit
    record, so nobody edits or deletes it here."""

    list_display = ["created_at", "requester_label", "id_number", "purpose", "consent", "result"]
    list_filter = ["result", "consent"]
    search_fields = ["id_number", "requester_label", "purpose"]
    date_hierarchy = "created_at"
    list_select_related = ["requester"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PhoneOtp)
class PhoneOtpAdmin(admin.ModelAdmin):
    """Sign-in codes sent: to which phone, from which address, when, how many wrong tries.
    Never the code: only its keyed hash is stored, and neither hash nor salt is shown
    (ASVS 5.0 V14.2.4). Read only; the retention job deletes old rows
    (motcua.accounts.services.phone_otps_purge)."""

    fields = ["phone", "client_ip", "created_at", "expires_at", "used_at", "attempts"]
    readonly_fields = fields
    list_display = fields
    search_fields = ["phone", "client_ip"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


User = get_user_model()
if admin.site.is_registered(User):  # django.contrib.auth registered its UserAdmin first
    admin.site.unregister(User)


@admin.register(User)
class OfficialAdmin(UserAdmin):
    inlines = [RoleAssignmentInline]
