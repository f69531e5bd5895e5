"""A citizen's photos and PDFs of papers: checked by content, photos stored again
without their metadata, several photos of one paper combined into one PDF.

Used by online filing (motcua.filing.drafts), the supplement a citizen sends from "My
dossiers" (motcua.dossiers.citizen), the counter and assisted filing in the back office
and the electronic result (motcua.dossiers.results), so every file is taken the same way.
The upload handler (motcua.core.uploads) has already refused files beyond the count and
size limits without writing them; upload_error gives its reason first.

ASVS 5.0 V5.2.1 and V5.2.2 (size, type by content), V5.2.6 (pixel limit, read from the
image's header before anything is decoded).
"""

from __future__ import annotations

import io
import warnings
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps
from pillow_heif import register_heif_opener
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from motcua.core.conf import setting
from motcua.core.uploads import MB, max_file_bytes, upload_refusal

MAX_PHOTO_SIDE = 2000  # pixels; larger photos are scaled down (enough to read a paper)
MAX_PIXELS = 40_000_000  # default of settings.MOTCUA_UPLOAD_MAX_PIXELS
_RESIZABLE_MODES = ("RGB", "RGBA", "L", "LA")  # scaled down by Pillow without a copy
PHOTO_KINDS = ("jpeg", "png", "webp")  # HEIC (iPhones) is turned into JPEG on arrival

# Officers' computers often cannot open HEIC; pillow-heif lets Pillow read it.
register_heif_opener()

# Any decoding anywhere in the process, not only ours: Pillow checks the pixel count at
# Image.open, from the header, and raises beyond twice MAX_IMAGE_PIXELS; between once
# and twice it only warns, so that warning is made an error too.
Image.MAX_IMAGE_PIXELS = setting("MOTCUA_UPLOAD_MAX_PIXELS", MAX_PIXELS)
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)


UPLOAD_CONTENT_TYPES = {
    "pdf": "application/pdf",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "heic": "image/heic",
}
# Pillow's decoder for each kind: a file is opened only by the decoder its first bytes
# name, never by whichever of Pillow's many decoders accepts it.
_PILLOW_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "heic": "HEIF"}


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


def max_upload_mb() -> int:
    """The largest file taken, in MB (shown beside the upload button)."""
    return max_file_bytes() // MB


