"""Help where citizens need it (issue 12): the desk to call, and the words explained.

    {% load portal_help %}

    {% desk_help_box %}                                  the desk of the signed-in citizen's
                                                         commune, else the province centre
    {% desk_help_box draft=draft %}                      the desk the draft will go to
    {% desk_help_box agency=dossier.receiving_agency %}  the desk that has the dossier

    {% glossary %} … {{ text|explain_terms }} … {% endglossary %}

`desk_help_box` renders portal/_help.html: a <details> "Cần giúp đỡ?" (no JavaScript
needed) with the desk's name, a tel: link, its office hours and address
(motcua.portal.help.desk_help).

How terms are explained, and why so. `explain_terms` escapes the text (input already
marked safe is returned untouched: it is HTML, and terms inside tags must not be
rewritten) and turns the first occurrence of each glossary term into a link to its
explanation in the list "Giải thích từ ngữ" that `{% glossary %}` appends at the end of
its content, listing the terms marked inside it, each once, in the order they first
appear. The terms are Vietnamese words (marked lang="vi", for the English page too).
The link also names the explanation with aria-describedby, so a screen reader
reads it as soon as the link is reached, without following it. Rejected: <abbr title>
(a tooltip: nothing on touch screens, not read by most screen readers), <details>
inside a sentence (a block element: it breaks the line, and summary is not phrasing
content), a pop-up (needs JavaScript), an inline "(là …)" after each term (on a 360-px
phone a list of papers naming "bản sao" five times would repeat the same sentence five
times). The footnote pattern works without JavaScript, with screen readers, and keeps
each line short. A text filtered outside `{% glossary %}` would link to nowhere: every
page that uses the filter wraps its content in the block (tests/portal/test_help.py
checks the portal's templates).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.html import escape, format_html
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.translation import get_language

from motcua.core.memo import Memo
from motcua.portal.glossary import TERMS_BY_SLUG, terms_found
from motcua.portal.help import desk_help

register = template.Library()

ANCHOR = "tu-ngu-"  # the list item of term <slug> is #tu-ngu-<slug>
_MARKED = re.compile(rf'<a class="term" href="#{ANCHOR}([a-z0-9-]+)"')


# The box of each desk, drawn once per language: every question page shows one, and
# drawing it cost a sixth of the page (issue 14). The desk's details are the key, so an
# edit of them (motcua.portal.help memoizes them a minute) draws it anew.
_boxes: Memo[SafeString] = Memo(seconds=None, size=512)


@register.simple_tag(takes_context=True)
def desk_help_box(
    context: template.Context,
    draft: Any = None,
    agency: Any = None,
    unit: Any = None,
    procedure_version: Any = None,
) -> str:
    user = context.get("user")
    if user is None and (request := context.get("request")) is not None:
        user = getattr(request, "user", None)
    help = desk_help(
        user=user, draft=draft, agency=agency, unit=unit, procedure_version=procedure_version,
    )
    if help is None:
        return ""
    return _boxes.get(
        (help, get_language()), lambda: render_to_string("portal/_help.html", {"help": help})
    )


@register.filter(is_safe=True)
def explain_terms(value: Any) -> SafeString | SafeData:
    """The text, escaped, with the first occurrence of each glossary term linked to its
    explanation (module docstring)."""
    if isinstance(value, SafeData):
        return value
    text = unicodedata.normalize("NFC", "" if value is None else str(value))
    out: list[str] = []
    done = 0
    for start, end, term in terms_found(text):
        out.append(escape(text[done:start]))
        out.append(format_html(
            '<a class="term" href="#{anchor}" aria-describedby="{anchor}-giai-thich" '
            'lang="vi">{word}</a>',
            anchor=ANCHOR + term.slug,
            word=text[start:end],
        ))
        done = end
    out.append(escape(text[done:]))
    return mark_safe("".join(out))  # every piece escaped above


class GlossaryNode(template.Node):
    def __init__(self, nodelist: template.NodeList) -> None:
        self.nodelist = nodelist

    def render(self, context: template.Context) -> str:
        html = self.nodelist.render(context)
        slugs = list(dict.fromkeys(_MARKED.findall(html)))
        if not slugs:
            return html
        terms = [TERMS_BY_SLUG[slug] for slug in slugs if slug in TERMS_BY_SLUG]
        return html + render_to_string(
            "portal/_glossary.html", {"terms": terms, "anchor": ANCHOR}
        )


@register.tag
def glossary(parser: template.base.Parser, token: template.base.Token) -> GlossaryNode:
    """{% glossary %} … {% endglossary %}: the content, then the list of the terms that
    `explain_terms` marked in it."""
    if len(token.split_contents()) != 1:
        raise template.TemplateSyntaxError("{% glossary %} takes no arguments.")
    nodelist = parser.parse(("endglossary",))
    parser.delete_first_token()
    return GlossaryNode(nodelist)
