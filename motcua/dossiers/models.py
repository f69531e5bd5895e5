from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from motcua.audit.appendonly import AppendOnlyModel


class NationalStatus(models.IntegerChoices):
    """The status codes the national portal expects (every internal state maps to one)."""

    FILED = 1, _("Filed online, not yet received")
    RECEIVED = 2, _("Received")
    NOT_RECEIVED = 3, _("Refused at reception")
    PROCESSING = 4, _("Being processed")
    SUPPLEMENT_REQUESTED = 5, _("Supplement requested")
    FEE_REQUESTED = 6, _("Financial obligation requested")
    WITHDRAWAL_REQUESTED = 7, _("Withdrawal requested")
    STOPPED = 8, _("Processing stopped")
    DECIDED = 9, _("Processed")
    RETURNED = 10, _("Result returned")


class Channel(models.IntegerChoices):
    IN_PERSON = 1, _("in person")
    ONLINE = 2, _("online")
    POST = 3, _("public post")


class ApplicantType(models.TextChoices):
    PERSON = "person", _("person")
    ORGANISATION = "organisation", _("organisation")


class ResultDelivery(models.TextChoices):
    """How the applicant asked to receive the result, chosen when filing.

    Decree 61/2018 art. 20 (one-stop mechanism, now Decree 118/2025): the result is
    returned at the one-stop desk, through the public postal service or online, as the
    applicant registered; provinces applying Decree 118/2025 keep the same choice (e.g.
    Hà Nội's Decision 6470/QĐ-UBND: paper results at the centre or by public post,
    electronic results for online dossiers). Decision 45/2016/QĐ-TTg art. 5: the
    applicant may use the public post to send the dossier, to receive the result, or
    both, and the postal worker delivers the result to the address they asked for.
    """

    DESK = "desk", _("At the one-stop desk")
    POST = "post", _("By public post")
    ELECTRONIC = "electronic", _("Electronic copy on the portal account")


class Outcome(models.TextChoices):
    PENDING = "", _("not decided")
    GRANTED = "granted", _("granted")
    REFUSED = "refused", _("refused")
    WITHDRAWN = "withdrawn", _("withdrawn")
    NOT_RECEIVED = "not_received", _("refused at reception")


