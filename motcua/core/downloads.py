"""Answering with a file: a citizen's paper, an electronic result, a generated slip.

Every such file is downloaded, never shown by the browser as a page of our site, so a
file that slipped past the content checks (an HTML or SVG file named .jpg, a PDF with
scripts) cannot run with our origin's cookies and pages:

- `Content-Disposition: attachment` (ASVS 5.0 V3.2.1) with a file name we chose,
  cleaned and encoded as RFC 6266 says (V5.4.1, V5.4.2),
- `X-Content-Type-Options: nosniff`, the type we set and nothing guessed (V3.4.4),
- `Content-Security-Policy: sandbox; default-src 'none'`: even opened in a tab it has
  no scripts, no forms, no origin (V3.2.1); set here, since django-csp's middleware
  keeps a header a view set and the response is marked exempt besides,
- `Cache-Control: private, no-store`: papers and results hold personal data; no shared
  or browser cache keeps them (V14.3.2).
"""

from __future__ import annotations

import unicodedata
from typing import IO

from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

SANDBOX_POLICY = "sandbox; default-src 'none'"


def safe_filename(name: str, *, default: str = "tep") -> str:
    """`name` without folders, control characters, quotes or separators that could end
    the header or name another place; Vietnamese letters are kept (RFC 6266 filename*)."""
    name = unicodedata.normalize("NFC", str(name)).replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(
        "_" if ch in '"<>:|?*;' or (unicodedata.category(ch)[0] in "CZ" and ch != " ") else ch
        for ch in name
    ).strip(" .")
    return cleaned[:150] or default


def private_file_response(
    content: bytes | IO[bytes], *, filename: str, content_type: str
) -> HttpResponseBase:
    """A download of `content` (bytes, or an open binary file the response closes) with
    the headers above."""
    name = safe_filename(filename)
    if isinstance(content, (bytes, bytearray)):
        response: HttpResponseBase = HttpResponse(bytes(content), content_type=content_type)
    else:
        response = FileResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_POLICY
    response["Cache-Control"] = "private, no-store"
    response._csp_exempt = True  # type: ignore[attr-defined]  # our header, not the site's
    return response
