"""The one upload handler (settings.FILE_UPLOAD_HANDLERS): files counted and measured as
they arrive, those beyond the limits never written anywhere.

Django's own handlers write every file of a request to memory or to a temporary file
before any view can look at it; a POST with 15 photos of 10 MB wrote 150 MB before the
view refused it. This handler keeps a file only while the request stays within

- MOTCUA_UPLOAD_MAX_FILES files in all and MOTCUA_UPLOAD_MAX_FILES_PER_PAPER in one
  field (each upload field of motcua is one paper),
- MOTCUA_UPLOAD_MAX_FILE_MB for one file and MOTCUA_UPLOAD_MAX_REQUEST_MB for all,

and puts a RefusedUpload in request.FILES for any other file: its name and why, no
content. The content checks (motcua.filing.uploads.upload_error) give that reason as
their message, so every page that takes files says it, beside the file, without knowing
about this handler. Typed fields are parsed as usual whatever happens to the files.
ASVS 5.0 V5.2.1 (size), V5.2.2 (count), V5.2.6 (what a file may cost before checks).

Memory or temporary file is decided per request as Django does
(FILE_UPLOAD_MAX_MEMORY_SIZE); a temporary file is created at the first byte kept and
deleted when the file is refused, when the upload breaks off (UploadCleanupMiddleware
when reading the body fails), and at the end of the request (HttpRequest.close closes
every file in request.FILES; a temporary file is deleted on close).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import (
    InMemoryUploadedFile,
    TemporaryUploadedFile,
    UploadedFile,
)
from django.core.files.uploadhandler import FileUploadHandler
from django.db.models import FileField
from django.db.models.signals import pre_save
from django.utils.translation import gettext as _

from motcua.core.conf import setting

MAX_FILES = 20
MAX_FILES_PER_PAPER = 10
MAX_FILE_MB = 10
MAX_REQUEST_MB = 100
MB = 1024 * 1024


def max_files() -> int:
    return setting("MOTCUA_UPLOAD_MAX_FILES", MAX_FILES)


def max_files_per_paper() -> int:
    return setting("MOTCUA_UPLOAD_MAX_FILES_PER_PAPER", MAX_FILES_PER_PAPER)


def max_file_bytes() -> int:
    return setting("MOTCUA_UPLOAD_MAX_FILE_MB", MAX_FILE_MB) * MB


def max_request_bytes() -> int:
    return setting("MOTCUA_UPLOAD_MAX_REQUEST_MB", MAX_REQUEST_MB) * MB


def too_many_files_message() -> str:
    return _("You can send at most %(n)d files at a time.") % {"n": max_files()}


def too_many_for_paper_message() -> str:
    return _("At most %(n)d files for one paper.") % {"n": max_files_per_paper()}


def too_big_message(name: str) -> str:
    return _("The file “%(name)s” is too big: at most %(mb)d MB.") % {
        "name": name,
        "mb": max_file_bytes() // MB,
    }


def request_too_big_message() -> str:
    return _(
        "The files sent at once are too big: at most %(mb)d MB together. Send them in several goes."
    ) % {"mb": max_request_bytes() // MB}


class RefusedUpload(UploadedFile):
    """A file the handler did not keep: nothing of it was written. `refusal` says why
    (with its name); `size` is what was sent. Reading it gives nothing."""

    def __init__(
        self, *, name: str, content_type: str, size: int, refusal: str, for_count: bool
    ) -> None:
        super().__init__(io.BytesIO(b""), name, content_type, size)
        self.refusal = refusal
        self.for_count = for_count  # one file too many (not a file too big)


def upload_refusal(upload: Any) -> str | None:
    """Why the upload handler did not keep `upload`, or None when it holds the file."""
    return getattr(upload, "refusal", None)


def count_refusal(uploads: Any) -> str | None:
    """The message when the handler refused some of `uploads` for their number: a page
    then takes none of them, so what was kept is never a surprise."""
    return next((u.refusal for u in uploads if getattr(u, "for_count", False)), None)


class LimitedUploadHandler(FileUploadHandler):
    """Keeps a request's files in memory or a temporary file within the limits above."""

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.in_memory = False
        self.files_seen = 0
        self.per_field: dict[str, int] = {}
        self.bytes_kept = 0
        self.refusal: str | None = None  # of the file arriving now
        self.for_count = False
        self.current: Any = None  # not `file`: MultiPartParser._close_files would close it
        self.kept = 0  # bytes of the file arriving now

    def handle_raw_input(
        self, input_data: Any, META: Any, content_length: int, boundary: Any, encoding: Any = None
    ) -> None:
        # As Django's MemoryFileUploadHandler: a small request stays in memory.
        self.in_memory = content_length <= settings.FILE_UPLOAD_MAX_MEMORY_SIZE

    def new_file(self, field_name: str, file_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, file_name, *args, **kwargs)
        self.files_seen += 1
        self.per_field[field_name] = self.per_field.get(field_name, 0) + 1
        self.current, self.kept = None, 0
        self.for_count = True
        if self.files_seen > max_files():
            self.refusal = too_many_files_message()
        elif self.per_field[field_name] > max_files_per_paper():
            self.refusal = too_many_for_paper_message()
        else:
            self.refusal, self.for_count = None, False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if self.refusal is not None:
            return None  # read and dropped
        if self.kept + len(raw_data) > max_file_bytes():
            self._refuse(too_big_message(str(self.file_name)))
            return None
        if self.bytes_kept + len(raw_data) > max_request_bytes():
            self._refuse(request_too_big_message())
            return None
        if self.current is None:
            self.current = self._open()
        self.current.write(raw_data)
        self.kept += len(raw_data)
        self.bytes_kept += len(raw_data)
        return None

    def file_complete(self, file_size: int) -> UploadedFile:
        if self.refusal is not None:
            return RefusedUpload(
                name=str(self.file_name),
                content_type=str(self.content_type or ""),
                size=file_size,
                refusal=self.refusal,
                for_count=self.for_count,
            )
        if self.current is None:  # an empty file (the checks say so)
            self.current = self._open()
        upload, self.current = self.current, None
        upload.seek(0)
        upload.size = file_size
        return upload

    def upload_interrupted(self) -> None:
        self._discard()

    def _open(self) -> UploadedFile:
        if self.in_memory:
            return InMemoryUploadedFile(
                io.BytesIO(),
                self.field_name,
                self.file_name,
                self.content_type,
                0,
                self.charset,
                self.content_type_extra,
            )
        return TemporaryUploadedFile(
            self.file_name, self.content_type, 0, self.charset, self.content_type_extra
        )

    def _refuse(self, message: str) -> None:
        self.refusal, self.for_count = message, False
        self.bytes_kept -= self.kept
        self._discard()

    def _discard(self) -> None:
        """Forget the file arriving now; a temporary file is deleted on close."""
        if self.current is not None:
            self.current.close()
            self.current = None


