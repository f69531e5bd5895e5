"""Events no official chooses: the wording of what the system records."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from motcua.dossiers.actions import register
from motcua.dossiers.actions.base import Action, Party


@register
class File(Action):
    """An online filing (motcua.dossiers.services.dossier_file_online)."""

    key = "file"
    label = done = gettext_lazy("Filed online")
    citizen = gettext_lazy("Filed online")
    party = Party.NOBODY
    template = "filed"


@register
class Imported(Action):
    key = "imported"
    label = done = gettext_lazy("Imported from the former system")
    citizen = gettext_lazy("Carried over from the former system")
    party = Party.NOBODY


@register
class ImportUpdated(Action):
    key = "import_updated"
    label = done = gettext_lazy("Updated from the former system")
    citizen = gettext_lazy("Updated from the former system")
    party = Party.NOBODY


@register
class PaymentReceived(Action):
    """A bill paid while the dossier was not waiting for it (paid at filing):
    motcua.payments records it; no step changes."""

    key = "payment_received"
    label = done = gettext_lazy("Fee paid")
    citizen = gettext_lazy("The fee was paid")
    party = Party.NOBODY
    template = "payment_received"
