from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("public holiday")
    DAY_OFF = "day_off", _("day off")
    WORKING_DAY = "working_day", _("working day")


class CalendarDaySource(models.TextChoices):
    HOLIDAYS_PACKAGE = "holidays_package", _("holidays package")
    ADMINISTRATOR = "administrator", _("administrator")


class CalendarDay(models.Model):
    """A date that breaks the weekly office pattern, nationwide.

    Holidays and days off close the office whatever the weekday; a working day opens it
    on a date that is normally closed (a compensatory working Saturday). Rows come from
    the `holidays` package (calendar_seed) or from an administrator; seeding never
    touches an administrator's row.
    """

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=CalendarDayKind.choices)
    name = models.CharField(_("name"), max_length=200)
    source = models.CharField(
        _("source"),
        max_length=20,
        choices=CalendarDaySource.choices,
        default=CalendarDaySource.ADMINISTRATOR,
        help_text=_(
            "Rows from the holidays package are refreshed by seeding; rows an administrator "
            "created or edited are kept. To cancel a reported holiday, change its kind to "
            "working day instead of deleting it: a deleted row comes back at the next seeding."
        ),
    )
    note = models.CharField(
        _("note"), max_length=300, blank=True, help_text=_("Legal basis or remark.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=CalendarDayKind.values), name="calendar_day_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(source__in=CalendarDaySource.values),
                name="calendar_day_source_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} {self.name}"

    @property
    def is_closed(self) -> bool:
        return self.kind != CalendarDayKind.WORKING_DAY


class FormKey(models.Model):
    """A form's one-use key (motcua.core.once): the first POST carrying it claims the
    row; a repeat (double click, retried request) gets the first answer back."""

    key = models.CharField(max_length=64, primary_key=True)
    user_id = models.BigIntegerField(null=True, blank=True)
    path = models.CharField(max_length=300)
    # sha256 of what the form sent: the same key with other content is not a repeat.
    digest = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished = models.BooleanField(default=False)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    location = models.CharField(max_length=2000, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.path} ({'answered' if self.finished else 'running'})"


class RateCounter(models.Model):
    """Attempts of one kind by one client in one fixed time window (motcua.core.ratelimit),
    in the database so that every worker on every machine counts together and a restart
    forgets nothing."""

    key = models.CharField(max_length=200)
    window = models.BigIntegerField()  # the window's start, in seconds since the epoch
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window"], name="rate_counter_once")
        ]

    def __str__(self) -> str:
        return f"{self.key} @{self.window}: {self.count}"
