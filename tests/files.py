"""Real files for tests that upload one: the upload checks read content, so a few bytes
that only start like a PDF are refused as broken (motcua.filing.uploads)."""

from __future__ import annotations

import io

from pypdf import PdfWriter


def pdf_bytes(pages: int = 1) -> bytes:
    """A valid PDF of blank A4 pages, with nothing active in it."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
