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
    upload limit (the same checks, by content, as every other upload)."""
    if message := upload_error(upload):
        raise ResultFileRefused(message)
    upload.seek(0)
    data = upload.read()
    if sniff_upload(data[:16]) != "pdf":
        raise ResultFileRefused(
            _("The result “%(name)s” must be a PDF file (the signed electronic result).")
            % {"name": upload.name}
        )
    return data


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
