"""Zalo ZNS template messages (POST /message/template with the OA access token).

The notification key is sent as `tracking_id`. Zalo documents tracking_id for
reconciliation only, not as a deduplication key, so a ZNS message whose acceptance
was not recorded may reach the citizen twice (docs/notifications.md); the local
simulator deduplicates, which real ZNS may not do.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from motcua.notifications import conf
from motcua.notifications.channels import Channel, Outcome, ProviderResult, registry
from motcua.notifications.channels.http import NoAnswer, NotSent, post_json
from motcua.notifications.models import MessageTemplate, Notification
from motcua.notifications.rendering import render_zalo
from motcua.notifications.text import vn_mobile

# Phone invalid, Zalo account missing or unable to receive ZNS: use another channel.
UNREACHABLE_ERRORS = {-108, -118, -119, -139}


@registry("zalo")
class ZaloChannel(Channel):
    verbose_name = _("Zalo")
    rate_setting = "NOTIFY_ZALO_RATE"
    burst_setting = "NOTIFY_ZALO_BURST"

    def is_enabled(self) -> bool:
        return bool(conf.get("NOTIFY_ZALO_URL"))

    def address(self, notification: Notification) -> str | None:
        return vn_mobile(notification.recipient_phone)

    def accepts(self, template: MessageTemplate) -> bool:
        return bool(template.zalo_template_id.strip())

    def send(self, notification: Notification) -> ProviderResult:
        phone = self.address(notification)
        if phone is None:
            return ProviderResult(Outcome.UNREACHABLE, error="not a Vietnamese mobile number")
        template = notification.template_version
        payload = {
            "phone": phone,
            "template_id": template.zalo_template_id,
            "template_data": render_zalo(template, notification.context),
            "tracking_id": notification.key.hex,
        }
        try:
            reply = post_json(
                conf.get("NOTIFY_ZALO_URL"),
                payload,
                headers={"access_token": conf.get("NOTIFY_ZALO_ACCESS_TOKEN")},
                timeout=conf.get("NOTIFY_HTTP_TIMEOUT"),
            )
        except NotSent as exc:
            return ProviderResult(Outcome.RETRY, error=f"Zalo not reachable: {exc}")
        except NoAnswer as exc:
            return ProviderResult(Outcome.UNKNOWN, error=f"Zalo did not answer: {exc}")
        if reply.status == 429:
            return ProviderResult(
                Outcome.RATE_LIMITED, error="Zalo: too many requests", retry_after=reply.retry_after
            )
        if reply.status >= 500:
            return ProviderResult(Outcome.UNKNOWN, error=f"Zalo HTTP {reply.status}")
        try:
            error = int(reply.body.get("error", -100))
        except (TypeError, ValueError):
            error = -100
        if error == 0:
            data = reply.body.get("data") or {}
            return ProviderResult.delivered(str(data.get("msg_id", "")))
        message = f"Zalo error {error}: {reply.body.get('message', '')}".strip()
        if error in UNREACHABLE_ERRORS:
            return ProviderResult(Outcome.UNREACHABLE, error=message)
        return ProviderResult(Outcome.RETRY, error=message)
