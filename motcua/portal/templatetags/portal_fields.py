"""The fields of a question page that asks several things at once (a "group" page).

    {% load portal_fields %}
    {% for field in fields %}{% if field.shown %}{% group_field field %}{% endif %}{% endfor %}

`field` is what motcua.portal.filing._group_fields makes: the field's localized spec,
what was typed, its error, what the population database found, and how filing.js
reveals it. Drawn here in Python rather than by an included template: a group page has
up to a dozen fields, each with some twenty conditions, and the template engine spent
~0.17 ms a field on them, a fifth of the whole page (issue 14, bench/portal.py).

Each field is a labelled control with its hint and error tied to it by
aria-describedby; a choice is a fieldset of radios whose legend is the label. Texts in
Vietnamese on the English page carry lang="vi" (motcua.catalog.formdefs.tr).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from motcua.portal.templatetags.portal_help import explain_terms

register = template.Library()

_NUMERIC = ("number", "citizen_id", "date")


def _lang(text: Any) -> SafeString:
    lang = getattr(text, "lang", "")
    return format_html(' lang="{}"', lang) if lang else mark_safe("")


def _error(name: str, error: str) -> SafeString:
    if not error:
        return mark_safe("")
    return format_html(
        '<p class="field-error" id="f-{}-error"><span class="vh">{}</span> {}</p>',
        name, _("Error:"), error,
    )


def _choice(name: str, sub: dict, field: dict) -> list[Any]:
    hint, error = sub.get("hint"), field["error"]
    described = " ".join(
        ([f"f-{name}-hint"] if hint else []) + ([f"f-{name}-error"] if error else [])
    )
    out = [
        format_html('<fieldset aria-describedby="{}">', described) if described
        else mark_safe("<fieldset>"),
        format_html("<legend{}>{}</legend>", _lang(sub.get("label")), sub.get("label", "")),
    ]
    if hint:
        out.append(format_html('<p class="hint" id="f-{}-hint"{}>{}</p>',
                               name, _lang(hint), explain_terms(hint)))
    out.append(_error(name, error))
    for i, option in enumerate(sub.get("options", [])):
        out.append(format_html(
            '<label class="radio"><input type="radio" name="{}" value="{}"{}{}> '
            "<span{}>{}</span></label>",
            name, option["value"],
            format_html(' id="f-{}"', name) if i == 0 else "",
            mark_safe(" checked") if field["value"] == option["value"] else "",
            _lang(option["label"]), option["label"],
        ))
    out.append(mark_safe("</fieldset>"))
    return out


def _check(name: str, sub: dict, field: dict) -> list[Any]:
    error = field["error"]
    out = [_error(name, error), format_html(
        '<label class="check"><input type="checkbox" id="f-{}" name="{}" value="1"{}{}> '
        "<span{}>{}</span></label>",
        name, name,
        mark_safe(" checked") if field["value"] == "1" else "",
        format_html(' aria-invalid="true" aria-describedby="f-{}-error"', name) if error else "",
        _lang(sub.get("label")), explain_terms(sub.get("label", "")),
    )]
    if hint := sub.get("hint"):
        out.append(format_html('<p class="hint"{}>{}</p>', _lang(hint), explain_terms(hint)))
    return out


def _invalid(name: str, error: str) -> SafeString:
    if not error:
        return mark_safe("")
    return format_html(' aria-invalid="true" aria-describedby="f-{}-error"', name)


def _commune(name: str, sub: dict, field: dict, communes: list) -> list[Any]:
    error = field["error"]
    options = [format_html('<option value="">{}</option>', _("Choose…"))]
    options += [
        format_html('<option value="{}"{}>{}</option>', code,
                    mark_safe(" selected") if field["value"] == code else "", commune)
        for code, commune in communes
    ]
    return [
        format_html('<label for="f-{}"{}>{}</label>', name, _lang(sub.get("label")),
                    sub.get("label", "")),
        _error(name, error),
        format_html('<select id="f-{}" name="{}"{}>', name, name, _invalid(name, error)),
        mark_safe("".join(options)),
        mark_safe("</select>"),
    ]


def _text(name: str, sub: dict, field: dict) -> list[Any]:
    kind, hint, example = sub.get("type"), sub.get("hint"), sub.get("example")
    error = field["error"]
    out = [format_html('<label for="f-{}"{}>{}</label>', name, _lang(sub.get("label")),
                       sub.get("label", ""))]
    hinted = bool(hint or example or kind == "date")
    if hinted:
        parts = []
        if hint:
            parts.append(format_html("<span{}>{}</span> ", _lang(hint), explain_terms(hint)))
        if example:
            parts.append(format_html("{} <span{}>{}</span>", _("For example:"), _lang(example),
                                     example))
        elif kind == "date":
            parts.append(conditional_escape(_("For example: 12/4/2026 or 12-4-26.")))
        out.append(format_html('<p class="hint" id="f-{}-hint">{}</p>', name,
                               mark_safe("".join(parts))))
    out.append(_error(name, error))
    attrs = []
    if kind in _NUMERIC:
        attrs.append(' inputmode="numeric"')
    elif kind == "phone":
        attrs.append(' inputmode="tel" autocomplete="tel"')
    if kind == "citizen_id":
        attrs.append(' maxlength="15"')
    if kind == "date":
        attrs.append(f' data-date-words="f-{conditional_escape(name)}-words"')
    described = " ".join(
        ([f"f-{name}-hint"] if hinted else []) + ([f"f-{name}-error"] if error else [])
    )
    if described:
        attrs.append(format_html(' aria-describedby="{}"', described))
    if error:
        attrs.append(' aria-invalid="true"')
    out.append(format_html('<input type="text" id="f-{}" name="{}" value="{}"{}>', name, name,
                           field["value"], mark_safe("".join(attrs))))
    if kind == "date":
        words = field.get("words")
        out.append(format_html(
            '<p class="words" id="f-{}-words" aria-live="polite">{}</p>', name,
            _("That is: %(words)s") % {"words": words} if words else "",
        ))
    if field.get("found"):
        out.append(format_html('<p class="found" id="f-{}-found"><strong>{}</strong> {}</p>',
                               name, _("Found:"), field["found"]))
    elif field.get("unavailable"):
        out.append(format_html('<p class="hint">{}</p>', _(
            "The national population database cannot be reached now: write the name and "
            "date of birth below; the office will check them."
        )))
    return out


@register.simple_tag(takes_context=True)
def group_field(context: template.Context, field: dict) -> SafeString:
    """One field of a group page, in its <div class="field">."""
    sub = field["spec"]
    name = sub["id"]
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
    shows = format_html(
        ' data-show-name="{}" data-show-values="{}"{}', reveal["name"], reveal["values"],
        mark_safe(' data-show-not="1"') if reveal["negate"] else "",
    ) if reveal else ""
    return format_html(
        '<div class="field{}"{}>\n{}\n</div>',
        mark_safe(" has-error") if field["error"] else "", shows,
        mark_safe("\n".join(str(part) for part in inner if part)),
    )
