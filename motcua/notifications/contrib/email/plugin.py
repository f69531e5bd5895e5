"""E-mail through Django's SMTP backend, the notification key as the Message-ID.

SMTP servers do not deduplicate by Message-ID: a message whose acceptance was not
recorded (the worker died between the server's 250 and the database update) is sent
again with the same Message-ID. Mail clients and some relays drop such duplicates;
the test relay (contrib.email.simulator) does. See docs/notifications.md.
"""

from __future__ import annotations

import smtplib
import socket
from email.utils import parseaddr

from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils.translation import gettext_lazy as _

from motcua.notifications import conf
from motcua.notifications.channels import Channel, Outcome, ProviderResult, registry
from motcua.notifications.models import MessageTemplate, Notification
from motcua.notifications.rendering import render_email


def message_id(notification: Notification) -> str:
    domain = parseaddr(conf.get("NOTIFY_EMAIL_FROM"))[1].rpartition("@")[2] or "motcua.localhost"
    return f"<{notification.key.hex}@{domain}>"


@registry("email")
class EmailChannel(Channel):
    verbose_name = _("e-mail")
    rate_setting = "NOTIFY_EMAIL_RATE"
    burst_setting = "NOTIFY_EMAIL_BURST"

    def is_enabled(self) -> bool:
        return bool(conf.get("NOTIFY_SMTP_HOST"))

    def address(self, notification: Notification) -> str | None:
        return notification.recipient_email.strip() or None

    def accepts(self, template: MessageTemplate) -> bool:
        return bool(template.email_body.strip())

    def send(self, notification: Notification) -> ProviderResult:
        content = render_email(notification.template_version, notification.context)
        connection = get_connection(
            "django.core.mail.backends.smtp.EmailBackend",
            host=conf.get("NOTIFY_SMTP_HOST"),
            port=conf.get("NOTIFY_SMTP_PORT"),
            username=conf.get("NOTIFY_SMTP_USER") or None,
            password=conf.get("NOTIFY_SMTP_PASSWORD") or None,
            use_tls=conf.get("NOTIFY_SMTP_STARTTLS"),
            use_ssl=conf.get("NOTIFY_SMTP_SSL"),
            timeout=conf.get("NOTIFY_HTTP_TIMEOUT"),
            fail_silently=False,
        )
        mid = message_id(notification)
        email = EmailMultiAlternatives(
            subject=content.subject,
            body=content.body,
            from_email=conf.get("NOTIFY_EMAIL_FROM"),
            to=[self.address(notification) or ""],
            headers={"Message-ID": mid},
            connection=connection,
        )
        email.attach_alternative(content.html, "text/html")  # every value escaped
        try:
            email.send()
        except (ConnectionRefusedError, socket.gaierror, smtplib.SMTPConnectError) as exc:
            return ProviderResult(Outcome.RETRY, error=f"SMTP not reachable: {exc}")
        except smtplib.SMTPAuthenticationError as exc:
            return ProviderResult(Outcome.RETRY, error=f"SMTP login refused: {exc.smtp_code}")
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _msg in exc.recipients.values()]
            if codes and all(500 <= code < 600 for code in codes):
                return ProviderResult(Outcome.UNREACHABLE, error=f"address refused: {codes}")
            return ProviderResult(Outcome.RETRY, error=f"address deferred: {codes}")
        except smtplib.SMTPSenderRefused as exc:
            return ProviderResult(Outcome.RETRY, error=f"sender refused: {exc.smtp_code}")
        except smtplib.SMTPDataError as exc:
            # The server answered DATA with an error: it did not take the message.
            if 500 <= exc.smtp_code < 600:
                return ProviderResult(Outcome.UNREACHABLE, error=f"message refused: {exc}")
            return ProviderResult(Outcome.RETRY, error=f"message deferred: {exc.smtp_code}")
        except (smtplib.SMTPException, OSError) as exc:
            # Disconnected or timed out, possibly after the server took the message.
            return ProviderResult(Outcome.UNKNOWN, error=f"{type(exc).__name__}: {exc}")
        return ProviderResult.delivered(mid)
