"""`{% load once %}` … `{% once_key %}`: the hidden one-use key of a form that creates or
changes a record (motcua.core.once). Put it next to `{% csrf_token %}`; a new key is
minted every time the form is drawn, so a form shown again after an error is sent anew."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from motcua.core.once import FIELD, once_key_new

register = template.Library()


@register.simple_tag
def once_key() -> SafeString:
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, once_key_new())
