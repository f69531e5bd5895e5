"""The paper slips of Circular 01/2018/TT-VPCP (forms 01–06) as PDF.

`slip_pdf(form=..., context=...)` renders one form with WeasyPrint. The context is a
set of plain dataclasses (strings, datetimes, lists) so that this module knows
nothing of the Dossier model: the caller (back-office views) fills them in.

Forms 01–05 are A5 portrait, the tracking register (06) is A4 landscape. The text is
Vietnamese as on the official forms (no gettext: these are legal documents). The font
is Liberation Serif 2.x, shipped in static/dossiers/fonts (SIL OFL 1.1): metrically
Times New Roman, the typeface of Vietnamese administrative documents, with full
Vietnamese coverage, so a PDF looks the same on every machine whatever fonts it has.
"""

from __future__ import annotations

import atexit
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import segno

__all__ = [
    "FORMS",
    "ONLINE_RECEIPT_TITLE",
    "SlipAgency",
    "SlipApplicant",
    "SlipContext",
    "SlipPaper",
    "SlipRegisterRow",
    "SlipStep",
    "document_pdf",
    "format_moment",
    "slip_pdf",
]

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
_HERE = Path(__file__).resolve().parent
FONT_DIR = _HERE / "static" / "dossiers" / "fonts"
_TEMPLATE_DIR = "dossiers/slips"
_CSS_FILE = _HERE / "templates" / "dossiers" / "slips" / "slips.css"
# Liberation Serif 2.1.5 (SIL OFL 1.1, see LICENSE-OFL.txt beside the files).
FONT_FACES = (
    ("LiberationSerif-Regular.ttf", "normal", "normal"),
    ("LiberationSerif-Bold.ttf", "bold", "normal"),
    ("LiberationSerif-Italic.ttf", "normal", "italic"),
)

