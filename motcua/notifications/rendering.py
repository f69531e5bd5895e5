"""Message templates rendered with Django's template engine from a notification's context.

A dedicated engine without autoescaping: messages are plain text (e-mail, SMS, ZNS
parameters), and what a citizen typed must reach them as typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.template import Context, Engine, TemplateSyntaxError

from motcua.notifications import conf
from motcua.notifications.text import SmsText, sms_fit

ENGINE = Engine(builtins=["motcua.notifications.templatetags.notify"], autoescape=False)


class RenderError(Exception):
    """The template cannot be rendered (an administrator's edit slipped through)."""


def render_text(source: str, context: dict[str, Any]) -> str:
    try:
        return ENGINE.from_string(source).render(Context(context, autoescape=False))
    except TemplateSyntaxError as exc:
        raise RenderError(str(exc)) from exc
    except Exception as exc:  # a filter choking on odd data must not kill the worker
        raise RenderError(f"{type(exc).__name__}: {exc}") from exc


@dataclass(frozen=True)
class EmailContent:
    subject: str
    body: str


def render_email(template: Any, context: dict[str, Any]) -> EmailContent:
    subject = " ".join(render_text(template.subject, context).split())
    return EmailContent(subject=subject, body=render_text(template.email_body, context).strip())


def render_sms(template: Any, context: dict[str, Any], *, unicode: bool | None = None) -> SmsText:
    """The SMS text as the configured route takes it (folded unless Unicode), fitted."""
    if unicode is None:
        unicode = conf.get("NOTIFY_SMS_UNICODE")
    return sms_fit(
        render_text(template.sms_body, context),
        unicode=unicode,
        max_parts=conf.get("NOTIFY_SMS_MAX_PARTS"),
    )


def render_zalo(template: Any, context: dict[str, Any]) -> dict[str, str]:
    return {
        name: " ".join(render_text(str(source), context).split())
        for name, source in (template.zalo_params or {}).items()
    }
