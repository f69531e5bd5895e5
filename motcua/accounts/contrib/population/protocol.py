"""The wire format of the population data-sharing service, shared by the client and the
simulator (no Django here, so the simulator runs on its own).

What it is based on. The national population database (Cơ sở dữ liệu quốc gia về dân
cư, run by the Ministry of Public Security) shares a citizen's record with ministries
and provinces as integration service "037" (TraCuuThongTinCongDan), reached through the
national data-sharing platform (NDXP) or a province's LGSP. The public traces of it
(provincial one-stop systems that call it) show a SOAP request `TraCuuThongTinCongDan`
{MaYeuCau, MaDVC, MaTichHop "037", MaCanBo, MaDonVi, TaiKhoan, SoDinhDanh, HoVaTen,
NgayThangNamSinh} and an answer `CongdanCollection/CongDan` in namespace
http://www.mic.gov.vn/dancu/1.0 with SoDinhDanh, SoCMND, HoVaTen{Ho, ChuDem, Ten} (often
the whole name in capitals in Ten), GioiTinh ("1", "2"), DanToc (a two-digit code, "01"
Kinh), TonGiao, NgayThangNamSinh{Nam, NgayThangNam yyyymmdd}, QuocTich, QueQuan,
ThuongTru and NoiOHienTai {MaTinhThanh, MaQuanHuyen, MaPhuongXa, ChiTiet, QuocGia},
Cha, Me, VoChong; provincial gateways also relay it as JSON with the same names.

Our assumptions (not published; adjust here when the province's LGSP gives its
documentation): the LGSP exposes it as JSON over HTTPS behind an OAuth2
client-credentials token (POST {base}/token, then Bearer); the query is
POST {base}{QUERY_PATH} with the request names above as JSON members plus LyDo (the
purpose) and CoSuDongY (the data subject's consent, which Decree 13/2023 on personal
data asks for); the answer is {"MaYeuCau", "CongdanCollection": {"CongDan": [...]}},
an empty list when no one has that number; GioiTinh "1" male, "2" female, "0" unknown;
DanToc codes of the General Statistics Office list (Decision 121-TCTK/PPCĐ); QuocTich an
ISO 3166 code ("VN"), empty meaning Vietnamese (the database holds citizens).
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

TOKEN_PATH = "/token"
QUERY_PATH = "/dancu/v1/TraCuuThongTinCongDan"
SERVICE_CODE = "037"  # MaTichHop of the citizen-record lookup

SEX_CODES = {"nam": "1", "nu": "2"}
SEX_FROM_CODE = {"1": "nam", "2": "nu"}

# The 54 ethnic groups (GSO Decision 121-TCTK/PPCĐ), spelled as the forms write them.
ETHNIC_GROUPS: dict[str, str] = {
    "01": "Kinh", "02": "Tày", "03": "Thái", "04": "Hoa", "05": "Khmer", "06": "Mường",
    "07": "Nùng", "08": "H'Mông", "09": "Dao", "10": "Gia Rai", "11": "Ngái", "12": "Ê Đê",
    "13": "Ba Na", "14": "Xơ Đăng", "15": "Sán Chay", "16": "Cơ Ho", "17": "Chăm",
    "18": "Sán Dìu", "19": "Hrê", "20": "Mnông", "21": "Raglay", "22": "Xtiêng",
    "23": "Bru Vân Kiều", "24": "Thổ", "25": "Giáy", "26": "Cơ Tu", "27": "Giẻ Triêng",
    "28": "Mạ", "29": "Khơ Mú", "30": "Co", "31": "Tà Ôi", "32": "Chơ Ro", "33": "Kháng",
    "34": "Xinh Mun", "35": "Hà Nhì", "36": "Chu Ru", "37": "Lào", "38": "La Chí",
    "39": "La Ha", "40": "Phù Lá", "41": "La Hủ", "42": "Lự", "43": "Lô Lô", "44": "Chứt",
    "45": "Mảng", "46": "Pà Thẻn", "47": "Cờ Lao", "48": "Cống", "49": "Bố Y", "50": "Si La",
    "51": "Pu Péo", "52": "Brâu", "53": "Ơ Đu", "54": "Rơ Măm",
}
_ETHNIC_CODES = {name.casefold(): code for code, name in ETHNIC_GROUPS.items()}
_ETHNIC_CODES.update({"mông": "08", "hmông": "08", "khơ-me": "05", "khơ me": "05"})
NATIONALITIES = {"VN": "Việt Nam"}


def ethnicity_code(name: str) -> str:
    return _ETHNIC_CODES.get(name.strip().casefold(), "")


def ethnicity_name(value: Any) -> str:
    """A DanToc value as a name: codes through the GSO list, names kept as given."""
    text = str(value or "").strip()
    if text.isdigit():
        return ETHNIC_GROUPS.get(text.zfill(2), "")
    return text


def nationality_name(value: Any) -> str:
    text = str(value or "").strip()
    if not text:
        return "Việt Nam"  # the database holds Vietnamese citizens; it often leaves it out
    return NATIONALITIES.get(text.upper(), text)


def sex_value(value: Any) -> str:
    """GioiTinh ("1"/"2", or "Nam"/"Nữ") as the forms' "nam"/"nu"; "" when unknown."""
    text = unicodedata.normalize("NFC", str(value or "").strip()).casefold()
    if text in SEX_FROM_CODE:
        return SEX_FROM_CODE[text]
    return {"nam": "nam", "nữ": "nu", "nu": "nu"}.get(text, "")


