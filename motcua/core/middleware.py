"""Language selection for a Vietnamese public service; control characters refused in input."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from django.conf import settings
from django.contrib import auth
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from motcua.core import errors
from motcua.core.text import CONTROL_CHARACTERS as _CONTROL
from motcua.core.text import control_character_path

logger = logging.getLogger(__name__)


class LanguageMiddleware:
    """Vietnamese unless the visitor chose another language with the switch.

    Django's LocaleMiddleware follows the browser's Accept-Language, but many phones
    in Vietnam run with an English system language while their owners read Vietnamese:
    only an explicit choice (the language cookie set by /i18n/setlang/) counts here.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ["Cookie"])
        return response


_JSON_TYPES = ("application/json",)
_NAME_SHOWN = 60


def _shown(name: str) -> str:
    """A field name as it can be printed: control characters as \\xNN, cut short."""
    name = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", name)
    return name if len(name) <= _NAME_SHOWN else name[: _NAME_SHOWN - 1] + "…"


class InputCharactersMiddleware:
    """Refuses, with 400 and a message naming the field, any request whose address,
    query or form field names or values, or JSON body (under /api/) hold NUL or another
    control character: no view, form or database ever sees them (ASVS 5.0 V2.2.1 input
    validation, V1.1.1 one canonical form). JSON under /api/, the 400 page elsewhere.
    Uploaded file names need no check: Django's multipart parser already drops their
    non-printable characters (MultiPartParser.sanitize_file_name).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = self.problem(request)
        if problem:
            logger.warning("Refused control characters: %s %s", request.path_info[:200], problem)
            if not hasattr(request, "user"):  # the page's header shows who is signed in
                request.user = SimpleLazyObject(lambda: auth.get_user(request))
            return errors.error_page(request, 400, detail=problem)
        return self.get_response(request)

    def problem(self, request: HttpRequest) -> str:
        """What is wrong, in words for the person who sent it; "" when nothing is."""
        if _CONTROL.search(request.path_info):
            return _("The page address has characters that are not allowed (control characters).")
        for query in (request.GET, request.POST if request.method == "POST" else None):
            for name, values in (query.lists() if query is not None else ()):
                if _CONTROL.search(name) or any(_CONTROL.search(v) for v in values):
                    return self._field_message(name)
        if errors.is_api(request) and request.content_type in _JSON_TYPES and request.body:
            try:
                data = json.loads(request.body)
                path = control_character_path(data)
            except ValueError:
                return ""  # not JSON: the endpoint says so in its own words
            except RecursionError:  # "[[[[…]]]]": no endpoint takes data nested so deep
                return _("The data sent is nested too deeply.")
            if path is not None:
                return self._field_message(path)
        return ""

    @staticmethod
    def _field_message(name: str) -> str:
        return " ".join(
            [
                _("The field “%(field)s” has characters that are not allowed (control "
                  "characters).") % {"field": _shown(name)},
                _("They often come with text copied from another program: go back and type "
                  "that text again."),
            ]
        )
