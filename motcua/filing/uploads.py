"""A citizen's photos and PDFs of papers: checked, large photos scaled down, several
photos of one paper combined into one PDF.

Used by online filing (motcua.filing.drafts) and by the supplement a citizen sends
from "My dossiers" (motcua.dossiers.citizen), so both take the same files the same way.
"""

from __future__ import annotations

import io

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps
from pillow_heif import register_heif_opener

MAX_PHOTO_SIDE = 2000  # pixels; larger photos are scaled down (enough to read a paper)
MAX_FILES_PER_PAPER = 10
PHOTO_KINDS = ("jpeg", "png", "webp")  # HEIC (iPhones) is turned into JPEG on arrival

# Officers' computers often cannot open HEIC; pillow-heif lets Pillow read it.
register_heif_opener()


UPLOAD_CONTENT_TYPES = {
    "pdf": "application/pdf",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "heic": "image/heic",
}


def sniff_upload(head: bytes) -> str | None:
    """The kind of a scan or phone photo from its first bytes, or None if not accepted."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"hevc"):
        return "heic"
    return None


MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def upload_error(upload: UploadedFile) -> str | None:
    """A message for the officer when a file is not a PDF or a photo, or too big."""
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        return _("The file “%(name)s” is too big: at most %(mb)d MB.") % {
            "name": upload.name,
            "mb": MAX_UPLOAD_BYTES // (1024 * 1024),
        }
    if not upload.size:
        return _("The file “%(name)s” is empty.") % {"name": upload.name}
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if sniff_upload(head) is None:
        return _(
            "The file “%(name)s” is not a PDF or a photo (JPEG, PNG, WebP, HEIC). "
            "Scan the paper again or take a photo with the phone."
        ) % {"name": upload.name}
    return None


class UploadRefused(Exception):
    """A file that is not taken; the message names it and says what to do."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def _photo_downscaled(data: bytes, *, always: bool = False) -> bytes | None:
    """A JPEG of the photo no larger than MAX_PHOTO_SIDE, or None to keep it as it is
    (`always`: make the JPEG even when the photo is small)."""
    with Image.open(io.BytesIO(data)) as image:
        if max(image.size) <= MAX_PHOTO_SIDE and not always:
            return None
        image = ImageOps.exif_transpose(image).convert("RGB")
        image.thumbnail((MAX_PHOTO_SIDE, MAX_PHOTO_SIDE))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=85, optimize=True)
        return out.getvalue()


def upload_read(upload: UploadedFile) -> tuple[bytes, str]:
    """The bytes and kind ("pdf", "jpeg", …) of an uploaded paper, a large photo scaled
    down; UploadRefused when it is empty, too big, not a PDF or photo, or unreadable."""
    if message := upload_error(upload):
        raise UploadRefused(message)
    upload.seek(0)
    data = upload.read()
    kind = sniff_upload(data[:16])
    if kind in (*PHOTO_KINDS, "heic"):
        try:
            smaller = _photo_downscaled(data, always=kind == "heic")
        except Exception as exc:  # any unreadable image gets the same message
            raise UploadRefused(
                _("The photo “%(name)s” cannot be opened. Take the photo again.")
                % {"name": upload.name}
            ) from exc
        if smaller is not None:
            data, kind = smaller, "jpeg"
    return data, kind or ""


def paper_files(stem: str, files: list[tuple[bytes, str]]) -> list[ContentFile]:
    """The files of one paper, ready to attach: several photos become one PDF named
    `stem`.pdf, anything else keeps its bytes as `stem`.<kind>."""
    photos = [(data, kind) for data, kind in files if kind in PHOTO_KINDS]
    others = [(data, kind) for data, kind in files if kind not in PHOTO_KINDS]
    out: list[ContentFile] = []
    if len(photos) > 1:
        images = [
            ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
            for data, _kind in photos
        ]
        buffer = io.BytesIO()
        images[0].save(buffer, "PDF", save_all=True, append_images=images[1:], resolution=150)
        out.append(ContentFile(buffer.getvalue(), name=f"{stem}.pdf"))
    else:
        others = photos + others
    return out + [ContentFile(data, name=f"{stem}.{kind}") for data, kind in others]
