"""Cash or card at the one-stop desk: recorded by a receiving officer
(motcua.payments.services.payment_record_counter), never chosen online."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from motcua.payments.methods.base import Method, Platform
from motcua.payments.methods.registry import register


@register
class Counter(Method):
    key = "counter"
    label = gettext_lazy("At the one-stop desk (cash or card)")
    platform = Platform.COUNTER
    online = False
    kind = "counter"

    def configured(self) -> bool:
        return True
