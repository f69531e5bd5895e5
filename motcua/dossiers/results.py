"""The electronic result: the signed PDF an official attaches to a decided dossier.

Who may attach it: a receiving officer of the receiving agency (the desk that returns
the result), or a specialist or approver of the competent agency (who issue it).
When: once the dossier is decided in the applicant's favour (status 9, outcome granted);
it may be replaced until the result is returned, and after the return only added if
none was attached (what the citizen may already have downloaded is never swapped).

The file lives in private storage (`Dossier.result_file`); the citizen downloads it from
"My dossiers" once the result is returned, through a view that checks the dossier is
theirs (motcua.dossiers.citizen.citizen_result_file), officials through the back office.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.accounts.models import Role
from motcua.backoffice.forms import upload_error
from motcua.backoffice.selectors import sniff_upload
from motcua.dossiers.models import Dossier, DossierEvent, Outcome
from motcua.dossiers.services import (
    ActionNotAllowed,
    _lock,
    _require,
    _save,
    roles_lookup,
)
from motcua.organizations.models import Agency
from motcua.workflows.definitions import DECIDED, RETURNED

ATTACH_RESULT = "attach_result"  # the event's action


class ResultFileRefused(ActionNotAllowed):
    """The file is not a readable PDF (the message names it and says what to do)."""


def result_attach_check(*, dossier: Dossier, user: Any) -> Agency:
    """Raise ActionNotAllowed unless `user` may attach the electronic result now;
    returns the agency the user acts for."""
    if dossier.state not in (DECIDED, RETURNED) or dossier.outcome != Outcome.GRANTED:
        raise ActionNotAllowed(
            _("The electronic result can be attached once the dossier is decided and granted.")
        )
    if dossier.state == RETURNED and dossier.result_file:
        raise ActionNotAllowed(
            _("The result was returned with its file; it cannot be replaced any more.")
        )
    return _require(
        [
            (dossier.receiving_agency, [Role.RECEIVING_OFFICER]),
            (dossier.competent_agency, [Role.APPROVER, Role.SPECIALIST]),
        ],
        roles_lookup(user),
    )


def result_attach_allowed(*, dossier: Dossier, user: Any) -> bool:
    """Whether the back office shows the upload form of the result."""
    if not getattr(user, "is_authenticated", False):
        return False
    try:
        result_attach_check(dossier=dossier, user=user)
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
    """Attach (or, before the return, replace) the electronic result of `dossier`.

    Sets `electronic_result` (Decision 766, digitization) and appends an event; a stale
    page (another change since) gets StaleDossier and nothing is stored.
    """
    data = result_file_read(upload)
    with transaction.atomic():
        dossier = _lock(dossier, expected_version)
        agency = result_attach_check(dossier=dossier, user=officer)
        replaced = bool(dossier.result_file)
        now = timezone.now()
        # Written at save(): a rolled-back transaction may leave an orphan file behind,
        # never a row pointing at a missing one.
        dossier.result_file.save(
            f"{uuid.uuid4().hex}.pdf", ContentFile(data), save=False
        )
        dossier.electronic_result = True
        _save(dossier)
        DossierEvent.objects.create(
            dossier=dossier,
            action=ATTACH_RESULT,
            from_state=dossier.state,
            to_state=dossier.state,
            status=dossier.status,
            actor=officer,
            agency=agency,
            at=now,
            data={"size": len(data), "replaced": replaced, "name": str(upload.name)[:200]},
        )
    return dossier
