from __future__ import annotations

import json
import uuid
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from motcua.notifications.defaults import SAMPLE_CONTEXT
from motcua.notifications.models import (
    FAILED_STATUSES,
    ContactPreference,
    MessageTemplate,
    Notification,
)
from motcua.notifications.rendering import RenderError, render_email, render_sms
from motcua.notifications.selectors import notification_context_shown
from motcua.notifications.services import (
    NotificationError,
    message_template_check,
    message_template_save,
    notification_retry,
)


class MessageTemplateForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = [
            "key",
            "description",
            "subject",
            "email_body",
            "sms_body",
            "zalo_template_id",
            "zalo_params",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        errors = message_template_check(
            subject=data.get("subject") or "",
            email_body=data.get("email_body") or "",
            sms_body=data.get("sms_body") or "",
            zalo_template_id=data.get("zalo_template_id") or "",
            zalo_params=data.get("zalo_params"),
        )
        for field, message in errors.items():
            self.add_error(field, message)
        return data


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    """Saving never edits the version shown: it creates the next version of the event."""

    form = MessageTemplateForm
    list_display = ["key", "version", "description", "created_at", "created_by"]
    list_filter = ["key"]
    search_fields = ["key", "description", "subject"]
    readonly_fields = ["version", "created_at", "created_by", "preview"]

    fieldsets = [
        (None, {"fields": ["key", "description", "version", "created_at", "created_by"]}),
        (_("E-mail"), {"fields": ["subject", "email_body"]}),
        (_("SMS"), {"fields": ["sms_body"]}),
        (_("Zalo ZNS"), {"fields": ["zalo_template_id", "zalo_params"]}),
        (_("Preview with sample values"), {"fields": ["preview"]}),
    ]

    class Media:  # the preview's layout (no inline style under the CSP)
        css = {"all": ["notifications/admin.css"]}

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "key"] if obj is not None else fields

    @admin.display(description=_("preview"))
    def preview(self, obj: MessageTemplate) -> str:
        if obj is None or obj.pk is None:
            return "–"
        try:
            email = render_email(obj, SAMPLE_CONTEXT)
            sms = render_sms(obj, SAMPLE_CONTEXT) if obj.sms_body else None
        except RenderError as exc:
            return str(exc)
        sms_line = (
            _("SMS (%(encoding)s, %(parts)s part(s)): %(text)s")
            % {"encoding": sms.encoding.upper(), "parts": sms.parts, "text": sms.text}
            if sms
            else _("no SMS text")
        )
        return format_html(
            '<strong>{}</strong><pre class="template-preview">{}</pre><p>{}</p>',
            email.subject,
            email.body,
            sms_line,
        )

    def save_model(
        self, request: HttpRequest, obj: MessageTemplate, form: forms.ModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        try:
            saved = message_template_save(
                key=obj.key if change else data["key"],
                description=data.get("description") or "",
                subject=data["subject"],
                email_body=data["email_body"],
                sms_body=data.get("sms_body") or "",
                zalo_template_id=data.get("zalo_template_id") or "",
                zalo_params=data.get("zalo_params") or {},
                actor=request.user,
            )
        except (ValidationError, NotificationError) as exc:  # checked in clean(); a race
            messages.error(request, str(exc))
            return
        # The admin redirects to and logs the object it saved: point it at the new version.
        obj.pk = saved.pk
        obj.version = saved.version
        if change:
            messages.info(
                request,
                _("Saved as version %(v)s; earlier versions are kept.") % {"v": obj.version},
            )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A version some notification was sent with is history.
        if obj is not None and obj.notifications.exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "template",
        "recipient_phone",
        "recipient_email",
        "status",
        "channel",
        "attempts",
        "created_at",
        "sent_at",
    ]
    list_filter = ["status", "channel", "template"]
    search_fields = ["recipient_phone", "recipient_email", "dossier__code"]
    list_select_related = ["dossier"]
    raw_id_fields = ["dossier", "event", "agency", "template_version"]
    # The context of a sign-in code message holds the code until it is delivered: shown
    # masked, never as stored (ASVS 5.0 V14.2.4).
    exclude = ["context"]
    readonly_fields = ["context_shown"]
    show_full_result_count = False  # the outbox is large: no COUNT(*) on every page
    actions = ["send_again"]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Notification], search_term: str
    ) -> tuple[QuerySet[Notification], bool]:
        # A key from a gateway's log (RequestId, tracking_id, Message-ID) finds its row.
        try:
            key = uuid.UUID(search_term.strip().strip("<>").partition("@")[0])
        except ValueError:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(key=key), False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # rows change only through delivery and the retry action

    @admin.display(description=_("values of the message"))
    def context_shown(self, obj: Notification) -> str:
        return json.dumps(notification_context_shown(notification=obj), ensure_ascii=False)

    @admin.action(description=_("Send the selected failed notifications again"))
    def send_again(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        count = 0
        for notification in queryset.filter(status__in=FAILED_STATUSES):
            try:
                notification_retry(notification=notification, actor=request.user)
                count += 1
            except NotificationError:
                continue
        self.message_user(request, _("%(n)s notification(s) will be sent again.") % {"n": count})


@admin.register(ContactPreference)
class ContactPreferenceAdmin(admin.ModelAdmin):
    list_display = ["phone", "email", "channel", "updated_at"]
    list_filter = ["channel"]
    search_fields = ["phone", "email"]