class UploadRefused(Exception):
    """A file that is not taken; the message names it and says what to do."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def upload_error(upload: UploadedFile) -> str | None:
    """A message naming the file when it is not taken: refused by the upload handler
    (too many files, too big), empty, not a PDF or a photo, a photo of too many pixels or
    that cannot be read, a PDF with active content, a password or broken. Decodes no
    image (only its header is read)."""
    try:
        _checked(upload)
    except UploadRefused as exc:
        return exc.message
    return None


def upload_read(upload: UploadedFile) -> tuple[bytes, str]:
    """The bytes and kind ("pdf" or "jpeg") of an uploaded paper: a photo is stored again
    as a JPEG at most MAX_PHOTO_SIDE wide, without its metadata; UploadRefused when
    upload_error has a message or the photo cannot be decoded."""
    data, kind = _checked(upload)
    if kind == "pdf":
        return data, kind
    try:
        return _photo_cleaned(data, kind), "jpeg"
    except Exception as exc:  # a broken photo, whatever the decoder says
        raise UploadRefused(_cannot_open(upload.name)) from exc


def _checked(upload: UploadedFile) -> tuple[bytes, str]:
    if refusal := upload_refusal(upload):
        raise UploadRefused(refusal)
    name = upload.name
    if upload.size is not None and upload.size > max_file_bytes():
        raise UploadRefused(
            _("The file “%(name)s” is too big: at most %(mb)d MB.")
            % {"name": name, "mb": max_upload_mb()}
        )
    if not upload.size:
        raise UploadRefused(_("The file “%(name)s” is empty.") % {"name": name})
    upload.seek(0)
    data = upload.read(max_file_bytes() + 1)
    upload.seek(0)
    kind = sniff_upload(data[:16])
    if kind is None:
        raise UploadRefused(
            _(
                "The file “%(name)s” is not a PDF or a photo (JPEG, PNG, WebP, HEIC). "
                "Scan the paper again or take a photo with the phone."
            )
            % {"name": name}
        )
    if kind == "pdf":
        if message := _pdf_error(data, name):
            raise UploadRefused(message)
    elif message := _photo_header_error(data, kind, name):
        raise UploadRefused(message)
    return data, kind


# --- photos ---------------------------------------------------------------------------------


def max_pixels() -> int:
    return setting("MOTCUA_UPLOAD_MAX_PIXELS", MAX_PIXELS)


def _cannot_open(name: Any) -> str:
    return _("The photo “%(name)s” cannot be opened. Take the photo again.") % {"name": name}


def _too_many_pixels(name: Any) -> str:
    return _(
        "The photo “%(name)s” is too large to open: at most %(mp)d megapixels. "
        "Take the photo again, or scan the paper at 300 dpi."
    ) % {"name": name, "mp": max_pixels() // 1_000_000}


def _photo_header_error(data: bytes, kind: str, name: Any) -> str | None:
    """Refuse a photo from its header: Image.open reads the size, decodes nothing."""
    try:
        with Image.open(io.BytesIO(data), formats=[_PILLOW_FORMATS[kind]]) as image:
            width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return _too_many_pixels(name)
    except Exception:  # any unreadable header gets the same message
        return _cannot_open(name)
    if width * height > max_pixels():
        return _too_many_pixels(name)
    return None


def _photo_cleaned(data: bytes, kind: str) -> bytes:
    """The photo as a JPEG no larger than MAX_PHOTO_SIDE, turned upright, without EXIF
    (GPS position, phone model, time), XMP, comments or PNG text: a paper's photo need
    not say where the citizen lives (personal data kept to what the procedure needs,
    Decree 13/2023/NĐ-CP art. 3)."""
    with Image.open(io.BytesIO(data), formats=[_PILLOW_FORMATS[kind]]) as opened:
        opened.draft("RGB", (MAX_PHOTO_SIDE, MAX_PHOTO_SIDE))  # JPEG: decode at 1/2–1/8
        image: Image.Image = opened
        if image.mode not in _RESIZABLE_MODES:  # palette, 16-bit, CMYK: made RGB(A) first
            has_alpha = image.mode in ("PA", "La") or "transparency" in image.info
            image = image.convert("RGBA" if has_alpha else "RGB")
        # Scaled down first, so the full-size picture is not copied again (a 40 megapixel
        # PNG costs ~0.2 GB instead of ~0.45 GB); the EXIF orientation is applied after.
        image.thumbnail((MAX_PHOTO_SIDE, MAX_PHOTO_SIDE))
        image = _on_white(ImageOps.exif_transpose(image))
    out = io.BytesIO()
    # Only the pixels are written: Pillow adds EXIF, ICC or comments only when asked.
    image.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


def _on_white(image: Image.Image) -> Image.Image:
    """RGB, transparent parts white (a screenshot's transparency would turn black)."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


# --- PDFs -----------------------------------------------------------------------------------

# A PDF that acts on its own when opened or clicked: scripts, launching programs, sending
# form data, playing media, and files carried inside it. Such a PDF is refused, not
# rewritten without them: removing objects would break the digital signature of a signed
# electronic result or certified copy, and would silently change what the person sent;
# a paper printed and photographed again carries none of it. ASVS 5.0 V5.2.2.
_ACTIVE_KEYS = frozenset(
    {
        "/JS",
        "/JavaScript",
        "/AA",
        "/EmbeddedFiles",
        "/EF",
        "/RichMediaContent",
        "/XFA",
    }
)
_ACTIVE_ACTIONS = frozenset(
    {
        "/JavaScript",
        "/Launch",
        "/SubmitForm",
        "/ImportData",
        "/Rendition",
        "/Movie",
        "/Sound",
        "/RichMediaExecute",
        "/GoToE",
    }
)
_ACTIVE_SUBTYPES = frozenset({"/FileAttachment", "/RichMedia", "/Screen", "/Movie", "/Sound"})
# Objects looked at before a PDF counts as too intricate to check (a scan has a few
# dozen; the whole file is at most max_file_bytes()).
_PDF_MAX_OBJECTS = 200_000


class _PdfTooIntricate(Exception):
    pass


def _pdf_error(data: bytes, name: Any) -> str | None:
    """A message when the PDF cannot be read, has a password or active content."""
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = bool(reader.decrypt(""))  # only a permissions password is fine
            except Exception:
                opened = False
            if not opened:
                return _(
                    "The PDF “%(name)s” is protected by a password. Print it on paper, "
                    "then take a photo of it or scan it again."
                ) % {"name": name}
        if _pdf_active(reader):
            return _(
                "The PDF “%(name)s” contains code that runs by itself or attached files. "
                "Print it on paper, then take a photo of it or scan it again."
            ) % {"name": name}
        if len(reader.pages) == 0:
            raise ValueError("no page")
    except Exception:  # broken, truncated, too intricate: the same message, never a 500
        return _(
            "The PDF “%(name)s” cannot be opened. Scan the paper again or take a photo of it."
        ) % {"name": name}
    return None


def _resolved(value: Any) -> Any:
    return value.get_object() if isinstance(value, IndirectObject) else value


def _pdf_active(reader: PdfReader) -> bool:
    """Whether any object reachable from the trailer (what a viewer can act on) is an
    action, annotation or name tree of the kinds above. Streams' data is not read."""
    stack: list[Any] = [reader.trailer]
    seen: set[tuple[int, int]] = set()
    looked = 0
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            if (item.idnum, item.generation) in seen:
                continue
            seen.add((item.idnum, item.generation))
            item = item.get_object()
        looked += 1
        if looked > _PDF_MAX_OBJECTS:
            raise _PdfTooIntricate
        if isinstance(item, DictionaryObject):
            if _dictionary_active(item):
                return True
            stack.extend(item.values())
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return False


def _dictionary_active(item: DictionaryObject) -> bool:
    if _ACTIVE_KEYS.intersection(item.keys()):
        return True
    if _resolved(item.get("/S")) in _ACTIVE_ACTIONS:
        return True
    if _resolved(item.get("/Subtype")) in _ACTIVE_SUBTYPES:
        return True
    # Opening at a page (a destination, or a GoTo action) is harmless; any other action
    # on opening is not (a link opened, a form sent, a script).
    opening = _resolved(item.get("/OpenAction"))
    return isinstance(opening, DictionaryObject) and _resolved(opening.get("/S")) != "/GoTo"


# --- one paper's files ----------------------------------------------------------------------


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
