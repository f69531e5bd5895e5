"""The wire format of the DVCQG payment platform ("Nền tảng thanh toán" of the national
public-service portal): message fields, checksum field orders and codes.

This is the ONE module that knows the format, so that the official specification (the
platform's connection document, handed to provinces on request) can replace it without
touching the plugin or the simulator. Everything here is built from public provincial
integrations; where they disagree or are silent we chose, and say so with "(ours)".

Sources
- HuanVu201/DichVuCong_KhoaLuan_PASETO (a provincial one-stop system, .NET):
  Infrastructure/DvcPayment/DvcPaymentService.cs and InitDvcPaymentRequest.cs,
  Application/Common/DvcPayment/BienLaiDvcPaymentRequest.cs,
  YeuCauThanhToanApp/Commands/ConfirmDvcPaymentCommand(Handler).cs: the INIT, QUERY and
  GET_BILL requests, the platform's callback and its check, PhienBan "1.0.6",
  MaLoi "00" = success. The checksum is plain SHA-256, lower-case hex, of the values
  joined with "|" and the partner secret appended as the last value; that system
  rejects a callback whose checksum does not match, so it is the rule in production.
- VietOpenCPS opencps-v2 (backend-paygate-integration: PayGateTerm.java,
  PayGateUtil.java): the same field names and the callback answer (MaLoi, MoTaLoi,
  MaDoiTac, MaThamChieu, ThoiGianGD, MaXacThuc). It signs with HMAC-SHA256 instead and
  puts ThongTinGiaoDich before ThoiGianGD in the callback, with its callback check
  commented out; we follow the first source on both points.
- Its admin page: QUERY answers TrangThaiGD "1" paid, "3" "the platform does not know
  the final state yet", "4" failed.

Transport (ours): every message is one JSON object POSTed to the platform's address
(PAY_DVCQG_URL); LoaiBanTin says which. Provinces configure one URL per message type,
but since every message carries its type, one address that dispatches on it is enough,
and a proxy can route by it. Every message and every answer carries MaXacThuc.

Amounts are whole VND, sent as decimal strings ("150000"). Times are yyyyMMddHHmmss in
Vietnam time (GMT+7, no daylight saving).
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
TIME_FORMAT = "%Y%m%d%H%M%S"
DAY_FORMAT = "%Y%m%d"

VERSION = "1.0.6"  # PhienBan, as provinces send it
CHECKSUM = "MaXacThuc"

# LoaiBanTin: the message types.
INIT = "INIT"  # create the payment, get the platform's payment page
QUERY = "QUERY"  # ask what became of a payment
GET_BILL = "GET_BILL"  # fetch the platform's receipt (biên lai)
CONFIRM = "CONFIRM"  # (ours) the platform's callback; its value is not in public code
STATEMENT = "DOISOAT"  # (ours) the day's successful payments, for reconciliation

# Fixed INIT values, as provinces send them.
PAYMENT_TYPE = "PAY"  # LoaiHinhThanhToan
CHANNEL = "1"  # MaKenhThanhToan
DEVICE = "1"  # MaThietBi
LANGUAGE = "vi-VN"  # NgonNgu
CURRENCY = "VND"  # MaTienTe
ANY_BANK = "PAYMENT"  # MaNganHang: the payer picks a bank or wallet on the platform
SERVICE_FEES = "2"  # ThongTinBienLai.MaDichVu: 2 fees of a procedure (1 is for fines)
KIND_FEE = "Phi"  # LoaiPhiLePhi: a service fee (phí) ...
KIND_CHARGE = "LePhi"  # ... or a state charge (lệ phí); receipts tell them apart

# MaLoi. "00" and "99" are public; the others are ours, until the specification.
OK = "00"
BAD_CHECKSUM = "01"  # MaXacThuc does not match
BAD_PARTNER = "02"  # unknown MaDoiTac
BAD_MESSAGE = "03"  # unknown LoaiBanTin, a field missing or malformed
NOT_FOUND = "04"  # no payment with this MaThamChieu
BAD_AMOUNT = "05"  # SoTien differs (from the first INIT, from the fee lines, ...)
CANCELLED = "06"  # callback: the payer cancelled or the payment failed
NO_RECEIPT = "07"  # GET_BILL: the payment has not succeeded, so there is no receipt
PROCESSING = "09"  # callback: the payment is not final yet (the bank still decides)
OTHER = "99"  # any other error ("Các lỗi khác")

DESCRIPTIONS = {  # MoTaLoi
    OK: "Thành công",
    BAD_CHECKSUM: "Sai mã xác thực",
    BAD_PARTNER: "Mã đối tác không hợp lệ",
    BAD_MESSAGE: "Bản tin không hợp lệ",
    NOT_FOUND: "Không tìm thấy giao dịch",
    BAD_AMOUNT: "Số tiền không hợp lệ",
    CANCELLED: "Giao dịch không thành công",
    NO_RECEIPT: "Giao dịch chưa thanh toán thành công",
    PROCESSING: "Giao dịch đang xử lý",
    OTHER: "Các lỗi khác",
}

# TrangThaiGD, in QUERY answers.
STATE_PAID = "1"
STATE_PENDING = "3"
STATE_FAILED = "4"

# Why we refuse a callback (CallbackRejected.reason starts with one of these, then ": "
# and details for the log), and the MaLoi we answer the platform with. "not_found",
# "amount" and "error" come from the payments services.
REASON_SIGNATURE = "signature"
REASON_PARTNER = "partner"
REASON_MALFORMED = "malformed"
REASON_NOT_FOUND = "not_found"
REASON_AMOUNT = "amount"
REASON_ERROR = "error"
ANSWER_CODES = {
    REASON_SIGNATURE: BAD_CHECKSUM,
    REASON_PARTNER: BAD_PARTNER,
    REASON_MALFORMED: BAD_MESSAGE,
    REASON_NOT_FOUND: NOT_FOUND,
    REASON_AMOUNT: BAD_AMOUNT,
    REASON_ERROR: OTHER,
}

# --- the messages ---------------------------------------------------------------------
#
# INIT (province → platform)
#   LoaiBanTin         "INIT"
#   PhienBan           "1.0.6"
#   MaDoiTac           partner code the platform gave the province (PAY_DVCQG_PARTNER_CODE)
#   MaThamChieu        our reference for the attempt; unique, the key of the payment
#   SoTien             amount, whole VND
#   LoaiHinhThanhToan  "PAY"
#   MaKenhThanhToan    "1"
#   MaThietBi          "1"
#   NgonNgu            "vi-VN"
#   MaTienTe           "VND"
#   MaNganHang         "PAYMENT": no bank chosen yet
#   ThongTinGiaoDich   short plain-ASCII text of the payment ("Le phi ho so ...")
#   ThoiGianGD         when the attempt was created (the same on a repeated INIT)
#   Ip                 the payer's IP address
#   UrlCallback        (ours) where the platform POSTs its callback; provinces
#                      register it with the platform, we also send it
#   UrlReturn          (ours) where the platform sends the browser back
#   ThongTinBienLai    what the receipt is for, not in the checksum:
#     MaDichVu           "2" (fees of a procedure)
#     MaTTHC / TenTTHC   procedure code and name (the national procedure catalogue)
#     MaDVC / TenDVC     public-service code and name; we send the procedure's again
#     MaDonVi / TenDonVi receiving agency ("" / its name when we do not know the code)
#     MaHoSo             dossier code
#     TKThuHuong         payee account (PAY_DVCQG_PAYEE_ACCOUNT)
#     MaNHThuHuong       payee bank (PAY_DVCQG_PAYEE_BANK)
#     TenTKThuHuong      payee account name (PAY_DVCQG_PAYEE_NAME)
#     NoiDungThanhToan   = ThongTinGiaoDich
#     HoTenNguoiNop      payer name
#     SoDienThoaiNguoiNop (ours) payer phone
#     PhiLePhi           fee lines: LoaiPhiLePhi, MaPhiLePhi (procedure code),
#                        TenPhiLePhi, SoTien
#     DSKhoanNop         the same lines as paid items: NoiDung, SoTien; they add up
#                        to SoTien
#   MaXacThuc          checksum of INIT_ORDER
INIT_ORDER = (
    "LoaiBanTin", "PhienBan", "MaDoiTac", "MaThamChieu", "SoTien", "LoaiHinhThanhToan",
    "MaKenhThanhToan", "MaThietBi", "NgonNgu", "MaTienTe", "MaNganHang",
    "ThongTinGiaoDich", "ThoiGianGD", "Ip",
)  # fmt: skip

# INIT answer (platform → province); its fields and order are ours, the public code
# reads MaLoi and UrlThanhToan.
#   LoaiBanTin "INIT", MaLoi, MoTaLoi, MaDoiTac, MaThamChieu,
#   MaGiaoDich    the platform's transaction id (the same for a repeated INIT)
#   UrlThanhToan  the payment page to send the browser to
#   ThoiGianGD    echoed from the request
#   MaXacThuc     checksum of INIT_ANSWER_ORDER
INIT_ANSWER_ORDER = (
    "LoaiBanTin", "MaLoi", "MaDoiTac", "MaThamChieu", "MaGiaoDich", "UrlThanhToan",
    "ThoiGianGD",
)  # fmt: skip

# Callback (platform → UrlCallback), POST JSON; the fields and the order are public.
#   LoaiBanTin        "CONFIRM" (ours: the value is not public; it is in the checksum)
#   MaLoi             "00" paid, "09" not final yet, anything else failed
#   MaDoiTac, MaThamChieu, SoTien, MaTienTe
#   MaGiaoDich        the platform's transaction id
#   MaNganHang        the bank or wallet the payer used
#   ThoiGianGD        when it was paid (or failed)
#   ThongTinGiaoDich  echoed from INIT
#   MaXacThuc         checksum of CONFIRM_ORDER
# Answer (province → platform): {"MaLoi": ..., "MoTaLoi": ...} (+ MaDoiTac), see
# ANSWER_CODES; the platform calls again on anything but "00".
CONFIRM_ORDER = (
    "LoaiBanTin", "MaLoi", "MaDoiTac", "MaThamChieu", "SoTien", "MaTienTe", "MaGiaoDich",
    "MaNganHang", "ThoiGianGD", "ThongTinGiaoDich",
)  # fmt: skip

# QUERY (province → platform); public.
#   LoaiBanTin "QUERY", PhienBan, MaDoiTac, MaThamChieu,
#   ThoiGianGD  the INIT's ThoiGianGD (identifies the payment with MaThamChieu)
#   MaXacThuc   checksum of QUERY_ORDER
QUERY_ORDER = ("LoaiBanTin", "PhienBan", "MaDoiTac", "MaThamChieu", "ThoiGianGD")

# QUERY answer; the fields are public, the checksum order is ours (the callback's, then
# TrangThaiGD).
#   LoaiBanTin "QUERY", MaLoi ("00" the payment is known, "04" it is not), MoTaLoi,
#   MaDoiTac, MaThamChieu, SoTien, MaTienTe, MaGiaoDich, MaNganHang,
#   ThoiGianGD        when it was paid (else when it was created)
#   ThongTinGiaoDich
#   TrangThaiGD       "1" paid, "3" pending, "4" failed
#   MaXacThuc         checksum of QUERY_ANSWER_ORDER
QUERY_ANSWER_ORDER = (*CONFIRM_ORDER, "TrangThaiGD")

# GET_BILL (province → platform); public, same fields as QUERY.
BILL_ORDER = ("LoaiBanTin", "PhienBan", "MaDoiTac", "MaThamChieu", "ThoiGianGD")

# GET_BILL answer (ours: the public code receives a PDF; we also read one, see the
# plugin). JSON:
#   LoaiBanTin "GET_BILL", MaLoi ("07" not paid), MoTaLoi, MaDoiTac, MaThamChieu,
#   MaGiaoDich,
#   MauSoBienLai    receipt form number
#   KyHieuBienLai   receipt series
#   SoBienLai       receipt number within the series
#   SoTien
#   ThoiGianGD      when it was paid
#   UrlBienLai      link to the receipt (PDF), may be ""
#   MaXacThuc       checksum of BILL_ANSWER_ORDER
BILL_ANSWER_ORDER = (
    "LoaiBanTin", "MaLoi", "MaDoiTac", "MaThamChieu", "MaGiaoDich", "MauSoBienLai",
    "KyHieuBienLai", "SoBienLai", "SoTien", "ThoiGianGD", "UrlBienLai",
)  # fmt: skip

# DOISOAT (ours: no public reconciliation API; our stand-in).
#   LoaiBanTin "DOISOAT", PhienBan, MaDoiTac,
#   Ngay        the day, YYYYMMDD, Vietnam time
#   ThoiGianGD  when asked
#   MaXacThuc   checksum of STATEMENT_ORDER
STATEMENT_ORDER = ("LoaiBanTin", "PhienBan", "MaDoiTac", "Ngay", "ThoiGianGD")

# DOISOAT answer: the day's successful payments.
#   LoaiBanTin "DOISOAT", MaLoi, MoTaLoi, MaDoiTac, Ngay,
#   SoGiaoDich  how many
#   TongTien    their total
#   DanhSach    [{MaThamChieu, MaGiaoDich, SoTien, MaNganHang, ThoiGianGD}, ...]
#   MaXacThuc   checksum of STATEMENT_ANSWER_ORDER, where DanhSach stands for the
#               values of every item in STATEMENT_ITEM_ORDER, item after item
LIST = "DanhSach"
STATEMENT_ANSWER_ORDER = (
    "LoaiBanTin", "MaLoi", "MaDoiTac", "Ngay", "SoGiaoDich", "TongTien", LIST,
)  # fmt: skip
STATEMENT_ITEM_ORDER = ("MaThamChieu", "MaGiaoDich", "SoTien", "MaNganHang", "ThoiGianGD")

REQUEST_ORDERS = {
    INIT: INIT_ORDER,
    QUERY: QUERY_ORDER,
    GET_BILL: BILL_ORDER,
    STATEMENT: STATEMENT_ORDER,
}
ANSWER_ORDERS = {
    INIT: INIT_ANSWER_ORDER,
    QUERY: QUERY_ANSWER_ORDER,
    GET_BILL: BILL_ANSWER_ORDER,
    STATEMENT: STATEMENT_ANSWER_ORDER,
}


# --- checksum -------------------------------------------------------------------------


def checksum(values: Sequence[str], secret: str) -> str:
    """SHA-256 hex of "v1|v2|...|vn|secret" (the secret is the last joined value)."""
    raw = "|".join([*values, secret])
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def text(value: Any) -> str:
    return "" if value is None else str(value)


def values(message: Mapping[str, Any], order: Iterable[str]) -> list[str]:
    """The values of `message` in checksum order (missing fields count as "")."""
    out: list[str] = []
    for name in order:
        if name == LIST:
            for item in message.get(LIST) or []:
                out.extend(text(item.get(f)) for f in STATEMENT_ITEM_ORDER)
        else:
            out.append(text(message.get(name)))
    return out


def sign(message: dict[str, Any], order: Iterable[str], secret: str) -> dict[str, Any]:
    message[CHECKSUM] = checksum(values(message, order), secret)
    return message


def verify(message: Mapping[str, Any], order: Iterable[str], secret: str) -> bool:
    given = message.get(CHECKSUM)
    if not isinstance(given, str) or not given:
        return False
    expected = checksum(values(message, order), secret)
    return hmac.compare_digest(given.strip().lower().encode(), expected.encode())


# --- times ----------------------------------------------------------------------------


def format_time(moment: datetime) -> str:
    return moment.astimezone(VN_TZ).strftime(TIME_FORMAT)


def parse_time(raw: Any) -> datetime | None:
    try:
        return datetime.strptime(text(raw), TIME_FORMAT).replace(tzinfo=VN_TZ)
    except ValueError:
        return None


def format_day(day: date) -> str:
    return day.strftime(DAY_FORMAT)


# --- building messages ----------------------------------------------------------------


def fee_kind(description: str) -> str:
    """LoaiPhiLePhi of a fee line: a "lệ phí" (state charge) or else a "phí"."""
    plain = unicodedata.normalize("NFKD", description.replace("đ", "d").replace("Đ", "D"))
    plain = plain.encode("ascii", "ignore").decode("ascii").strip().lower()
    return KIND_CHARGE if plain.startswith("le phi") else KIND_FEE


def init_request(
    *,
    partner: str,
    secret: str,
    reference: str,
    amount_vnd: int,
    created_at: datetime,
    description: str,
    client_ip: str,
    procedure_code: str,
    procedure_name: str,
    dossier_code: str,
    agency_name: str,
    payee_account: str,
    payee_bank: str,
    payee_name: str,
    payer_name: str,
    payer_phone: str,
    lines: Sequence[tuple[str, int]],
    callback_url: str,
    return_url: str,
) -> dict[str, Any]:
    lines = list(lines) or [(description, amount_vnd)]
    message: dict[str, Any] = {
        "LoaiBanTin": INIT,
        "PhienBan": VERSION,
        "MaDoiTac": partner,
        "MaThamChieu": reference,
        "SoTien": str(amount_vnd),
        "LoaiHinhThanhToan": PAYMENT_TYPE,
        "MaKenhThanhToan": CHANNEL,
        "MaThietBi": DEVICE,
        "NgonNgu": LANGUAGE,
        "MaTienTe": CURRENCY,
        "MaNganHang": ANY_BANK,
        "ThongTinGiaoDich": description,
        "ThoiGianGD": format_time(created_at),
        "Ip": client_ip,
        "UrlCallback": callback_url,
        "UrlReturn": return_url,
        "ThongTinBienLai": {
            "MaDichVu": SERVICE_FEES,
            "MaTTHC": procedure_code,
            "TenTTHC": procedure_name,
            "MaDVC": procedure_code,
            "TenDVC": procedure_name,
            "MaDonVi": "",
            "TenDonVi": agency_name,
            "MaHoSo": dossier_code,
            "TKThuHuong": payee_account,
            "MaNHThuHuong": payee_bank,
            "TenTKThuHuong": payee_name,
            "NoiDungThanhToan": description,
            "HoTenNguoiNop": payer_name,
            "SoDienThoaiNguoiNop": payer_phone,
            "PhiLePhi": [
                {
                    "LoaiPhiLePhi": fee_kind(name),
                    "MaPhiLePhi": procedure_code,
                    "TenPhiLePhi": name,
                    "SoTien": str(amount),
                }
                for name, amount in lines
            ],
            "DSKhoanNop": [{"NoiDung": name, "SoTien": str(amount)} for name, amount in lines],
        },
    }
    return sign(message, INIT_ORDER, secret)


def init_answer(
    *,
    partner: str,
    secret: str,
    reference: str,
    txn: str,
    pay_url: str,
    when: str,
) -> dict[str, Any]:
    message = {
        "LoaiBanTin": INIT,
        "MaLoi": OK,
        "MoTaLoi": DESCRIPTIONS[OK],
        "MaDoiTac": partner,
        "MaThamChieu": reference,
        "MaGiaoDich": txn,
        "UrlThanhToan": pay_url,
        "ThoiGianGD": when,
    }
    return sign(message, INIT_ANSWER_ORDER, secret)


def confirm(
    *,
    partner: str,
    secret: str,
    code: str,
    reference: str,
    amount_vnd: int,
    txn: str,
    bank: str,
    when: datetime,
    info: str,
) -> dict[str, Any]:
    message = {
        "LoaiBanTin": CONFIRM,
        "MaLoi": code,
        "MoTaLoi": DESCRIPTIONS.get(code, ""),
        "MaDoiTac": partner,
        "MaThamChieu": reference,
        "SoTien": str(amount_vnd),
        "MaTienTe": CURRENCY,
        "MaGiaoDich": txn,
        "MaNganHang": bank,
        "ThoiGianGD": format_time(when),
        "ThongTinGiaoDich": info,
    }
    return sign(message, CONFIRM_ORDER, secret)


def query_request(
    *, partner: str, secret: str, reference: str, created_at: datetime
) -> dict[str, Any]:
    message = {
        "LoaiBanTin": QUERY,
        "PhienBan": VERSION,
        "MaDoiTac": partner,
        "MaThamChieu": reference,
        "ThoiGianGD": format_time(created_at),
    }
    return sign(message, QUERY_ORDER, secret)


def query_answer(
    *,
    partner: str,
    secret: str,
    reference: str,
    state: str,
    amount_vnd: int,
    txn: str,
    bank: str,
    when: datetime,
    info: str,
) -> dict[str, Any]:
    message = {
        "LoaiBanTin": QUERY,
        "MaLoi": OK,
        "MoTaLoi": DESCRIPTIONS[OK],
        "MaDoiTac": partner,
        "MaThamChieu": reference,
        "SoTien": str(amount_vnd),
        "MaTienTe": CURRENCY,
        "MaGiaoDich": txn,
        "MaNganHang": bank,
        "ThoiGianGD": format_time(when),
        "ThongTinGiaoDich": info,
        "TrangThaiGD": state,
    }
    return sign(message, QUERY_ANSWER_ORDER, secret)


def bill_request(
    *, partner: str, secret: str, reference: str, created_at: datetime
) -> dict[str, Any]:
    message = {
        "LoaiBanTin": GET_BILL,
        "PhienBan": VERSION,
        "MaDoiTac": partner,
        "MaThamChieu": reference,
        "ThoiGianGD": format_time(created_at),
    }
    return sign(message, BILL_ORDER, secret)


def bill_answer(
    *,
    partner: str,
    secret: str,
    reference: str,
    txn: str,
    form: str,
    series: str,
    number: str,
    amount_vnd: int,
    paid_at: datetime,
    url: str,
) -> dict[str, Any]:
    message = {
        "LoaiBanTin": GET_BILL,
        "MaLoi": OK,
        "MoTaLoi": DESCRIPTIONS[OK],
        "MaDoiTac": partner,
        "MaThamChieu": reference,
        "MaGiaoDich": txn,
        "MauSoBienLai": form,
        "KyHieuBienLai": series,
        "SoBienLai": number,
        "SoTien": str(amount_vnd),
        "ThoiGianGD": format_time(paid_at),
        "UrlBienLai": url,
    }
    return sign(message, BILL_ANSWER_ORDER, secret)


def statement_request(*, partner: str, secret: str, day: date, now: datetime) -> dict[str, Any]:
    message = {
        "LoaiBanTin": STATEMENT,
        "PhienBan": VERSION,
        "MaDoiTac": partner,
        "Ngay": format_day(day),
        "ThoiGianGD": format_time(now),
    }
    return sign(message, STATEMENT_ORDER, secret)


def statement_item(
    *, reference: str, txn: str, amount_vnd: int, bank: str, paid_at: datetime
) -> dict[str, str]:
    return {
        "MaThamChieu": reference,
        "MaGiaoDich": txn,
        "SoTien": str(amount_vnd),
        "MaNganHang": bank,
        "ThoiGianGD": format_time(paid_at),
    }


def statement_answer(
    *, partner: str, secret: str, day: date, items: Sequence[dict[str, str]]
) -> dict[str, Any]:
    message = {
        "LoaiBanTin": STATEMENT,
        "MaLoi": OK,
        "MoTaLoi": DESCRIPTIONS[OK],
        "MaDoiTac": partner,
        "Ngay": format_day(day),
        "SoGiaoDich": str(len(items)),
        "TongTien": str(sum(int(item["SoTien"]) for item in items)),
        LIST: list(items),
    }
    return sign(message, STATEMENT_ANSWER_ORDER, secret)


def error_answer(
    kind: str, code: str, *, partner: str, reference: str = "", secret: str = ""
) -> dict[str, Any]:
    """An error answer to a `kind` message; signed when the partner's secret is known
    (an unknown partner's is not)."""
    message: dict[str, Any] = {
        "LoaiBanTin": kind,
        "MaLoi": code,
        "MoTaLoi": DESCRIPTIONS.get(code, DESCRIPTIONS[OTHER]),
        "MaDoiTac": partner,
        "MaThamChieu": reference,
    }
    order = ANSWER_ORDERS.get(kind)
    if secret and order:
        return sign(message, order, secret)
    message[CHECKSUM] = ""
    return message


def callback_answer(code: str, *, partner: str) -> dict[str, str]:
    """Our answer to the platform's callback: "00" taken, anything else call again."""
    return {
        "MaLoi": code,
        "MoTaLoi": DESCRIPTIONS.get(code, DESCRIPTIONS[OTHER]),
        "MaDoiTac": partner,
    }