def readable(text: Any) -> str:
    """One line, NFC; a value written all in capitals (as the database keeps names and
    addresses) in title case, which Vietnamese names and place names follow."""
    line = " ".join(unicodedata.normalize("NFC", str(text or "")).split())
    if line.isupper():
        line = line.title()
    return line


def full_name(value: Any) -> str:
    if isinstance(value, dict):
        parts = [value.get("Ho"), value.get("ChuDem"), value.get("Ten")]
        return readable(" ".join(str(p) for p in parts if p))
    return readable(value)


def birth_date(value: Any) -> date | None:
    """NgayThangNamSinh {NgayThangNam: yyyymmdd, Nam: yyyy}; None when only a year is known."""
    raw = value.get("NgayThangNam") if isinstance(value, dict) else value
    text = str(raw or "").strip()
    try:
        if len(text) == 8 and text.isdigit():
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        if len(text) == 10 and text[4] == "-":
            return date.fromisoformat(text)
        if len(text) == 10 and text[2] == "/":
            return date(int(text[6:]), int(text[3:5]), int(text[:2]))
    except ValueError:
        return None
    return None


def place_line(value: Any) -> str:
    """ThuongTru / NoiOHienTai as one line (its ChiTiet)."""
    if isinstance(value, dict):
        return readable(value.get("ChiTiet"))
    return readable(value)


# --- the simulator's side: a demo person as the service writes them ---------------------


def _upper_split(name: str) -> dict[str, str]:
    words = name.upper().split()
    if len(words) < 2:
        return {"Ho": "", "ChuDem": "", "Ten": " ".join(words)}
    return {"Ho": words[0], "ChuDem": " ".join(words[1:-1]), "Ten": words[-1]}


def _place(person: dict[str, Any], province: str) -> dict[str, str]:
    return {
        "MaTinhThanh": "",
        "MaQuanHuyen": "",
        "MaPhuongXa": person.get("commune_code", ""),
        "ChiTiet": ", ".join(
            part for part in (person.get("street"), person.get("commune"), province) if part
        ),
        "QuocGia": "VN",
    }


def congdan_record(
    person: dict[str, Any], *, province: str, people: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """A demo person (demo_people.json) as a CongDan record of the service."""
    born = date.fromisoformat(person["birth_date"])
    record: dict[str, Any] = {
        "SoDinhDanh": person["id_number"],
        "SoCMND": "",
        "HoVaTen": _upper_split(person["full_name"]),
        "GioiTinh": SEX_CODES.get(person.get("sex", ""), "0"),
        "DanToc": ethnicity_code(person.get("ethnicity", "")),
        "TonGiao": "00",
        "NgayThangNamSinh": {"Nam": f"{born.year}", "NgayThangNam": f"{born:%Y%m%d}"},
        "QuocTich": "VN" if person.get("nationality", "Việt Nam") == "Việt Nam" else "",
        "ThuongTru": _place(person, province),
        "NoiOHienTai": _place(person, province),
    }
    spouse = people.get(person.get("spouse", ""))
    if spouse:
        record["VoChong"] = {
            "HoVaTen": spouse["full_name"].upper(),
            "QuocTich": "VN",
            "SoDinhDanh": spouse["id_number"],
        }
    return record
