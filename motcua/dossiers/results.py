"""The electronic result: the signed PDF an official attaches to a decided dossier
(the rules are the `attach_result` action's: motcua.dossiers.actions.attach_result).

The file lives in private storage (`Dossier.result_file`); the citizen downloads it from
"My dossiers" once the result is returned, through a view that checks the dossier is
theirs (motcua.dossiers.citizen.citizen_result_file), officials through the back office.
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from motcua.core.uploads import upload_refusal
from motcua.dossiers.actions.base import ActionNotAllowed
from motcua.dossiers.actions.runner import action_check, action_run
from motcua.dossiers.models import Dossier
from motcua.filing.uploads import sniff_upload, upload_error

ATTACH_RESULT = "attach_result"  # the event's action


class ResultFileRefused(ActionNotAllowed):
    """The file is not a readable PDF (the message names it and says what to do)."""


def result_attach_allowed(*, dossier: Dossier, user: Any) -> bool:
    """Whether the back office shows the upload form of the result."""
    if not getattr(user, "is_authenticated", False):
        return False
    try:
        action_check(dossier=dossier, user=user, key=ATTACH_RESULT)
    except ActionNotAllowed:
        return False
    return True


def result_file_read(upload: UploadedFile) -> bytes:
    """The bytes of an uploaded result; ResultFileRefused unless it is a PDF within the
    upload limit (the same checks, by content, as every other upload: a PDF with a
    password, scripts or attached files is refused)."""
    if upload_refusal(upload) is None and upload.size:
        upload.seek(0)
        head = upload.read(16)
        upload.seek(0)
        if sniff_upload(head) != "pdf":  # said first: a photo is never a result
            raise ResultFileRefused(
                _("The result “%(name)s” must be a PDF file (the signed electronic result).")
                % {"name": upload.name}
            )
    if message := upload_error(upload):
        raise ResultFileRefused(message)
    upload.seek(0)
    return upload.read()


def dossier_attach_result(
    *, dossier: Dossier, officer: Any, expected_version: int, upload: UploadedFile
) -> Dossier:
    """Attach (or, before the return, replace) the electronic result of `dossier`."""
    return action_run(
        key=ATTACH_RESULT,
        dossier=dossier,
        actor=officer,
        expected_version=expected_version,
        content=result_file_read(upload),
        name=upload.name,
    )
