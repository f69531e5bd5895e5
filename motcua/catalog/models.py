from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from motcua.core.calendar import DurationKind
from motcua.core.text import fold
from motcua.organizations.models import AgencyType


class Level(models.TextChoices):
    CENTRAL = "central", _("central")
    PROVINCE = "province", _("province")
    COMMUNE = "commune", _("commune")


class OnlineLevel(models.TextChoices):
    FULL = "full", _("full process online")
    PARTIAL = "partial", _("partly online")
    OFFLINE = "offline", _("in person only")
    UNKNOWN = "unknown", _("not published")


class FeeStatus(models.TextChoices):
    FREE = "free", _("free of charge")
    CHARGED = "charged", _("fee charged")
    UNKNOWN = "unknown", _("not published")


class VersionState(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")
    RETIRED = "retired", _("retired")


class Sector(models.Model):
    """A field of procedures (lĩnh vực), e.g. Hộ tịch, Chứng thực, Đất đai."""

    name = models.CharField(_("name"), max_length=200, unique=True)

    class Meta:
        verbose_name = _("field")
        verbose_name_plural = _("fields")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Procedure(models.Model):
    """An administrative procedure, identified by its national code.

    Its content lives in versions; `current` points at the published version in
    force, kept by the catalog services.
    """

    code = models.CharField(_("national code"), max_length=20, unique=True)
    current = models.OneToOneField(
        "ProcedureVersion", verbose_name=_("version in force"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.current.name if self.current else ''}".strip()


class ProcedureVersion(models.Model):
    procedure = models.ForeignKey(
        Procedure, verbose_name=_("procedure"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    state = models.CharField(
        _("state"), max_length=10, choices=VersionState.choices, default=VersionState.DRAFT
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid until"), null=True, blank=True)

    name = models.CharField(_("name"), max_length=1000)
    sector = models.ForeignKey(
        Sector, verbose_name=_("field"), on_delete=models.PROTECT, related_name="versions"
    )
    levels = models.JSONField(_("levels"), default=list, blank=True)
    competent_agency_types = models.JSONField(_("competent agency types"), default=list, blank=True)
    agency_text = models.TextField(_("competent agency (as published)"), blank=True)

    processing_time_text = models.TextField(_("processing time (as published)"), blank=True)
    duration_kind = models.CharField(
        _("processing time unit"), max_length=20, choices=DurationKind.choices, blank=True
    )
    duration_amount = models.PositiveIntegerField(
        _("processing time amount"), null=True, blank=True
    )
    duration_notes = models.TextField(
        _("processing time extensions"), blank=True,
        help_text=_("Extensions and conditions of the processing time, quoted from the text."),
    )

    fee_text = models.TextField(_("fees (as published)"), blank=True)
    fee_status = models.CharField(
        _("fee"), max_length=10, choices=FeeStatus.choices, default=FeeStatus.UNKNOWN
    )

    online_level = models.CharField(
        _("online level"), max_length=10, choices=OnlineLevel.choices, default=OnlineLevel.UNKNOWN
    )
    online_level_reason = models.TextField(_("why not fully online"), blank=True)
    online_payment = models.BooleanField(_("online payment enabled"), default=False)
    boundary_independent = models.BooleanField(
        _("independent of administrative boundaries"), default=False
    )
    submission_place = models.TextField(_("where to submit"), blank=True)
    workflow = models.ForeignKey(
        "workflows.Workflow", verbose_name=_("workflow"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="procedure_versions",
        help_text=_("Empty: the default commune workflow."),
    )
    province = models.CharField(
        _("province"), max_length=100, blank=True,
        help_text=_("The province whose published catalog this text comes from."),
    )
    source = models.TextField(_("source"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    demo_fields = models.JSONField(
        _("demo values"), default=list, blank=True,
        help_text=_("Fields whose values were made up for the demo, not taken from a source."),
    )
    import_problems = models.JSONField(
        _("import problems"), default=list, blank=True,
        help_text=_("Parts of the published text the importer could not read."),
    )
    content_hash = models.CharField(max_length=64, blank=True, editable=False)
    imported_entry = models.JSONField(
        _("imported entry"), null=True, blank=True, editable=False,
        help_text=_("The catalog-file entry this version was imported from, normalised."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("procedure version")
        verbose_name_plural = _("procedure versions")
        ordering = ["procedure", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "number"], name="procedure_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.procedure.code} v{self.number}"

    @property
    def agency_type_labels(self) -> list[str]:
        return [
            str(AgencyType(t).label) for t in self.competent_agency_types
            if t in AgencyType.values
        ]


class FeeKind(models.TextChoices):
    FIXED = "fixed", _("per dossier")
    PER_PAGE = "per_page", _("per page")
    PER_COPY = "per_copy", _("per copy")
    PER_DOCUMENT = "per_document", _("per document")
    PER_TRANSACTION = "per_transaction", _("per transaction")
    PER_CASE = "per_case", _("per case")
    EXEMPTION = "exemption", _("exemption")


class FeeChannel(models.TextChoices):
    ANY = "any", _("any channel")
    IN_PERSON = "in_person", _("filed in person")
    ONLINE = "online", _("filed online")


class FeeItem(models.Model):
    """One line of a fee schedule, in integer VND."""

    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="fees")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=20, choices=FeeKind.choices)
    amount_vnd = models.PositiveBigIntegerField(_("amount (VND)"), null=True, blank=True)
    from_quantity = models.PositiveSmallIntegerField(
        _("from unit number"), null=True, blank=True,
        help_text=_("For tiered fees, e.g. 3 for 'from the third page on'."),
    )
    max_vnd = models.PositiveBigIntegerField(_("maximum (VND)"), null=True, blank=True)
    channel = models.CharField(
        _("channel"), max_length=10, choices=FeeChannel.choices, default=FeeChannel.ANY
    )
    condition = models.CharField(_("condition"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("fee")
        verbose_name_plural = _("fees")
        # By the column, not "version": that would order by ProcedureVersion's own
        # ordering and join two tables into every fee list (issue 14).
        ordering = ["version_id", "position"]

    def __str__(self) -> str:
        amount = "" if self.amount_vnd is None else f" {self.amount_vnd}"
        return f"{self.kind}{amount}"


class PaperForm(models.TextChoices):
    ORIGINAL = "original", _("original")
    COPY = "copy", _("copy")
    CERTIFIED_COPY = "certified_copy", _("certified copy")
    ORIGINAL_OR_COPY = "original_or_copy", _("original or copy")
    UNSPECIFIED = "unspecified", _("not specified")


class RequiredPaper(models.Model):
    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="papers")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.TextField(_("name"))
    form = models.CharField(
        _("original or copy"), max_length=20, choices=PaperForm.choices,
        default=PaperForm.UNSPECIFIED,
    )
    count = models.PositiveSmallIntegerField(_("number of copies"), null=True, blank=True)
    reusable = models.BooleanField(
        _("reusable from the citizen's document store"), default=False
    )

    class Meta:
        verbose_name = _("required paper")
        verbose_name_plural = _("required papers")
        ordering = ["version_id", "position"]  # no join (see FeeItem)

    def __str__(self) -> str:
        return self.name


class CatalogRevision(models.Model):
    """One row counting catalog changes.

    Every catalog service bumps it in the same transaction as its write, so each
    process can tell with one indexed read whether its in-memory search index is stale.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    number = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("catalog revision")

    def __str__(self) -> str:
        return str(self.number)


class FormDefinition(models.Model):
    """One version of a procedure's online form (JSON, see motcua.catalog.formdefs).

    Versions are never edited: a changed definition is a new number, and each draft
    keeps the version it was started with.
    """

    procedure = models.ForeignKey(
        Procedure, verbose_name=_("procedure"), on_delete=models.CASCADE,
        related_name="form_definitions",
    )
    number = models.PositiveIntegerField(_("version"))
    definition = models.JSONField(_("definition"))
    content_hash = models.CharField(max_length=64, editable=False)
    source = models.CharField(_("source"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("online form")
        verbose_name_plural = _("online forms")
        ordering = ["procedure", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "number"], name="form_definition_number")
        ]

    def __str__(self) -> str:
        return f"{self.procedure.code} form v{self.number}"


class PhraseLanguage(models.TextChoices):
    VIETNAMESE = "vi", _("Vietnamese")
    ENGLISH = "en", _("English")


class SearchPhrase(models.Model):
    """An everyday name of a procedure ("cắt khẩu", "làm sổ đỏ", "birth registration").

    Citizens search the way they speak at the one-stop desk and miss the official
    wording; the search reads these phrases (motcua.catalog.search) and puts the
    procedure they stand for first. The target is a procedure, or the official words
    (which also reach the procedure's look-alikes, and survive a catalog re-import
    under other codes).
    """

    phrase = models.CharField(
        _("everyday words"), max_length=200,
        help_text=_(
            "What people type or say, e.g. “cắt khẩu”, “làm sổ đỏ”, “birth registration”. "
            "Accents, case and one typo per word do not matter; the phrase may sit inside "
            "a longer query."
        ),
    )
    procedure = models.ForeignKey(
        Procedure, verbose_name=_("procedure"), null=True, blank=True,
        on_delete=models.CASCADE, related_name="search_phrases",
        help_text=_("The procedure these words mean. Leave empty to give official words."),
    )
    official_words = models.CharField(
        _("official words"), max_length=300, blank=True,
        help_text=_(
            "Or: the words of the official name these words stand for, e.g. “xóa đăng ký "
            "thường trú” for “cắt khẩu”. Every procedure whose name holds them in this "
            "order, a word or two apart, is found, the plainest first."
        ),
    )
    language = models.CharField(
        _("language"), max_length=2, choices=PhraseLanguage.choices,
        default=PhraseLanguage.VIETNAMESE,
    )
    note = models.TextField(_("note"), blank=True, help_text=_("Why, or where it was heard."))
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive phrases are kept but not searched.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("everyday name of a procedure")
        verbose_name_plural = _("everyday names of procedures")
        ordering = ["phrase", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    (models.Q(procedure__isnull=False) & models.Q(official_words=""))
                    | (models.Q(procedure__isnull=True) & ~models.Q(official_words=""))
                ),
                name="search_phrase_one_target",
            ),
            models.UniqueConstraint(
                fields=["phrase", "procedure"], condition=models.Q(procedure__isnull=False),
                name="search_phrase_procedure_unique",
            ),
            models.UniqueConstraint(
                fields=["phrase", "official_words"], condition=models.Q(procedure__isnull=True),
                name="search_phrase_words_unique",
            ),
        ]

    def __str__(self) -> str:
        target = self.procedure.code if self.procedure_id else self.official_words
        return f"{self.phrase} → {target}"

    def clean(self) -> None:
        if not fold(self.phrase):
            raise ValidationError({"phrase": _("Write the words people use.")})
        if bool(self.procedure_id) == bool(self.official_words.strip()):
            raise ValidationError(
                _("Choose a procedure or write the official words, not both.")
            )
        if self.official_words and not fold(self.official_words):
            raise ValidationError({"official_words": _("Write words of the official name.")})