# Form number -> (template, title used as the PDF's document title).
FORMS: dict[str, tuple[str, str]] = {
    "01": ("form01.html", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"),
    "02": ("form02.html", "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"),
    "03": ("form03.html", "Phiếu từ chối tiếp nhận giải quyết hồ sơ"),
    "04": ("form04.html", "Phiếu xin lỗi và hẹn lại ngày trả kết quả"),
    "05": ("form05.html", "Phiếu kiểm soát quá trình giải quyết hồ sơ"),
    "06": ("form06.html", "Sổ theo dõi hồ sơ"),
}

# An online dossier not received yet gets form 01's shape as an acknowledgement of the
# electronic filing (no appointment yet); the real form 01 replaces it on reception.
ONLINE_RECEIPT_TEMPLATE = "form01_online.html"
ONLINE_RECEIPT_TITLE = "Giấy tiếp nhận hồ sơ trực tuyến"

# Step verdicts as the workflow code names them -> as form 05 prints them.
VERDICTS = {
    "early": "Trước hạn",
    "on_time": "Đúng hạn",
    "ontime": "Đúng hạn",
    "late": "Quá hạn",
}

# What an empty field shows: the dotted line of the paper form, to fill in by hand.
BLANK = "…………………"
BLANK_DATE = "ngày …… tháng …… năm ……"


@dataclass(frozen=True)
class SlipAgency:
    name: str  # the receiving desk / agency that issues the slip
    parent_name: str = ""  # the governing body printed above it (e.g. "UBND TỈNH LÀO CAI")
    address: str = ""
    phone: str = ""


@dataclass(frozen=True)
class SlipApplicant:
    name: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    id_number: str = ""


@dataclass(frozen=True)
class SlipPaper:
    name: str
    form_label: str = ""  # "Bản chính", "Bản sao", "Bản sao chứng thực", ...
    count: int = 1


@dataclass(frozen=True)
class SlipStep:
    desk: str  # the desk or agency that received the dossier at this hand-over
    handed_over_at: datetime | None = None
    due_at: datetime | None = None
    done_at: datetime | None = None
    verdict: str = ""  # "early" | "on_time" | "late", or already Vietnamese text


@dataclass(frozen=True)
class SlipRegisterRow:
    code: str
    procedure: str = ""
    applicant: str = ""
    agency: str = ""
    received_at: datetime | None = None
    due_at: datetime | None = None
    transferred_at: datetime | None = None
    result: str = ""  # the result, or the supplement request, in a few words
    returned_at: datetime | None = None
    note: str = ""


@dataclass(frozen=True)
class SlipContext:
    agency: SlipAgency
    code: str = ""
    tracking_url: str = ""
    procedure_name: str = ""
    applicant: SlipApplicant = field(default_factory=SlipApplicant)
    papers: list[SlipPaper] = field(default_factory=list)
    processing_time_text: str = ""  # as the catalog words it: "03 ngày làm việc"
    received_at: datetime | None = None
    due_at: datetime | None = None
    result_place: str = ""
    register_book: str = ""
    register_line: str = ""
    officer_name: str = ""
    reasons: list[str] = field(default_factory=list)  # form 03
    missing: list[tuple[str, str]] = field(default_factory=list)  # form 02: (paper, why)
    contact: str = ""  # form 02: whom to ask
    delay_reason: str = ""  # form 04
    new_due_at: datetime | None = None  # form 04
    steps: list[SlipStep] = field(default_factory=list)  # form 05
    # Form 01: what the applicant declared online (question, lines of the answer).
    declared: list[tuple[str, list[str]]] = field(default_factory=list)
    register_rows: list[SlipRegisterRow] = field(default_factory=list)  # form 06
    period_label: str = ""  # form 06: "Tháng 02 năm 2026"
    # Optional extras: the date line under the motto ("Lào Cai, ngày ... tháng ...").
    place: str = ""
    issued_at: datetime | None = None  # defaults to now
    # Form 01 as the acknowledgement of an online filing not received yet: the moment
    # it was filed stands where the moment of receipt will be.
    acknowledgement: bool = False
    filed_at: datetime | None = None


def _local(moment: datetime) -> datetime:
    # Stored times are aware UTC; a naive one is taken as already local time.
    return moment.astimezone(LOCAL_TZ) if moment.tzinfo else moment


def format_moment(moment: datetime | None) -> str:
    """'16 giờ 10 phút, ngày 25/02/2026' in Vietnam time; the dotted blank when None."""
    if moment is None:
        return BLANK
    t = _local(moment)
    return f"{t.hour:02d} giờ {t.minute:02d} phút, ngày {t:%d/%m/%Y}"


def _long_date(moment: datetime) -> str:
    t = _local(moment)
    return f"ngày {t:%d} tháng {t:%m} năm {t:%Y}"


def _cell(moment: datetime | None) -> dict[str, str] | None:
    # Table cells are narrow: date and time go on two lines.
    if moment is None:
        return None
    t = _local(moment)
    return {"date": f"{t:%d/%m/%Y}", "time": f"{t:%H:%M}"}


def _qr_data_uri(url: str) -> str:
    # A 1-bit PNG, one pixel a module, drawn with image-rendering: pixelated (no
    # interpolation in the PDF, so the modules stay sharp in print): a raster lets the
    # tests read the modules back out of the PDF with pypdf; border=4 is the quiet zone.
    return segno.make(url, error="m", micro=False).png_data_uri(scale=1, border=4)


def _template_context(form: str, context: SlipContext) -> dict[str, Any]:
    c = context
    steps = []
    previous = c.agency.name
    for step in c.steps:
        steps.append(
            {
                "giver": previous,
                "desk": step.desk,
                "handed_over": _cell(step.handed_over_at),
                "due": _cell(step.due_at),
                "done": _cell(step.done_at),
                "verdict": VERDICTS.get(step.verdict.strip().lower(), step.verdict),
            }
        )
        previous = step.desk
    rows = [
        {
            "row": row,
            "received": _cell(row.received_at),
            "due": _cell(row.due_at),
            "transferred": _cell(row.transferred_at),
            "returned": _cell(row.returned_at),
        }
        for row in c.register_rows
    ]
    issued = c.issued_at or datetime.now(LOCAL_TZ)
    return {
        "c": c,
        "form": form,
        "doc_title": ONLINE_RECEIPT_TITLE if c.acknowledgement else FORMS[form][1],
        "agency": c.agency,
        "applicant": c.applicant,
        "blank": BLANK,
        "qr": _qr_data_uri(c.tracking_url) if c.tracking_url else "",
        "received": format_moment(c.received_at),
        "received_date": _long_date(c.received_at) if c.received_at else BLANK_DATE,
        # Form 04 opens with "Ngày 25 tháng 02 năm 2026, ...": the date without "ngày".
        "received_day": (_long_date(c.received_at) if c.received_at else BLANK_DATE)[5:],
        "due": format_moment(c.due_at),
        "filed": format_moment(c.filed_at),
        "filed_date": _long_date(c.filed_at) if c.filed_at else BLANK_DATE,
        "new_due": format_moment(c.new_due_at),
        "issued_date": _long_date(issued),
        "papers": c.papers,
        "steps": steps,
        "rows": rows,
    }


class _Engine:
    """WeasyPrint, its fonts and the parsed stylesheet, set up once per process."""

    def __init__(self) -> None:
        # Imported here so that the rest of the site still starts on a machine that
        # lacks Pango: only printing a slip needs it.
        from PIL import ImageFile
        from weasyprint import CSS, HTML, URLFetcher
        from weasyprint.text.fonts import FontConfiguration

        # Importing WeasyPrint makes Pillow take truncated images in the whole process;
        # an upload cut off mid-photo must still be refused (motcua.filing.uploads), and
        # slips embed only the complete QR images we draw.
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        self.HTML = HTML
        # WeasyPrint only warns about a missing @font-face file and falls back to
        # whatever the machine has, which may lack Vietnamese: fail loudly instead.
        for filename, _weight, _style in FONT_FACES:
            if not (FONT_DIR / filename).is_file():
                raise FileNotFoundError(FONT_DIR / filename)
        # One FontConfiguration for the process: the @font-face rules are parsed and
        # the TTF files loaded once, not on every slip.
        self.font_config = FontConfiguration()
        faces = "".join(
            "@font-face { font-family: 'Slip Serif'; "
            f"src: url('{(FONT_DIR / filename).as_uri()}'); "
            f"font-weight: {weight}; font-style: {style}; }}\n"
            for filename, weight, style in FONT_FACES
        )
        self.stylesheet = CSS(
            string=faces + _CSS_FILE.read_text(encoding="utf-8"),
            font_config=self.font_config,
            url_fetcher=URLFetcher(allowed_protocols={"file"}),
        )
        # Slips hold user-typed text: the HTML may load nothing but inline data
        # (the QR), never a file or a network address.
        self.html_fetcher = URLFetcher(allowed_protocols={"data"})
        # Pango's font map is not thread-safe; gunicorn runs threads. A slip takes
        # tens of milliseconds, so serialising them costs nothing noticeable.
        self.lock = threading.Lock()

    def render(self, html: str) -> bytes:
        with self.lock:
            document = self.HTML(string=html, url_fetcher=self.html_fetcher, base_url=None)
            return document.write_pdf(stylesheets=[self.stylesheet], font_config=self.font_config)


_engine_instance: _Engine | None = None
_engine_lock = threading.Lock()


def _engine() -> _Engine:
    global _engine_instance
    with _engine_lock:  # two first requests at once must not build two engines
        if _engine_instance is None:
            _engine_instance = _Engine()
            atexit.register(_drop_engine)
        return _engine_instance


def _drop_engine() -> None:
    # Before interpreter shutdown: FontConfiguration.__del__ removes its temporary
    # folder, which fails (and leaves it behind) once modules are torn down.
    global _engine_instance
    _engine_instance = None


def slip_pdf(*, form: str, context: SlipContext) -> bytes:
    """Render form "01".."06" of Circular 01 for `context` and return the PDF bytes
    (form "01" with `context.acknowledgement`: the acknowledgement of an online filing)."""
    if form not in FORMS:
        raise ValueError(f"unknown slip form {form!r}; expected one of {sorted(FORMS)}")
    from django.template.loader import render_to_string

    template = FORMS[form][0]
    if form == "01" and context.acknowledgement:
        template = ONLINE_RECEIPT_TEMPLATE
    html = render_to_string(f"{_TEMPLATE_DIR}/{template}", _template_context(form, context))
    return _engine().render(html)


def document_pdf(*, template: str, context: dict[str, Any]) -> bytes:
    """Render another paper of the one-stop desk (a fee receipt) with the slips' engine,
    typeface and stylesheet."""
    from django.template.loader import render_to_string

    return _engine().render(render_to_string(template, {"blank": BLANK, **context}))