class UploadCleanupMiddleware:
    """Deletes, when the request ends, the temporary file of an upload cut off by an
    error: a phone losing its connection mid-file makes reading the body fail, and Django
    then tells no handler (it does when the body just ends early), so the half-written
    file would stay until the next garbage collection, or forever if the worker dies."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        try:
            return self.get_response(request)
        finally:
            for handler in request.__dict__.get("_upload_handlers", ()):
                if isinstance(handler, LimitedUploadHandler):
                    handler.upload_interrupted()  # nothing to do once a file completed


# --- files written for a request that then fails ----------------------------------------------

# (model instance, field name) of each file a FileField writes inside the block.
_writing: ContextVar[list[tuple[Any, str]] | None] = ContextVar("motcua_writing", default=None)


@contextmanager
def stored_files_removed_on_error() -> Iterator[None]:
    """Files that model FileFields write to storage inside the block are deleted again
    when the block raises: a database transaction rolls back its rows, not the files
    (a refused or failed filing would leave its papers on disk forever). Wrap a service
    call that saves papers; a file only replaced or kept is never touched."""
    writing: list[tuple[Any, str]] = []
    token = _writing.set(writing)
    try:
        yield
    except BaseException:
        for instance, attname in writing:
            fieldfile = getattr(instance, attname, None)
            # _committed: the file was written (its name is the stored one), even when
            # the row's INSERT failed after.
            if fieldfile and getattr(fieldfile, "_committed", False):
                with suppress(Exception):  # the original error is what matters
                    fieldfile.storage.delete(fieldfile.name)
        raise
    finally:
        _writing.reset(token)


def _note_new_files(sender: Any, instance: Any, **kwargs: Any) -> None:
    writing = _writing.get()
    if writing is None:
        return
    for field in instance._meta.concrete_fields:
        if isinstance(field, FileField):
            value = getattr(instance, field.attname)
            if value and not value._committed:  # FileField.pre_save writes it next
                writing.append((instance, field.attname))


pre_save.connect(_note_new_files, dispatch_uid="motcua.core.uploads.note_new_files")
