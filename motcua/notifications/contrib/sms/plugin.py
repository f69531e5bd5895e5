"""SMS over an HTTP gateway speaking eSMS's JSON API (SendMultipleMessage_V4_post_json).

The notification key is sent as `RequestId`, which eSMS documents as the partner's id
"to block duplicates" for 24 hours: a repeated RequestId is answered with code 124 and
not sent again. The plugin counts 124 as delivered (the first request got through).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from motcua.notifications import conf
from motcua.notifications.channels import Channel, Outcome, ProviderResult, registry
from motcua.notifications.channels.http import NoAnswer, NotSent, post_json
from motcua.notifications.models import MessageTemplate, Notification
from motcua.notifications.rendering import render_sms
from motcua.notifications.text import vn_mobile

ACCEPTED = "100"
DUPLICATE_REQUEST_ID = "124"
# The number cannot receive this route (blocked, malformed): try another channel.
UNREACHABLE_CODES = {"99", "108"}


@registry("sms")
class SmsChannel(Channel):
    verbose_name = _("SMS")
    rate_setting = "NOTIFY_SMS_RATE"
    burst_setting = "NOTIFY_SMS_BURST"

    def is_enabled(self) -> bool:
        return bool(conf.get("NOTIFY_SMS_URL"))

    def address(self, notification: Notification) -> str | None:
        return vn_mobile(notification.recipient_phone)

    def accepts(self, template: MessageTemplate) -> bool:
        return bool(template.sms_body.strip())

    def send(self, notification: Notification) -> ProviderResult:
        phone = self.address(notification)
        if phone is None:
            return ProviderResult(Outcome.UNREACHABLE, error="not a Vietnamese mobile number")
        sms = render_sms(notification.template_version, notification.context)
        payload = {
            "ApiKey": conf.get("NOTIFY_SMS_API_KEY"),
            "SecretKey": conf.get("NOTIFY_SMS_SECRET_KEY"),
            "Phone": "0" + phone[2:],
            "Content": sms.text,
            "IsUnicode": "1" if sms.encoding == "ucs2" else "0",
            "Brandname": conf.get("NOTIFY_SMS_BRANDNAME"),
            "SmsType": "2",  # customer-care brandname message
            "RequestId": notification.key.hex,
        }
        try:
            reply = post_json(
                conf.get("NOTIFY_SMS_URL"), payload, timeout=conf.get("NOTIFY_HTTP_TIMEOUT")
            )
        except NotSent as exc:
            return ProviderResult(Outcome.RETRY, error=f"SMS gateway not reachable: {exc}")
        except NoAnswer as exc:
            return ProviderResult(Outcome.UNKNOWN, error=f"SMS gateway did not answer: {exc}")
        if reply.status == 429:
            return ProviderResult(
                Outcome.RATE_LIMITED,
                error="SMS gateway: too many requests",
                retry_after=reply.retry_after,
            )
        if reply.status >= 500:
            return ProviderResult(Outcome.UNKNOWN, error=f"SMS gateway HTTP {reply.status}")
        code = str(reply.body.get("CodeResult", ""))
        if code in (ACCEPTED, DUPLICATE_REQUEST_ID):
            return ProviderResult.delivered(
                str(reply.body.get("SMSID") or f"req:{payload['RequestId']}")
            )
        message = f"SMS gateway code {code or reply.status}: {reply.body.get('ErrorMessage', '')}"
        if code in UNREACHABLE_CODES:
            return ProviderResult(Outcome.UNREACHABLE, error=message.strip())
        return ProviderResult(Outcome.RETRY, error=message.strip())
