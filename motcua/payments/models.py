"""Bills, payment attempts, payments, receipts and refunds (integer VND throughout).

The truth is in `Payment`: one row per sum of money the province actually received,
written only from a verified gateway callback, a gateway status query, the bank's
statement, or an officer at the counter. An attempt has at most one payment (a unique
constraint, not a convention), and a gateway transaction is recorded once per method.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class BillState(models.TextChoices):
    OPEN = "open", _("to pay")
    PAID = "paid", _("paid")
    CANCELLED = "cancelled", _("cancelled")


class BillOrigin(models.TextChoices):
    FILING = "filing", _("at online filing")
    DESK = "desk", _("asked for by the desk")


class Exemption(models.TextChoices):
    NONE = "", _("none")
    CLAIMED = "claimed", _("claimed, to confirm")
    CONFIRMED = "confirmed", _("confirmed")
    REJECTED = "rejected", _("not accepted")


class Bill(models.Model):
    """What a dossier owes: fee and charge lines from the procedure's schedule."""

    dossier = models.ForeignKey(
        "dossiers.Dossier",
        verbose_name=_("dossier"),
        on_delete=models.PROTECT,
        related_name="bills",
    )
    state = models.CharField(
        _("state"), max_length=10, choices=BillState.choices, default=BillState.OPEN
    )
    origin = models.CharField(_("origin"), max_length=10, choices=BillOrigin.choices)
    total_vnd = models.PositiveBigIntegerField(_("total (VND)"), default=0)
    paid_vnd = models.PositiveBigIntegerField(_("paid (VND)"), default=0)
    exemption = models.CharField(
        _("exemption"), max_length=10, choices=Exemption.choices, blank=True, default=""
    )
    exemption_group = models.CharField(_("exemption claimed for"), max_length=500, blank=True)
    exemption_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("exemption decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("bill")
        verbose_name_plural = _("bills")
        ordering = ["-created_at"]
        constraints = [
            # One bill to pay at a time: a second one would invite paying twice.
            models.UniqueConstraint(
                fields=["dossier"], condition=models.Q(state="open"), name="bill_one_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.total_vnd} VND ({self.state})"

    @property
    def due_vnd(self) -> int:
        return max(0, self.total_vnd - self.paid_vnd)


class BillLine(models.Model):
    bill = models.ForeignKey(Bill, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    description = models.CharField(_("what it is for"), max_length=300)
    unit_vnd = models.PositiveBigIntegerField(_("unit amount (VND)"))
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    amount_vnd = models.PositiveBigIntegerField(_("amount (VND)"))
    # The catalog's exemption condition this line may be waived under, if any.
    exemption_condition = models.CharField(max_length=500, blank=True)
    waived = models.BooleanField(_("waived"), default=False)

    class Meta:
        verbose_name = _("bill line")
        verbose_name_plural = _("bill lines")
        ordering = ["bill", "position"]

    def __str__(self) -> str:
        return f"{self.description}: {self.amount_vnd}"


class AttemptState(models.TextChoices):
    STARTED = "started", _("started")  # stored; the gateway not yet (or not surely) told
    PENDING = "pending", _("waiting for the payment")
    PAID = "paid", _("paid")
    FAILED = "failed", _("not paid")
    EXPIRED = "expired", _("given up")


class Attempt(models.Model):
    """One try at paying a bill through one method; stored before the gateway is called."""

    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="attempts")
    method = models.CharField(_("method"), max_length=20)
    reference = models.CharField(_("reference"), max_length=20, unique=True)
    # The browser's form carries this key: a double click or a resent form finds the
    # attempt it already started instead of starting another.
    idempotency_key = models.CharField(max_length=64, unique=True)
    amount_vnd = models.PositiveBigIntegerField(_("amount (VND)"))
    state = models.CharField(
        _("state"), max_length=10, choices=AttemptState.choices, default=AttemptState.STARTED
    )
    gateway_txn = models.CharField(_("gateway order"), max_length=100, blank=True)
    redirect_url = models.URLField(max_length=2000, blank=True)
    show = models.JSONField(default=dict, blank=True)  # what a QR method displays
    detail = models.CharField(_("gateway answer"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    queried_at = models.DateTimeField(_("last asked at"), null=True, blank=True)
    queries = models.PositiveIntegerField(default=0)
    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("payment attempt")
        verbose_name_plural = _("payment attempts")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "updated_at"], name="attempt_state_updated")]

    def __str__(self) -> str:
        return f"{self.reference} {self.method} {self.state}"


class Source(models.TextChoices):
    CALLBACK = "callback", _("gateway notification")
    QUERY = "query", _("gateway status query")
    STATEMENT = "statement", _("reconciliation")
    COUNTER = "counter", _("recorded at the counter")


COUNTER_HOW = {"counter_cash": _("cash at the desk"), "counter_card": _("card at the desk")}


class Payment(models.Model):
    """Money the province received. Never edited; a refund is a separate row."""

    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="payments")
    attempt = models.OneToOneField(
        Attempt, null=True, blank=True, on_delete=models.PROTECT, related_name="payment"
    )
    method = models.CharField(_("method"), max_length=20)
    platform = models.CharField(_("platform"), max_length=10)
    online = models.BooleanField(_("online"))
    amount_vnd = models.PositiveBigIntegerField(_("amount (VND)"))
    gateway_txn = models.CharField(_("gateway transaction"), max_length=100, blank=True)
    source = models.CharField(_("recorded from"), max_length=10, choices=Source.choices)
    paid_at = models.DateTimeField(_("paid at"))
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    receipt_series = models.CharField(_("receipt series"), max_length=10)
    receipt_number = models.PositiveIntegerField(_("receipt number"))

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-paid_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["method", "gateway_txn"],
                condition=~models.Q(gateway_txn=""),
                name="payment_gateway_txn_once",
            ),
            models.UniqueConstraint(
                fields=["receipt_series", "receipt_number"], name="payment_receipt_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.receipt} {self.amount_vnd}"

    @property
    def receipt(self) -> str:
        return f"{self.receipt_series}-{self.receipt_number:07d}"

    @property
    def method_label(self) -> str:
        """How it was paid, in words ("counter_cash": cash at the desk)."""
        from motcua.payments.methods.registry import registry

        if self.method in COUNTER_HOW:
            return str(COUNTER_HOW[self.method])
        found = registry.get(self.method)
        return str(found.label) if found else self.method


class ReceiptSequence(models.Model):
    """Last receipt number given in a series (one row per series and year)."""

    series = models.CharField(max_length=10, unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.series} {self.last}"


class RefundReason(models.TextChoices):
    OVERPAID = "overpaid", _("paid more than owed")
    DUPLICATE = "duplicate", _("paid twice")
    CANCELLED = "cancelled", _("paid for a cancelled bill")
    WITHDRAWN = "withdrawn", _("dossier withdrawn before processing")
    NOT_RECEIVED = "not_received", _("dossier refused at reception")
    UNMATCHED = "unmatched", _("transfer matching no bill")
    EXEMPTED = "exempted", _("exemption confirmed after payment")


class RefundState(models.TextChoices):
    PENDING = "pending", _("to approve")
    APPROVED = "approved", _("approved")
    DONE = "done", _("paid back")


class Refund(models.Model):
    """Money to give back, and who approved it."""

    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    bill = models.ForeignKey(
        Bill, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    amount_vnd = models.PositiveBigIntegerField(_("amount (VND)"))
    reason = models.CharField(_("reason"), max_length=20, choices=RefundReason.choices)
    state = models.CharField(
        _("state"), max_length=10, choices=RefundState.choices, default=RefundState.PENDING
    )
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    # An unmatched transfer has no payment row: the bank's own id keeps it unique.
    method = models.CharField(max_length=20, blank=True)
    gateway_txn = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    done_at = models.DateTimeField(_("paid back at"), null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["payment", "reason"],
                condition=models.Q(payment__isnull=False),
                name="refund_once_per_payment_reason",
            ),
            models.UniqueConstraint(
                fields=["method", "gateway_txn"],
                condition=~models.Q(gateway_txn=""),
                name="refund_unmatched_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reason} {self.amount_vnd} ({self.state})"


class CallbackLog(models.Model):
    """Every callback a gateway (or anyone) sent, accepted or not."""

    method = models.CharField(max_length=20)
    received_at = models.DateTimeField()
    accepted = models.BooleanField()
    problem = models.CharField(max_length=500, blank=True)
    reference = models.CharField(max_length=40, blank=True)
    remote_addr = models.CharField(max_length=45, blank=True)
    payload = models.TextField(blank=True)  # as received, cut at 8 KB

    class Meta:
        verbose_name = _("gateway callback")
        verbose_name_plural = _("gateway callbacks")
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["accepted", "received_at"], name="callback_accepted")]

    def __str__(self) -> str:
        verdict = "ok" if self.accepted else self.problem
        return f"{self.method} {self.received_at:%Y-%m-%d %H:%M} {verdict}"


class Reconciliation(models.Model):
    """One method's payments of one day compared with the gateway's own record."""

    method = models.CharField(_("method"), max_length=20)
    day = models.DateField(_("day"))
    ran_at = models.DateTimeField(_("ran at"))
    ours = models.PositiveIntegerField(_("our payments"), default=0)
    theirs = models.PositiveIntegerField(_("gateway's payments"), default=0)
    recovered = models.PositiveIntegerField(_("payments recovered"), default=0)
    differences = models.JSONField(_("differences"), default=list)
    error = models.CharField(_("error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("reconciliation")
        verbose_name_plural = _("reconciliations")
        ordering = ["-day", "method"]
        constraints = [
            models.UniqueConstraint(fields=["method", "day"], name="reconciliation_method_day")
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.day}"
