"""Message templates rendered with Django's template engine from a notification's context.

A dedicated engine without autoescaping: messages are plain text (e-mail, SMS, ZNS
parameters), and what a citizen typed must reach them as typed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.template import Context, Engine, TemplateSyntaxError
from django.urls import NoReverseMatch, reverse

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
    """The SMS text as the configured route takes it (folded unless Unicode), fitted.
    A text too long is cut before the dossier's link, never through it."""
    if unicode is None:
        unicode = conf.get("NOTIFY_SMS_UNICODE")
    max_parts = conf.get("NOTIFY_SMS_MAX_PARTS")
    text = render_text(template.sms_body, context)
    fitted = sms_fit(text, unicode=unicode, max_parts=max_parts)
    link = str(context.get("link") or "")
    if fitted.shortened and link and link in text:
        return _fit_keeping(text, link, unicode=unicode, max_parts=max_parts) or fitted
    return fitted


def _fit_keeping(text: str, link: str, *, unicode: bool, max_parts: int) -> SmsText | None:
    """`text` shortened word by word before `link` until it fits with the link whole
    (a cut link leads nowhere); None when even the link alone does not fit."""
    head, _, tail = text.partition(link)
    words = head.split()
    while words:
        words.pop()
        kept = " ".join(words).rstrip(" ,;:-.")
        candidate = f"{kept}… {link}{tail}" if kept else f"{link}{tail}"
        fitted = sms_fit(candidate, unicode=unicode, max_parts=max_parts)
        if not fitted.shortened:
            return replace(fitted, shortened=True)
    return None


def site_link(path: str) -> str:
    """`path` on the site's public address (NOTIFY_SITE_URL); "" while none is set,
    as a path alone is of no use in a text message."""
    base = (conf.get("NOTIFY_SITE_URL") or "").rstrip("/")
    return f"{base}{path}" if base else ""


def dossier_link(dossier: Any) -> str:
    """The short link to a dossier that its messages carry (/h/<token>): the owner's
    page once signed in, public tracking otherwise (motcua.portal.mine.short_link)."""
    try:
        path = reverse("portal:short", args=[dossier.short_token])
    except NoReverseMatch:
        return ""
    return site_link(path)


def render_zalo(template: Any, context: dict[str, Any]) -> dict[str, str]:
    return {
        name: " ".join(render_text(str(source), context).split())
        for name, source in (template.zalo_params or {}).items()
    }
