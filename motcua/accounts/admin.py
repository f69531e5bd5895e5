"""Roles of officials in the admin: an inline on the user, and a list of their own."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from motcua.accounts.models import RoleAssignment


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


User = get_user_model()
if admin.site.is_registered(User):  # django.contrib.auth registered its UserAdmin first
    admin.site.unregister(User)


@admin.register(User)
class OfficialAdmin(UserAdmin):
    inlines = [RoleAssignmentInline]