class Dossier(models.Model):
    """A citizen's or organisation's dossier for one procedure version.

    All writes go through motcua.dossiers.services, which lock the row, check the
    transition against the workflow, append a DossierEvent and write outbox rows in
    the same transaction. `lock_version` grows with every change so that a stale form
    (two officers on one dossier) is refused instead of applied twice.
    """

    code = models.CharField(_("dossier code"), max_length=60, unique=True)
    procedure_version = models.ForeignKey(
        "catalog.ProcedureVersion",
        verbose_name=_("procedure"),
        on_delete=models.PROTECT,
        related_name="dossiers",
    )
    workflow = models.ForeignKey(
        "workflows.Workflow",
        verbose_name=_("workflow"),
        on_delete=models.PROTECT,
        related_name="dossiers",
    )
    state = models.CharField(_("step"), max_length=40)
    status = models.PositiveSmallIntegerField(
        _("national status"), choices=NationalStatus.choices, db_index=True
    )
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=Outcome.choices, default=Outcome.PENDING, blank=True
    )
    lock_version = models.PositiveIntegerField(default=1)

    # Applicant
    applicant_type = models.CharField(
        _("applicant type"),
        max_length=20,
        choices=ApplicantType.choices,
        default=ApplicantType.PERSON,
    )
    applicant_name = models.CharField(_("full name"), max_length=200)
    # The name folded (motcua.core.text.fold) for the back office's search: typed with
    # or without diacritics, composed or not, it meets the same letters.
    applicant_name_folded = models.CharField(max_length=200, blank=True, editable=False)
    applicant_id_number = models.CharField(_("citizen ID number"), max_length=12, blank=True)
    applicant_birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    applicant_phone = models.CharField(_("phone"), max_length=15, blank=True)
    applicant_email = models.EmailField(_("e-mail"), blank=True)
    applicant_address = models.CharField(_("address"), max_length=300, blank=True)
    applicant_unit = models.ForeignKey(
        "organizations.AdministrativeUnit",
        verbose_name=_("commune or ward"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    organisation_name = models.CharField(_("organisation"), max_length=300, blank=True)
    organisation_tax_code = models.CharField(_("tax code"), max_length=14, blank=True)

    # How the result goes back (motcua.dossiers.services checks the choice on filing).
    result_delivery = models.CharField(
        _("result delivery"),
        max_length=12,
        choices=ResultDelivery.choices,
        default=ResultDelivery.DESK,
    )
    # For the post: where the postal service delivers it; empty for the other ways.
    result_address = models.CharField(_("send the result to"), max_length=300, blank=True)

    channel = models.PositiveSmallIntegerField(_("channel"), choices=Channel.choices)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by official"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Set when an official filed the dossier on the applicant's behalf."),
    )
    # The citizen account that filed online (or for whom an official filed in assisted
    # mode): their "my dossiers" page lists it. Empty for counter and imported dossiers.
    # Indexed by dossier_citizen_recent below.
    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("citizen account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dossiers",
        db_index=False,
    )
    # No index of its own: dossier_recv_inbox and dossier_recv_period lead with it.
    receiving_agency = models.ForeignKey(
        "organizations.Agency",
        verbose_name=_("receiving agency"),
        on_delete=models.PROTECT,
        db_index=False,
        related_name="received_dossiers",
    )
    # No index of its own: dossier_comp_inbox leads with it.
    competent_agency = models.ForeignKey(
        "organizations.Agency",
        verbose_name=_("competent agency"),
        on_delete=models.PROTECT,
        db_index=False,
        related_name="handled_dossiers",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned official"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    consult_agency = models.ForeignKey(
        "organizations.Agency",
        verbose_name=_("consulted agency"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consulted_dossiers",
        help_text=_("The agency whose opinion is awaited (liên thông), while it is awaited."),
    )
    form_data = models.JSONField(_("form answers"), default=dict, blank=True)
    fee_amount = models.PositiveBigIntegerField(_("fee (VND)"), default=0)
    fee_paid_at = models.DateTimeField(_("fee paid at"), null=True, blank=True)
    paid_online = models.BooleanField(_("paid online"), default=False)
    # Decision 766 counts the national portal's payment platform apart from the
    # province's own gateways: "national", "province" or "counter" (motcua.payments).
    payment_platform = models.CharField(_("paid through"), max_length=10, blank=True)

    # Time
    submitted_at = models.DateTimeField(_("filed at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    clock_started_at = models.DateTimeField(
        _("processing clock started at"),
        null=True,
        blank=True,
        help_text=_("Receipt of the complete dossier; restarts after a supplement."),
    )
    # Time, as motcua.dossiers.timing (the one rule) reads and writes it.
    appointment_at = models.DateTimeField(
        _("appointment"),
        null=True,
        blank=True,
        help_text=_(
            "The return moment on the receipt slip (form 01); lateness is measured "
            "against it, paused time excluded."
        ),
    )
    due_at = models.DateTimeField(
        _("legal due"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_("The appointment plus the working time spent waiting for the applicant."),
    )
    apology_due_at = models.DateTimeField(_("new return moment (form 04)"), null=True, blank=True)
    paused_at = models.DateTimeField(_("clock paused at"), null=True, blank=True)
    resume_state = models.CharField(max_length=40, blank=True)
    before_withdrawal = models.CharField(max_length=40, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    returned_at = models.DateTimeField(_("result returned at"), null=True, blank=True)
    supplement_requests = models.PositiveSmallIntegerField(_("supplement requests"), default=0)
    supplement_seconds = models.PositiveIntegerField(
        _("working seconds waiting for supplements"), default=0
    )
    fee_seconds = models.PositiveIntegerField(_("working seconds waiting for the fee"), default=0)
    apologies = models.PositiveSmallIntegerField(_("apologies"), default=0)
    is_late = models.BooleanField(_("late"), default=False)

    full_online = models.BooleanField(
        _("done fully online"),
        default=False,
        help_text=_("Filed, processed, paid and returned online (Decision 766)."),
    )

    # Digitization (Decision 766)
    scanned_at_counter = models.BooleanField(_("papers scanned at the counter"), default=False)
    reused_data = models.BooleanField(_("reuses the citizen's stored papers"), default=False)
    electronic_result = models.BooleanField(_("electronic result"), default=False)
    # The signed electronic result (a PDF) an official attaches once the dossier is
    # decided (motcua.dossiers.results); the citizen downloads it from "My dossiers"
    # through a view that checks ownership. Never served from a public media URL.
    result_file = models.FileField(
        _("electronic result file"), upload_to="results/%Y/%m/", blank=True
    )
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    imported = models.BooleanField(_("imported from a former system"), default=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        ordering = ["-id"]
        indexes = [
            # Inboxes: one agency, one status, newest or most urgent first.
            models.Index(fields=["receiving_agency", "status", "-id"], name="dossier_recv_inbox"),
            models.Index(fields=["competent_agency", "state", "due_at"], name="dossier_comp_inbox"),
            # The tracking register (form 06): one agency, one period.
            models.Index(fields=["receiving_agency", "received_at"], name="dossier_recv_period"),
            models.Index(fields=["applicant_id_number"], name="dossier_applicant_id"),
            models.Index(fields=["applicant_phone"], name="dossier_applicant_phone"),
            # "My dossiers": one citizen's dossiers, newest first, in keyset pages.
            models.Index(fields=["citizen", "-id"], name="dossier_citizen_recent"),
            # The reporting refresh reads the dossiers changed since its last run.
            models.Index(fields=["updated_at"], name="dossier_updated"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def applicant_full_address(self) -> str:
        """Street and commune, the commune once even if an older row typed it twice."""
        address = self.applicant_address.strip().rstrip(",")
        unit = str(self.applicant_unit) if self.applicant_unit_id else ""
        if not unit or unit.casefold() in address.casefold():
            return address
        return f"{address}, {unit}" if address else unit

    @property
    def promised_at(self) -> dt.datetime | None:
        """The return moment the applicant was last given: form 04's, else the legal due."""
        return self.apology_due_at or self.due_at

    @property
    def short_token(self) -> str:
        """The token of the dossier's short link (/h/<token>) in SMS: see short_token_pk."""
        return _base36(self.pk) + _short_check(self.pk)


# --- short links ---------------------------------------------------------------------
# An SMS carries a link to the dossier; its text must stay one GSM-7 part, so the link
# is the dossier id in base 36 plus a 3-character keyed check (about 10 characters
# for ten million dossiers, where the code itself takes 25). The check only stops
# anyone walking the ids to list dossier codes; the link opens nothing the code does
# not (the owner's page after sign-in, else public tracking, which asks for the phone).
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_CHECK_LENGTH = 3
_SHORT_LINK_SALT = "motcua.dossiers.short-link"


def _base36(number: int) -> str:
    digits = ""
    while True:
        number, rest = divmod(number, 36)
        digits = _BASE36[rest] + digits
        if not number:
            return digits


def _short_check(pk: int, secret: str | None = None) -> str:
    digest = salted_hmac(_SHORT_LINK_SALT, str(pk), secret=secret, algorithm="sha256").digest()
    value = int.from_bytes(digest[:8], "big") % 36**_CHECK_LENGTH
    return _base36(value).rjust(_CHECK_LENGTH, "0")


def short_token_pk(token: str) -> int | None:
    """The dossier id a short-link token names, or None when it is malformed or its
    check fails (a link from before a key rotation still passes through
    SECRET_KEY_FALLBACKS)."""
    token = (token or "").strip().lower()
    if not 1 + _CHECK_LENGTH <= len(token) <= 13 + _CHECK_LENGTH:
        return None
    if any(ch not in _BASE36 for ch in token):
        return None
    pk = int(token[:-_CHECK_LENGTH], 36)
    check = token[-_CHECK_LENGTH:]
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if any(constant_time_compare(check, _short_check(pk, secret)) for secret in secrets):
        return pk
    return None


class Score(models.IntegerChoices):
    """One indicator of Decree 61/2018 art. 33 as Circular 01/2018/TT-VPCP scores it."""

    GOOD = 2, _("good (2 points)")
    FAIR = 1, _("fair (1 point)")
    POOR = 0, _("poor (0 points)")


class Satisfaction(models.IntegerChoices):
    VERY_SATISFIED = 2, _("very satisfied")
    SATISFIED = 1, _("satisfied")
    NOT_SATISFIED = 0, _("not satisfied")


class DossierRating(models.Model):
    """The applicant's evaluation of how their dossier was handled (Decree 61/2018,
    art. 33; Circular 01/2018/TT-VPCP): the nine indicators scored 2/1/0 and the overall
    satisfaction, which is also kept on `Dossier.rating`.

    Indicators 1–2 come from the dossier's own times; 3, 6, 7 and 9 are the citizen's
    answers; an indicator nobody assessed stays empty. Written by
    motcua.dossiers.citizen.rating_save only; `changes` counts later changes (one allowed).
    """

    dossier = models.OneToOneField(Dossier, on_delete=models.CASCADE, related_name="citizen_rating")
    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    total_time = models.PositiveSmallIntegerField(
        _("1. total time against the legal time"), choices=Score.choices, null=True, blank=True
    )
    agency_time = models.PositiveSmallIntegerField(
        _("2. time taken by each agency"), choices=Score.choices, null=True, blank=True
    )
    contacts = models.PositiveSmallIntegerField(
        _("3. contacts needed to complete the dossier"),
        choices=Score.choices,
        null=True,
        blank=True,
    )
    agencies_contacted = models.PositiveSmallIntegerField(
        _("4. agencies contacted to complete the dossier"),
        choices=Score.choices,
        null=True,
        blank=True,
    )
    one_stop = models.PositiveSmallIntegerField(
        _("5. received, handled and returned at the one-stop desk"),
        choices=Score.choices,
        null=True,
        blank=True,
    )
    publication = models.PositiveSmallIntegerField(
        _("6. procedure made public"), choices=Score.choices, null=True, blank=True
    )
    attitude = models.PositiveSmallIntegerField(
        _("7. officers' attitude"), choices=Score.choices, null=True, blank=True
    )
    complaint_handling = models.PositiveSmallIntegerField(
        _("8. handling of feedback and complaints"),
        choices=Score.choices,
        null=True,
        blank=True,
    )
    online_service = models.PositiveSmallIntegerField(
        _("9. online public service"), choices=Score.choices, null=True, blank=True
    )
    satisfaction = models.PositiveSmallIntegerField(
        _("overall satisfaction"), choices=Satisfaction.choices
    )
    comment = models.TextField(_("comment"), blank=True)
    changes = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("dossier rating")
        verbose_name_plural = _("dossier ratings")

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.satisfaction}"


class DossierCodeSequence(models.Model):
    """Last sequence number given per receiving agency and day (code …-YYMMDD-XXXX)."""

    agency = models.ForeignKey("organizations.Agency", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "day"], name="dossier_code_sequence_day")
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.day} {self.last}"


class DossierPaper(models.Model):
    """A paper attached to a dossier, for one required paper of the procedure."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="papers")
    required_paper = models.ForeignKey(
        "catalog.RequiredPaper", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("name"), max_length=500)
    form = models.CharField(_("original or copy"), max_length=20, blank=True)
    count = models.PositiveSmallIntegerField(_("number of copies"), default=1)
    file = models.FileField(_("file"), upload_to="dossiers/%Y/%m/", blank=True)
    scanned_at_counter = models.BooleanField(_("scanned at the counter"), default=False)
    reused = models.BooleanField(_("reused from the citizen's store"), default=False)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("dossier paper")
        verbose_name_plural = _("dossier papers")
        ordering = ["dossier", "id"]

    def __str__(self) -> str:
        return self.name


class DossierEvent(AppendOnlyModel):
    """Append-only history of a dossier: every action, who, when, from which step to which.
    Neither the ORM nor the database lets a row change or go (motcua.audit.appendonly)."""

    # The assisted filing completes its filing event with the citizen's confirmation in
    # the transaction that wrote it (motcua.filing.assisted); once committed, never.
    append_only_complete_fresh = True

    # PROTECT: a dossier with a history cannot be deleted (the history is append-only).
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("action"), max_length=40)
    from_state = models.CharField(max_length=40, blank=True)
    to_state = models.CharField(max_length=40, blank=True)
    status = models.PositiveSmallIntegerField(_("national status"), choices=NationalStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(
        "organizations.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"))
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("dossier event")
        verbose_name_plural = _("dossier events")
        ordering = ["dossier", "id"]
        indexes = [models.Index(fields=["dossier", "id"], name="dossier_event_order")]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.action}"


class Draft(models.Model):
    """A citizen's online form in progress, saved at every step (motcua.filing.drafts).

    `answers` keeps what was typed, page by page, even when a check failed, so nothing
    is lost; `uploads` lists the stored files per upload question. Once submitted,
    `dossier` points at the one dossier it made: a repeated submit returns that one.
    """

    citizen = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drafts"
    )
    procedure_version = models.ForeignKey(
        "catalog.ProcedureVersion", on_delete=models.PROTECT, related_name="drafts"
    )
    form_definition = models.ForeignKey(
        "catalog.FormDefinition", on_delete=models.PROTECT, related_name="drafts"
    )
    answers = models.JSONField(default=dict, blank=True)
    current_page = models.CharField(max_length=40, blank=True)
    uploads = models.JSONField(default=dict, blank=True)
    resume_token = models.CharField(max_length=43, unique=True)
    idempotency_key = models.CharField(max_length=43)
    dossier = models.OneToOneField(
        Dossier, null=True, blank=True, on_delete=models.SET_NULL, related_name="draft"
    )
    # Assisted filing: the receiving officer filling the form in for the citizen, at
    # their agency; the citizen confirms by a one-time code (motcua.filing.assisted).
    assisted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assisted by official"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assisted_drafts",
    )
    assisted_agency = models.ForeignKey(
        "organizations.Agency",
        verbose_name=_("assisting agency"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assisted_drafts",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # When the citizen was told this unfinished form will soon be deleted (retention).
    expiry_notice_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("draft")
        verbose_name_plural = _("drafts")
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["citizen", "-updated_at"], name="draft_citizen_recent")]

    def __str__(self) -> str:
        return f"draft {self.pk} of {self.citizen_id}"


# --- assisted filing: how the citizen confirmed (motcua.filing.assisted) -------------------


class PhoneOwner(models.TextChoices):
    """Whose phone receives the confirmation code and the news of an assisted filing."""

    CITIZEN = "citizen", _("the citizen's own phone")
    RELATIVE = "relative", _("a relative's or acquaintance's phone")
    NONE = "none", _("no phone")


class ConfirmMethod(models.TextChoices):
    CITIZEN_CODE = "citizen_code", _("code sent to the citizen's own phone")
    RELATIVE_CODE = "relative_code", _("code sent to a relative's or acquaintance's phone")
    PAPER = "paper_signature", _("signed the printed form on paper")


class AssistedConfirmation(models.Model):
    """How the citizen confirmed a draft a receiving officer filled in for them.

    Created with the assisted draft (whose phone the code goes to: the citizen's own, a
    relative's with the relation written down, or none); the channel may change on the
    check page until the citizen confirms. Confirming (motcua.filing.assisted) fills in
    the method, the officer, their agency and the moment, links the dossier, and from
    then on only the scan of the signed page may still be added. A relative's phone is
    only a channel: it never decides which account owns the dossier.
    """

    # Submitted drafts are kept (drafts_purge only empties their uploads), so the record
    # lives as long as the dossier.
    draft = models.OneToOneField(Draft, on_delete=models.CASCADE, related_name="confirmation")
    dossier = models.OneToOneField(
        Dossier,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assisted_confirmation",
    )
    phone_owner = models.CharField(
        _("whose phone"), max_length=10, choices=PhoneOwner.choices, default=PhoneOwner.CITIZEN
    )
    phone = models.CharField(_("phone"), max_length=15, blank=True)  # 84xxxxxxxxx
    relation = models.CharField(_("relation to the citizen"), max_length=60, blank=True)
    relative_name = models.CharField(_("name of the phone's owner"), max_length=200, blank=True)
    method = models.CharField(
        _("confirmed by"), max_length=20, choices=ConfirmMethod.choices, blank=True
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("officer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The name as it stood when the officer attested: the record must not change with
    # a later rename of the account.
    officer_name = models.CharField(_("officer's name"), max_length=200, blank=True)
    agency = models.ForeignKey(
        "organizations.Agency",
        verbose_name=_("agency"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    # The fingerprint of the answers and papers on the last printed form to sign: a form
    # confirmed on paper is filed only if it still holds what was printed and signed.
    printed_digest = models.CharField(_("printed form"), max_length=16, blank=True)
    printed_at = models.DateTimeField(null=True, blank=True)
    scan = models.FileField(_("scan of the signed page"), upload_to="assisted/%Y/%m/", blank=True)
    scan_added_at = models.DateTimeField(null=True, blank=True)
    scan_added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("assisted filing confirmation")
        verbose_name_plural = _("assisted filing confirmations")

    def __str__(self) -> str:
        return f"draft {self.draft_id}: {self.method or 'pending'}"

    @property
    def phone_display(self) -> str:
        """84912345678 → 0912 345 678."""
        local = "0" + self.phone[2:] if self.phone.startswith("84") else self.phone
        return f"{local[:4]} {local[4:7]} {local[7:]}".strip()
