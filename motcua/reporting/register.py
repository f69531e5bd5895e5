"""Form 06, the tracking register (sổ theo dõi hồ sơ, Circular 01/2018/TT-VPCP): one line
a dossier an agency received in a period, printed A4 by motcua.dossiers.slips."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from motcua.core.calendar import VN_TZ
from motcua.dossiers.models import Channel, Dossier, DossierEvent, NationalStatus, Outcome
from motcua.dossiers.slip_contexts import slip_agency
from motcua.organizations.models import Agency

REGISTER_MAX_ROWS = 1000


@dataclass(frozen=True)
class RegisterPeriod:
    """Days of a tracking register, first and last included, in Vietnam time."""

    first: date
    last: date
    month: bool = False  # a calendar month chosen as such

    @property
    def label(self) -> str:
        if self.month:
            return f"Tháng {self.first:%m} năm {self.first:%Y}"
        return f"Từ ngày {self.first:%d/%m/%Y} đến ngày {self.last:%d/%m/%Y}"

    @property
    def slug(self) -> str:
        if self.month:
            return f"{self.first:%Y-%m}"
        return f"{self.first:%Y%m%d}-{self.last:%Y%m%d}"


def _register_result(dossier: Dossier) -> str:
    if dossier.outcome == Outcome.GRANTED:
        text = "Đã trả kết quả" if dossier.returned_at else "Đã có kết quả"
    elif dossier.outcome == Outcome.REFUSED:
        text = "Từ chối giải quyết"
    elif dossier.outcome == Outcome.WITHDRAWN:
        text = "Rút hồ sơ, dừng xử lý"
    elif dossier.status == NationalStatus.SUPPLEMENT_REQUESTED:
        return f"Yêu cầu bổ sung (lần {dossier.supplement_requests})"
    elif dossier.status == NationalStatus.FEE_REQUESTED:
        text = "Chờ nộp phí, lệ phí"
    else:
        text = "Đang xử lý"
    if dossier.supplement_requests:
        text += f"; đã yêu cầu bổ sung {dossier.supplement_requests} lần"
    return text


def _register_note(dossier: Dossier) -> str:
    notes = []
    if dossier.channel == Channel.ONLINE:
        notes.append("Nộp trực tuyến")
    elif dossier.channel == Channel.POST:
        notes.append("Nộp qua bưu chính")
    if dossier.apologies:
        notes.append("Đã xin lỗi, hẹn lại")
    if dossier.is_late:
        notes.append("Quá hạn")
    return "; ".join(notes)


def _transfer_moments(dossier_ids: list[int], now: datetime) -> dict[int, datetime]:
    """When each dossier passed to the competent unit: the transfer moment its receive
    event stored (not yet reached: not transferred), read through the (dossier, id) index."""
    found: dict[int, datetime] = {}
    for start in range(0, len(dossier_ids), 500):  # SQLite caps the bound parameters
        events = DossierEvent.objects.filter(
            dossier_id__in=dossier_ids[start : start + 500], action="receive"
        ).values_list("dossier_id", "data")
        for dossier_id, data in events:
            value = (data or {}).get("transfer_at")
            moment = parse_datetime(value) if isinstance(value, str) else None
            if moment is not None and moment <= now:
                found.setdefault(dossier_id, moment)
    return found


def register_context(
    *, agency: Agency, period: RegisterPeriod, max_rows: int = REGISTER_MAX_ROWS
) -> Any:
    """Form 06 of `agency` for `period`: one line per dossier it received in the period,
    in order of receipt (receiving agency + received_at range, capped at max_rows)."""
    from motcua.dossiers.slips import SlipContext, SlipRegisterRow

    start = datetime.combine(period.first, time.min, tzinfo=VN_TZ)
    end = datetime.combine(period.last + timedelta(days=1), time.min, tzinfo=VN_TZ)
    dossiers = list(
        Dossier.objects.filter(receiving_agency=agency, received_at__gte=start, received_at__lt=end)
        .select_related("procedure_version", "competent_agency")
        .only(
            "code",
            "applicant_name",
            "organisation_name",
            "channel",
            "status",
            "outcome",
            "received_at",
            "due_at",
            "returned_at",
            "supplement_requests",
            "apologies",
            "is_late",
            "procedure_version__name",
            "competent_agency__name",
        )
        .order_by("received_at", "pk")[: max_rows + 1]
    )
    label = period.label
    if len(dossiers) > max_rows:
        dossiers = dossiers[:max_rows]
        last = timezone.localtime(dossiers[-1].received_at, VN_TZ)
        shown = f"{max_rows:,}".replace(",", ".")  # 1.000 as Vietnamese writes it
        label += (
            f" – chỉ in {shown} hồ sơ đầu tiên (đến {last:%H:%M %d/%m/%Y}); "
            "chọn khoảng thời gian ngắn hơn để in các hồ sơ còn lại"
        )
    transfers = _transfer_moments([d.pk for d in dossiers], timezone.now())
    return SlipContext(
        agency=slip_agency(agency),
        period_label=label,
        register_rows=[
            SlipRegisterRow(
                code=d.code,
                procedure=d.procedure_version.name,
                applicant=d.organisation_name or d.applicant_name,
                agency=d.competent_agency.name,
                received_at=d.received_at,
                due_at=d.due_at,
                transferred_at=transfers.get(d.pk),
                result=_register_result(d),
                returned_at=d.returned_at,
                note=_register_note(d),
            )
            for d in dossiers
        ],
    )
