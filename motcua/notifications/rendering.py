"""Message templates rendered with Django's template engine from a notification's context.

Two engines. Plain text (SMS, ZNS parameters, the text part of an e-mail): no
autoescaping, what a citizen typed must reach them as typed. HTML (the e-mail's HTML
part): autoescaping on, and the template's own words escaped too, so that neither a
value a citizen typed into a dossier ("<script>") nor an administrator's edit turns into
markup (ASVS 5.0 V1.2.1 output encoding, V1.3.7 template injection). Administrators
cannot switch the escaping off: `safe` and `autoescape off` are refused when a template
is saved (motcua.notifications.services.message_template_check).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import Lexer, TokenType
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape

from motcua.notifications import conf
from motcua.notifications.text import SmsText, sms_fit

BUILTINS = ["motcua.notifications.templatetags.notify"]
ENGINE = Engine(builtins=BUILTINS, autoescape=False)
HTML_ENGINE = Engine(builtins=BUILTINS, autoescape=True)

# What would let a template put a value into the HTML unescaped.
UNESCAPING = re.compile(r"\|\s*(safe|safeseq)\b|\{%-?\s*autoescape\s+off\b")


class RenderError(Exception):
    """The template cannot be rendered (an administrator's edit slipped through)."""


def render_text(source: str, context: dict[str, Any]) -> str:
    try:
        return ENGINE.from_string(source).render(Context(context, autoescape=False))
    except TemplateSyntaxError as exc:
        raise RenderError(str(exc)) from exc
    except Exception as exc:  # a filter choking on odd data must not kill the worker
        raise RenderError(f"{type(exc).__name__}: {exc}") from exc


def _escaped_source(source: str) -> str:
    """The template with its literal text HTML-escaped and its tags as written: the
    administrator writes plain text, whose "<" must show as "<" in the HTML part."""
    parts = []
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.TEXT:
            parts.append(escape(token.contents))
        elif token.token_type == TokenType.VAR:
            parts.append(f"{{{{ {token.contents} }}}}")
        elif token.token_type == TokenType.BLOCK:
            parts.append(f"{{% {token.contents} %}}")
    return "".join(parts)


def render_html(source: str, context: dict[str, Any]) -> str:
    """`source` (a plain-text template) rendered as HTML text, every value escaped."""
    if UNESCAPING.search(source):
        raise RenderError("values in messages are always escaped: remove safe / autoescape off")
    try:
        template = HTML_ENGINE.from_string(_escaped_source(source))
        return template.render(Context(context, autoescape=True))
    except TemplateSyntaxError as exc:
        raise RenderError(str(exc)) from exc
    except Exception as exc:  # a filter choking on odd data must not kill the worker
        raise RenderError(f"{type(exc).__name__}: {exc}") from exc


def _linked(escaped: str) -> str:
    """Links to this site made clickable in escaped text (no quote or "<" can be in it,
    so none breaks out of the attribute). Other addresses stay text: a citizen could
    type one into a field that reaches an official's mailbox."""
    base = (conf.get("NOTIFY_SITE_URL") or "").rstrip("/")
    if not base:
        return escaped
    pattern = re.compile(re.escape(escape(base)) + r"(?:/[^\s<>\"']*)?")

    def link(match: re.Match[str]) -> str:
        url = match.group(0).rstrip(".,;:!?)")
        return f'<a href="{url}">{url}</a>{match.group(0)[len(url) :]}'

    return pattern.sub(link, escaped)


def _html_document(subject: str, escaped_body: str) -> str:
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", escaped_body.strip()) if p.strip()]
    body = "\n".join(
        "<p>" + "<br>\n".join(_linked(line) for line in p.splitlines()) + "</p>" for p in paragraphs
    )
    return (
        '<!DOCTYPE html>\n<html lang="vi"><head><meta charset="utf-8">'
        f"<title>{escape(subject)}</title></head>\n"
        '<body style="font-family: Arial, sans-serif; font-size: 16px; line-height: 1.5">\n'
        f"{body}\n</body></html>\n"
    )


@dataclass(frozen=True)
class EmailContent:
    subject: str
    body: str  # the text part
    html: str = ""  # the HTML part: the same words, every value escaped


def render_email(template: Any, context: dict[str, Any]) -> EmailContent:
    subject = " ".join(render_text(template.subject, context).split())
    return EmailContent(
        subject=subject,
        body=render_text(template.email_body, context).strip(),
        html=_html_document(subject, render_html(template.email_body, context)),
    )


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
