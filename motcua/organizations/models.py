from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# The two-tier local government took effect on this date (Resolution 202/2025/QH15).
REFORM_DATE = dt.date(2025, 7, 1)


class UnitLevel(models.TextChoices):
    PROVINCE = "province", _("province level")
    DISTRICT = "district", _("district level (before 1 July 2025)")
    COMMUNE = "commune", _("commune level")


class UnitType(models.TextChoices):
    PROVINCE = "tinh", _("province")
    CENTRAL_CITY = "thanh_pho_trung_uong", _("centrally-run city")
    DISTRICT = "huyen", _("rural district")
    URBAN_DISTRICT = "quan", _("urban district")
    TOWN = "thi_xa", _("town")
    PROVINCIAL_CITY = "thanh_pho", _("provincial city")
    COMMUNE = "xa", _("commune")
    WARD = "phuong", _("ward")
    TOWNSHIP = "thi_tran", _("township")
    SPECIAL_ZONE = "dac_khu", _("special zone")


class AdministrativeUnit(models.Model):
    """A province, a (former) district or a commune/ward, valid over a period.

    Codes were reused by the 2025 reform (today's Phường Lào Cai carries the old
    code of Phường Kim Tân), so a code is unique only together with its period.
    """

    code = models.CharField(_("official code"), max_length=10)
    name = models.CharField(_("name"), max_length=200)
    level = models.CharField(_("level"), max_length=10, choices=UnitLevel.choices)
    type = models.CharField(_("type"), max_length=30, choices=UnitType.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(
        _("valid until"),
        null=True,
        blank=True,
        help_text=_("Last day the unit existed; empty while it still exists."),
    )
    successors = models.ManyToManyField(
        "self",
        verbose_name=_("successor units"),
        symmetrical=False,
        blank=True,
        through="UnitSuccession",
        through_fields=("predecessor", "successor"),
        related_name="predecessors",
    )
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("administrative unit")
        verbose_name_plural = _("administrative units")
        ordering = ["level", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["level", "code", "valid_from"], name="unit_code_period"
            ),
            models.UniqueConstraint(
                fields=["level", "code"],
                condition=Q(valid_to__isnull=True),
                name="unit_code_current",
            ),
        ]
        indexes = [models.Index(fields=["parent", "level"])]

    def __str__(self) -> str:
        if self.valid_to:
            return _("%(name)s (until %(date)s)") % {
                "name": self.name,
                "date": self.valid_to.strftime("%d/%m/%Y"),
            }
        return self.name

    @property
    def is_current(self) -> bool:
        return self.valid_to is None


class UnitSuccession(models.Model):
    predecessor = models.ForeignKey(
        AdministrativeUnit, on_delete=models.CASCADE, related_name="succession_to"
    )
    successor = models.ForeignKey(
        AdministrativeUnit, on_delete=models.CASCADE, related_name="succession_from"
    )
    effective_on = models.DateField(_("effective on"), default=REFORM_DATE)
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("unit succession")
        verbose_name_plural = _("unit successions")
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor", "successor"], name="unit_succession_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.predecessor} → {self.successor}"


class AgencyType(models.TextChoices):
    PROVINCE_PEOPLES_COMMITTEE = "ubnd_tinh", _("Provincial People's Committee")
    DEPARTMENT = "so_nganh", _("Department or sector agency")
    COMMUNE_PEOPLES_COMMITTEE = "ubnd_xa", _("Commune People's Committee")
    PROVINCE_SERVICE_CENTRE = "ttpvhcc_tinh", _("Provincial Public Administration Service Centre")
    COMMUNE_SERVICE_CENTRE = "ttpvhcc_xa", _("Commune Public Administration Service Centre")
    PROVINCE_POLICE = "cong_an_tinh", _("Provincial Police")
    COMMUNE_POLICE = "cong_an_xa", _("Commune Police")
    CENTRAL = "trung_uong", _("Central agency")
    NOTARY = "cong_chung", _("Notary office")


class Agency(models.Model):
    """An agency that receives or decides dossiers, with its identifier code.

    Office hours default to the national schedule (Mon–Fri 07:00–11:30, 13:30–17:00);
    an agency with other hours sets its own.
    """

    code = models.CharField(_("identifier code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=250)
    type = models.CharField(_("type"), max_length=20, choices=AgencyType.choices)
    unit = models.ForeignKey(
        AdministrativeUnit,
        verbose_name=_("administrative unit"),
        on_delete=models.PROTECT,
        related_name="agencies",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent agency"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    morning_start = models.TimeField(_("morning opens"), default=dt.time(7, 0))
    morning_end = models.TimeField(_("morning closes"), default=dt.time(11, 30))
    afternoon_start = models.TimeField(_("afternoon opens"), default=dt.time(13, 30))
    afternoon_end = models.TimeField(_("afternoon closes"), default=dt.time(17, 0))
    working_weekdays = models.CharField(
        _("working weekdays"),
        max_length=7,
        default="01234",
        help_text=_(
            "Days the desk receives, 0 = Monday … 6 = Sunday. Deadlines count only "
            "the calendar's working days."
        ),
    )
    apology_max_working_days = models.PositiveSmallIntegerField(
        _("longest postponement by an apology (working days)"),
        default=10,
        help_text=_(
            "An apology (form 04) may move the return moment at most this many "
            "working days after the due moment."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_demo_data = models.BooleanField(
        _("demo data"),
        default=False,
        help_text=_("Code, address or phone made up for the demo, not taken from a source."),
    )

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["name"]
        indexes = [models.Index(fields=["unit", "type"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not (self.morning_start < self.morning_end <= self.afternoon_start < self.afternoon_end):
            raise ValidationError(
                _(
                    "Office hours must run in order: morning opens, morning closes, "
                    "afternoon opens, afternoon closes."
                )
            )
        if (
            not self.working_weekdays
            or any(c not in "0123456" for c in self.working_weekdays)
            or len(set(self.working_weekdays)) != len(self.working_weekdays)
        ):
            raise ValidationError(
                {"working_weekdays": _("Use distinct digits 0 (Monday) to 6 (Sunday).")}
            )
