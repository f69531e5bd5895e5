"""The fields of a question page that asks several things at once (a "group" page).

    {% load portal_fields %}
    {% for field in fields %}{% if field.shown %}{% group_field field %}{% endif %}{% endfor %}

`field` is what motcua.portal.filing._group_fields makes: the field's localized spec,
what was typed, its error, what the population database found, and how filing.js
reveals it. Drawn here in Python rather than by an included template: a group page has
up to a dozen fields, each with some twenty conditions, and the template engine spent
~0.17 ms a field on them, a fifth of the whole page (issue 14, bench/portal.py); plain
strings with every value escaped (`_e`) take a tenth of that.

Each field is a labelled control with its hint and error tied to it by
aria-describedby; a choice is a fieldset of radios whose legend is the label. Texts in
Vietnamese on the English page carry lang="vi" (motcua.catalog.formdefs.tr).
"""

from __future__ import annotations

import html
from typing import Any

from django import template
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.translation import gettext as _

from motcua.portal.templatetags.portal_help import explain_terms

register = template.Library()

_NUMERIC = ("number", "citizen_id", "date")


def _e(value: Any) -> str:
    """`value` escaped for HTML text or a quoted attribute, unless already safe HTML."""
    return str(value) if isinstance(value, SafeData) else html.escape(str(value))


def _lang(text: Any) -> str:
    lang = getattr(text, "lang", "")
    return f' lang="{_e(lang)}"' if lang else ""


def _error(name: str, error: str) -> str:
    if not error:
        return ""
    return (f'<p class="field-error" id="f-{name}-error"><span class="vh">{_e(_("Error:"))}'
            f"</span> {_e(error)}</p>")


def _described(name: str, hinted: bool, error: str) -> str:
    """The ids aria-describedby names: the hint, then the error, those there are."""
    return " ".join(([f"f-{name}-hint"] if hinted else []) + ([f"f-{name}-error"] if error else []))


def _invalid(name: str, error: str) -> str:
    return f' aria-invalid="true" aria-describedby="f-{name}-error"' if error else ""


def _choice(name: str, sub: dict, field: dict) -> list[str]:
    hint, error, label = sub.get("hint"), field["error"], sub.get("label", "")
    described = _described(name, bool(hint), error)
    out = [
        f'<fieldset aria-describedby="{described}">' if described else "<fieldset>",
        f"<legend{_lang(label)}>{_e(label)}</legend>",
    ]
    if hint:
        out.append(f'<p class="hint" id="f-{name}-hint"{_lang(hint)}>{explain_terms(hint)}</p>')
    out.append(_error(name, error))
    for i, option in enumerate(sub.get("options", [])):
        first = f' id="f-{name}"' if i == 0 else ""
        checked = " checked" if field["value"] == option["value"] else ""
        out.append(
            f'<label class="radio"><input type="radio" name="{name}" '
            f'value="{_e(option["value"])}"{first}{checked}> '
            f"<span{_lang(option['label'])}>{_e(option['label'])}</span></label>"
        )
    out.append("</fieldset>")
    return out


def _check(name: str, sub: dict, field: dict) -> list[str]:
    error, label = field["error"], sub.get("label", "")
    checked = " checked" if field["value"] == "1" else ""
    out = [
        _error(name, error),
        f'<label class="check"><input type="checkbox" id="f-{name}" name="{name}" value="1"'
        f"{checked}{_invalid(name, error)}> <span{_lang(label)}>{explain_terms(label)}</span>"
        "</label>",
    ]
    if hint := sub.get("hint"):
        out.append(f'<p class="hint"{_lang(hint)}>{explain_terms(hint)}</p>')
    return out


def _commune(name: str, sub: dict, field: dict, communes: list) -> list[str]:
    error, label = field["error"], sub.get("label", "")
    options = "".join(
        f'<option value="{_e(code)}"{" selected" if field["value"] == code else ""}>'
        f"{_e(commune)}</option>"
        for code, commune in communes
    )
    return [
        f'<label for="f-{name}"{_lang(label)}>{_e(label)}</label>',
        _error(name, error),
        f'<select id="f-{name}" name="{name}"{_invalid(name, error)}>',
        f'<option value="">{_e(_("Choose…"))}</option>{options}',
        "</select>",
    ]


def _text(name: str, sub: dict, field: dict) -> list[str]:
    kind, hint, example = sub.get("type"), sub.get("hint"), sub.get("example")
    error, label = field["error"], sub.get("label", "")
    out = [f'<label for="f-{name}"{_lang(label)}>{_e(label)}</label>']
    hinted = bool(hint or example or kind == "date")
    if hinted:
        parts = f"<span{_lang(hint)}>{explain_terms(hint)}</span> " if hint else ""
        if example:
            parts += f"{_e(_('For example:'))} <span{_lang(example)}>{_e(example)}</span>"
        elif kind == "date":
            parts += _e(_("For example: 12/4/2026 or 12-4-26."))
        out.append(f'<p class="hint" id="f-{name}-hint">{parts}</p>')
    out.append(_error(name, error))
    attrs = ""
    if kind in _NUMERIC:
        attrs += ' inputmode="numeric"'
    elif kind == "phone":
        attrs += ' inputmode="tel" autocomplete="tel"'
    if kind == "citizen_id":
        attrs += ' maxlength="15"'
    if kind == "date":
        attrs += f' data-date-words="f-{name}-words"'
    if described := _described(name, hinted, error):
        attrs += f' aria-describedby="{described}"'
    if error:
        attrs += ' aria-invalid="true"'
    out.append(
        f'<input type="text" id="f-{name}" name="{name}" value="{_e(field["value"])}"{attrs}>'
    )
    if kind == "date":
        words = field.get("words")
        said = _e(_("That is: %(words)s") % {"words": words}) if words else ""
        out.append(f'<p class="words" id="f-{name}-words" aria-live="polite">{said}</p>')
    if field.get("found"):
        out.append(f'<p class="found" id="f-{name}-found"><strong>{_e(_("Found:"))}</strong> '
                   f"{_e(field['found'])}</p>")
    elif field.get("unavailable"):
        out.append('<p class="hint">' + _e(_(
            "The national population database cannot be reached now: write the name and "
            "date of birth below; the office will check them."
        )) + "</p>")
    return out


@register.simple_tag(takes_context=True)
def group_field(context: template.Context, field: dict) -> SafeString:
    """One field of a group page, in its <div class="field">."""
    sub = field["spec"]
    name = _e(sub["id"])
    kind = sub.get("type")
    if kind == "choice":
        inner = _choice(name, sub, field)
    elif kind == "check":
        inner = _check(name, sub, field)
    elif kind == "commune":
        inner = _commune(name, sub, field, context.get("communes") or [])
    else:
        inner = _text(name, sub, field)
    reveal = field.get("reveal")
    shows = (
        f' data-show-name="{_e(reveal["name"])}" data-show-values="{_e(reveal["values"])}"'
        + (' data-show-not="1"' if reveal["negate"] else "")
    ) if reveal else ""
    has_error = " has-error" if field["error"] else ""
    body = "\n".join(part for part in inner if part)
    return mark_safe(f'<div class="field{has_error}"{shows}>\n{body}\n</div>')  # all escaped
