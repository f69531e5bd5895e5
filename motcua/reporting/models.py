"""Decision 766 rollups and the targets leaders set.

A dossier becomes one `DossierFact` once received: where it counts (reception day,
competent agency, today's unit, procedure) and what it counts for (one 0/1 column per
measure). `Rollup` rows are the facts summed per day and per month, per agency and
procedure, and per agency for all procedures (procedure_id 0), so that a dashboard
reads a few hundred rows whatever the number of dossiers. Both are derived data:
`manage.py reporting_rebuild` recreates them from the dossiers.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

# What a fact counts for; a rollup holds their sums. Meanings: motcua.reporting.facts.
MEASURES = (
    "received",
    "filed_online",
    "eligible",
    "full_online",
    "with_fee",
    "paid_online",
    "handled",
    "on_time",
    "open_late",
    "finished",
    "late_finished",
    "granted",
    "e_result",
    "digitized",
    "reused",
    "rated",
    "disliked",
)


class _Keys(models.Model):
    agency_id = models.IntegerField()
    unit_id = models.IntegerField()  # today's commune/ward, or the province
    province_id = models.IntegerField()
    procedure_id = models.IntegerField()

    class Meta:
        abstract = True


class DossierFact(_Keys):
    dossier = models.OneToOneField(
        "dossiers.Dossier", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()  # reception day, Vietnam time

    class Meta:
        indexes = [
            models.Index(fields=["unit_id", "day"], name="fact_unit_day"),
            models.Index(fields=["agency_id", "day"], name="fact_agency_day"),
            models.Index(fields=["province_id", "day"], name="fact_province_day"),
        ]

    def __str__(self) -> str:
        return f"fact {self.dossier_id}"


class Grain(models.TextChoices):
    DAY = "d", _("day")
    MONTH = "m", _("month")


class Rollup(_Keys):
    grain = models.CharField(max_length=1, choices=Grain.choices)
    period = models.DateField()  # the day, or the month's first day
    # procedure_id 0: every procedure of the agency together.

    class Meta:
        constraints = [
            models.UniqueConstraint(
                # Agency first: the refresh reads and rewrites one agency's days and
                # months at a time (bench/reporting.py).
                fields=["agency_id", "grain", "period", "procedure_id"],
                name="rollup_key",
            )
        ]
        indexes = [
            models.Index(
                fields=["province_id", "procedure_id", "grain", "period"], name="rollup_province"
            ),
            models.Index(fields=["unit_id", "procedure_id", "grain", "period"], name="rollup_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.grain} {self.period} agency {self.agency_id} procedure {self.procedure_id}"


for _name in MEASURES:
    DossierFact.add_to_class(_name, models.PositiveSmallIntegerField(default=0))  # 0 or 1
    Rollup.add_to_class(_name, models.PositiveIntegerField(default=0))


class RollupState(models.Model):
    """One row: how far the incremental refresh has read the dossiers."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    # Dossiers changed after this moment (less an overlap) are read again.
    watermark = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    rebuilt_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"refreshed {self.refreshed_at}"


class Plan(models.Model):
    """A plan with yearly targets, e.g. "Kế hoạch 132/KH-UBND năm 2024"."""

    name = models.CharField(_("name"), max_length=300)
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2018), MaxValueValidator(2100)]
    )
    unit = models.ForeignKey(
        "organizations.AdministrativeUnit",
        verbose_name=_("administrative unit"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The unit the plan binds: the province, or one commune or ward."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["-year", "name"]

    def __str__(self) -> str:
        return self.name


class Target(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="targets")
    indicator = models.CharField(_("indicator"), max_length=40)
    value = models.DecimalField(
        _("target (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(fields=["plan", "indicator"], name="target_once_per_plan")
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.value}%"
