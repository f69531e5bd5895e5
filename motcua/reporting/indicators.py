"""The Decision 766/QĐ-TTg index: its indicators, their points and how each is scored.

Pure: an indicator is computed from a numerator and a denominator that the selectors
read from the rollups (dossier measures) or the catalog (procedure counts).
Group totals are the decision's (Transparency 18, Progress 20, Online service 12,
Online payment 10, Digitization 22, Satisfaction 18; province maximum 100). Within a
group the points of each indicator are those listed in docs/reporting.md; where the
decision scores "full at X%" the score is max × min(1, ratio / X).

Indicators motcua holds no data for (publication of procedures, the national portal's
sync, complaints, the citizen document store, the population database) are listed
with their points and `measured=False`: they are never given a made-up value, and the
index total says how many points were measured.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

TRANSPARENCY = "transparency"
PROGRESS = "progress"
ONLINE = "online"
PAYMENT = "payment"
DIGITIZATION = "digitization"
SATISFACTION = "satisfaction"

GROUPS: dict[str, tuple[Promise, float]] = {
    TRANSPARENCY: (_("Transparency"), 18),
    PROGRESS: (_("Progress of handling"), 20),
    ONLINE: (_("Online public services"), 12),
    PAYMENT: (_("Online payment"), 10),
    DIGITIZATION: (_("Digitization"), 22),
    SATISFACTION: (_("Satisfaction"), 18),
}

# Where a number comes from: the dossier rollups, the catalog, or nowhere in motcua.
DOSSIERS = "dossiers"
CATALOG = "catalog"
NOT_MEASURED = "not_measured"


@dataclass(frozen=True)
class Indicator:
    key: str
    group: str
    label: Promise
    max: float
    source: str
    # Dossier indicators: the rollup measures that are numerator and denominator.
    numerator: str = ""
    denominator: str = ""
    full_at: float = 100.0  # the ratio (%) that earns the whole score
    # A percentage a leader may set a target on and drill into.
    targetable: bool = True

    @property
    def measured(self) -> bool:
        return self.source != NOT_MEASURED


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "published_on_time",
        TRANSPARENCY,
        _("Procedures published on time"),
        6,
        NOT_MEASURED,
        targetable=False,
    ),
    Indicator(
        "updated_on_time",
        TRANSPARENCY,
        _("Procedures updated on the national database on time"),
        4,
        NOT_MEASURED,
        targetable=False,
    ),
    Indicator(
        "published_complete",
        TRANSPARENCY,
        _("Procedures published with all parts"),
        2,
        NOT_MEASURED,
        targetable=False,
    ),
    Indicator(
        "synced_realtime",
        TRANSPARENCY,
        _("Dossiers synced to the national portal in real time"),
        6,
        NOT_MEASURED,
        targetable=False,
    ),
    # (finished early or on time + in progress within the deadline) / received and
    # handled; score = 20 × ratio. Late: motcua.dossiers.timing, the one rule.
    Indicator(
        "on_time", PROGRESS, _("Dossiers handled on time"), 20, DOSSIERS, "on_time", "handled"
    ),
    Indicator(
        "full_online",
        ONLINE,
        _("Dossiers handled fully online, of procedures eligible for it"),
        4,
        DOSSIERS,
        "full_online",
        "eligible",
    ),
    Indicator("procedures_online", ONLINE, _("Procedures offered online"), 4, CATALOG, full_at=80),
    Indicator(
        "filed_online",
        ONLINE,
        _("Dossiers filed online"),
        4,
        DOSSIERS,
        "filed_online",
        "received",
        full_at=50,
    ),
    # Payment: score = 6·A + min(2, 2.5·B) + 2.5·C, the group capped at 10.
    Indicator(
        "paid_online",
        PAYMENT,
        _("Dossiers with a fee paid online (A)"),
        6,
        DOSSIERS,
        "paid_online",
        "with_fee",
    ),
    Indicator(
        "payment_integrated",
        PAYMENT,
        _("Fee-bearing procedures with online payment integrated (B)"),
        2,
        CATALOG,
    ),
    Indicator(
        "payment_used",
        PAYMENT,
        _("Procedures with online payment integrated and used (C)"),
        2.5,
        CATALOG,
    ),
    Indicator(
        "e_result",
        DIGITIZATION,
        _("Dossiers with an electronic result"),
        6,
        DOSSIERS,
        "e_result",
        "granted",
    ),
    Indicator(
        "digitized",
        DIGITIZATION,
        _("Digitized dossiers"),
        4,
        DOSSIERS,
        "digitized",
        "received",
        full_at=80,
    ),
    Indicator(
        "e_certified_communes",
        DIGITIZATION,
        _("Communes issuing electronically certified copies"),
        2,
        NOT_MEASURED,
        targetable=False,
    ),
    Indicator(
        "reused_data",
        DIGITIZATION,
        _("Dossiers reusing digitized data"),
        2,
        DOSSIERS,
        "reused",
        "received",
        full_at=80,
    ),
    Indicator(
        "document_store",
        DIGITIZATION,
        _("Dossiers linked to the citizen's document store"),
        4,
        NOT_MEASURED,
        targetable=False,
    ),
    Indicator(
        "population_data",
        DIGITIZATION,
        _("Dossiers using population data"),
        2,
        NOT_MEASURED,
        targetable=False,
    ),
    Indicator(
        "population_procedures",
        DIGITIZATION,
        _("Procedures connected to the population database"),
        2,
        NOT_MEASURED,
        targetable=False,
    ),
    Indicator(
        "complaints_on_time",
        SATISFACTION,
        _("Complaints handled on time"),
        6,
        NOT_MEASURED,
        targetable=False,
    ),
    Indicator(
        "complaint_satisfaction",
        SATISFACTION,
        _("Satisfaction with complaint handling"),
        6,
        NOT_MEASURED,
        targetable=False,
    ),
    # 100% − (late rate + dislike rate) over finished dossiers, full at 90%.
    Indicator(
        "satisfaction",
        SATISFACTION,
        _("Satisfaction with procedures"),
        6,
        DOSSIERS,
        "satisfied",
        "finished",
        full_at=90,
    ),
)
BY_KEY = {i.key: i for i in INDICATORS}
PAYMENT_CAP = 10.0
TARGETABLE = tuple(i for i in INDICATORS if i.targetable)


@dataclass(frozen=True)
class Value:
    indicator: Indicator
    numerator: int
    denominator: int
    ratio: float | None  # percent, 2 decimals; None when the denominator is 0
    score: float | None  # None when not measured or N/A

    @property
    def key(self) -> str:
        return self.indicator.key

    def as_json(self) -> dict:
        return {
            "numerator": self.numerator,
            "denominator": self.denominator,
            "ratio": self.ratio,
            "score": self.score,
            "max": self.indicator.max,
            "measured": self.indicator.measured,
        }


def round2(value: float | Decimal) -> float:
    return float(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def percent(numerator: int, denominator: int) -> float | None:
    """numerator / denominator in percent, 2 decimals, half up; N/A (None) for 0."""
    if denominator <= 0:
        return None
    return float(
        (Decimal(numerator) * 100 / Decimal(denominator)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
    )


def score_of(indicator: Indicator, numerator: int, denominator: int) -> Value:
    if not indicator.measured:
        return Value(indicator, 0, 0, None, None)
    ratio = percent(numerator, denominator)
    if ratio is None:
        return Value(indicator, numerator, denominator, None, None)
    exact = numerator / denominator * 100
    if indicator.key == "payment_integrated":
        score = min(2.0, 2.5 * exact / 100)
    else:
        score = indicator.max * min(1.0, exact / indicator.full_at)
    return Value(indicator, numerator, denominator, ratio, round2(score))


@dataclass(frozen=True)
class Total:
    score: float
    measured_max: float
    max: float
    groups: dict[str, tuple[float, float, float]]  # group → (score, measured max, max)


def total_of(values: dict[str, Value]) -> Total:
    """The index: scores summed per group (payment capped at 10). An N/A indicator
    scores nothing and its points leave the measured maximum, as do unmeasured ones."""
    groups: dict[str, tuple[float, float, float]] = {}
    for group, (_label, group_max) in GROUPS.items():
        members = [v for v in values.values() if v.indicator.group == group]
        score = sum(v.score or 0.0 for v in members)
        measured = sum(v.indicator.max for v in members if v.score is not None)
        if group == PAYMENT:
            score, measured = min(score, PAYMENT_CAP), min(measured, PAYMENT_CAP)
        groups[group] = (round2(score), round2(measured), float(group_max))
    return Total(
        score=round2(sum(g[0] for g in groups.values())),
        measured_max=round2(sum(g[1] for g in groups.values())),
        max=float(sum(m for _l, m in GROUPS.values())),
        groups=groups,
    )
