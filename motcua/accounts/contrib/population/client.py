"""Look a resident up in the national population database (Cơ sở dữ liệu quốc gia về dân
cư), through the data-sharing platform (NDXP, or the province's LGSP), by personal
identification number (số định danh cá nhân), with the consent of the citizen who asks.

The wire format and what it is based on, with our assumptions, are in `protocol`: an
OAuth2 client-credentials token from {POPULATION_API_URL}/token (client authentication
by HTTP Basic), then a JSON POST of the service-037 query (TraCuuThongTinCongDan:
MaYeuCau, MaTichHop, MaDVC, MaDonVi, TaiKhoan, SoDinhDanh, LyDo, CoSuDongY) with the
Bearer token; the answer's CongdanCollection.CongDan record gives HoVaTen, NgayThangNamSinh,
GioiTinh, DanToc, QuocTich and ThuongTru. The token is kept until shortly before it
expires; a 401 on the query fetches a new one once.

Settings (a Django setting of the same name wins, else the environment):
POPULATION_API_URL (base address), POPULATION_CLIENT_ID, POPULATION_CLIENT_SECRET,
optionally POPULATION_TOKEN_URL (default {POPULATION_API_URL}/token) and
POPULATION_TIMEOUT (seconds, default 5: a citizen is waiting on the page).
Lookups are offered only when the first three are set.

Every call is recorded in accounts.PopulationLookup (who asked, which ID number, why,
with consent or not, found / not found / error / refused, when): the row is written
before the service is called. Inside an outer transaction that rolls back, the row
goes with it: call this outside the caller's atomic block.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from motcua.accounts.contrib.population import protocol
from motcua.accounts.models import LookupResult, PopulationLookup
from motcua.core.conf import setting

TIMEOUT = 5.0
TOKEN_MARGIN = 30  # seconds: renew a token this long before the service would refuse it


@dataclass(frozen=True)
class Resident:
    """A resident as the population database knows them."""

    id_number: str
    full_name: str
    birth_date: date | None  # None when the database knows only the year
    sex: str  # "nam" / "nu" ("" when unknown)
    ethnicity: str
    nationality: str
    residence: str  # the permanent residence (nơi thường trú), one line


class PopulationUnavailable(Exception):
    """The service cannot answer now: not configured, timeout, 5xx, refused us, or an
    answer we cannot read. `reason` is for logs, never shown as is."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class _Config:
    url: str
    token_url: str
    client_id: str
    client_secret: str
    timeout: float


def _config() -> _Config | None:
    url = setting("POPULATION_API_URL", "").rstrip("/")
    client_id = setting("POPULATION_CLIENT_ID", "")
    secret = setting("POPULATION_CLIENT_SECRET", "")
    if not (url and client_id and secret):
        return None
    try:
        timeout = float(setting("POPULATION_TIMEOUT", str(TIMEOUT)))
    except ValueError:
        timeout = TIMEOUT
    return _Config(
        url=url,
        token_url=setting("POPULATION_TOKEN_URL", "") or url + protocol.TOKEN_PATH,
        client_id=client_id,
        client_secret=secret,
        timeout=timeout,
    )


def population_configured() -> bool:
    """Whether lookups in the population database are offered."""
    return _config() is not None


# --- HTTP ------------------------------------------------------------------------------------

_tokens: dict[tuple[str, str], tuple[str, float]] = {}
_tokens_lock = threading.Lock()


def clear_token_cache() -> None:
    with _tokens_lock:
        _tokens.clear()


class _Unauthorized(Exception):
    pass


def _post(url: str, *, data: bytes, headers: dict[str, str], timeout: float) -> Any:
    request = urllib.request.Request(url, data=data, method="POST")
    request.add_header("Accept", "application/json")
    for key, value in headers.items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        if exc.code == 401:
            raise _Unauthorized(url) from exc
        body = exc.read()[:200].decode("utf-8", "replace")
        raise PopulationUnavailable(f"{url}: HTTP {exc.code} {body}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise PopulationUnavailable(f"{url}: {exc}") from exc
    except ValueError as exc:  # not JSON, not UTF-8
        raise PopulationUnavailable(f"{url}: unreadable answer ({exc})") from exc


def _token(config: _Config, *, renew: bool = False) -> str:
    key = (config.token_url, config.client_id)
    with _tokens_lock:
        cached = _tokens.get(key)
    if cached and not renew and cached[1] > time.monotonic():
        return cached[0]
    pair = (
        f"{urllib.parse.quote(config.client_id, safe='')}:"
        f"{urllib.parse.quote(config.client_secret, safe='')}"
    )
    try:
        answer = _post(
            config.token_url,
            data=urllib.parse.urlencode({"grant_type": "client_credentials"}).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Authorization": "Basic " + base64.b64encode(pair.encode()).decode(),
            },
            timeout=config.timeout,
        )
    except _Unauthorized as exc:
        raise PopulationUnavailable("token endpoint refused our client credentials") from exc
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if not token:
        raise PopulationUnavailable("token answer has no access_token")
    try:
        lifetime = int(answer.get("expires_in") or 300)
    except (TypeError, ValueError):
        lifetime = 300
    with _tokens_lock:
        _tokens[key] = (token, time.monotonic() + max(0, lifetime - TOKEN_MARGIN))
    return token


def _query(config: _Config, body: dict[str, Any]) -> Any:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    for renew in (False, True):  # a 401: the token expired early or was revoked
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Authorization": "Bearer " + _token(config, renew=renew),
        }
        try:
            return _post(
                config.url + protocol.QUERY_PATH, data=data, headers=headers,
                timeout=config.timeout,
            )
        except _Unauthorized:
            continue
    raise PopulationUnavailable("query refused our token twice")


# --- the lookup ------------------------------------------------------------------------------


def _requester_fields(requester: Any) -> dict[str, Any]:
    if isinstance(requester, AbstractBaseUser):
        label = requester.get_username()
        profile = getattr(requester, "citizen_profile", None) if requester.pk else None
        if profile is not None and profile.full_name:
            label = f"{label} ({profile.full_name})"
        return {"requester": requester if requester.pk else None, "requester_label": label[:200]}
    return {"requester": None, "requester_label": str(requester or "")[:200]}


def _record(records: Any, id_number: str) -> dict[str, Any] | None:
    """The one CongDan record for `id_number` in an answer; None when there is none."""
    if not isinstance(records, dict) or not isinstance(records.get("CongdanCollection"), dict):
        raise PopulationUnavailable("answer has no CongdanCollection")
    found = records["CongdanCollection"].get("CongDan") or []
    if isinstance(found, dict):
        found = [found]
    if not isinstance(found, list) or not all(isinstance(r, dict) for r in found):
        raise PopulationUnavailable("CongDan is not a record")
    if not found:
        return None
    matching = [r for r in found if str(r.get("SoDinhDanh", "")).strip() == id_number]
    if len(matching) != 1:  # someone else's record must never fill a form
        raise PopulationUnavailable("answer is not about the number asked")
    return matching[0]


def _resident(record: dict[str, Any], id_number: str) -> Resident:
    name = protocol.full_name(record.get("HoVaTen"))
    if not name:
        raise PopulationUnavailable("record has no name")
    return Resident(
        id_number=id_number,
        full_name=name,
        birth_date=protocol.birth_date(record.get("NgayThangNamSinh")),
        sex=protocol.sex_value(record.get("GioiTinh")),
        ethnicity=protocol.ethnicity_name(record.get("DanToc")),
        nationality=protocol.nationality_name(record.get("QuocTich")),
        residence=protocol.place_line(record.get("ThuongTru") or record.get("NoiOHienTai")),
    )


def _finish(row: PopulationLookup, result: str, detail: str = "") -> None:
    PopulationLookup.objects.filter(pk=row.pk).update(
        result=result, detail=detail[:300], finished_at=timezone.now()
    )


def resident_lookup(
    *, id_number: str, requester: Any, purpose: str, consent: bool
) -> Resident | None:
    """The resident with personal identification number `id_number`, or None when the
    database has no one with it. `requester`: who asks (a user, or a label); `purpose`:
    why, in words an auditor reads (e.g. "Đăng ký khai sinh: thông tin người cha").

    Raises ValueError without `consent` (nothing is sent), PopulationUnavailable when the
    service is not configured or cannot answer. Every call is recorded (PopulationLookup).
    """
    number = "".join(str(id_number or "").split())
    row = PopulationLookup.objects.create(
        **_requester_fields(requester),
        id_number=number[:20],
        purpose=str(purpose or "")[:300],
        consent=bool(consent),
    )
    if not consent:
        _finish(row, LookupResult.REFUSED, "no consent")
        raise ValueError("A population lookup needs the consent of the citizen who asks.")
    config = _config()
    if config is None:
        _finish(row, LookupResult.ERROR, "not configured")
        raise PopulationUnavailable("POPULATION_API_URL / CLIENT_ID / CLIENT_SECRET not set")
    if not (len(number) == 12 and number.isdigit()):
        _finish(row, LookupResult.NOT_FOUND, "not a 12-digit number: not sent")
        return None
    query = {
        "MaYeuCau": uuid.uuid4().hex,
        "MaTichHop": protocol.SERVICE_CODE,
        "MaDVC": config.client_id,
        "MaDonVi": str(getattr(settings, "MOTCUA_PROVINCE_CODE", "")),
        # The account that asks, not their name: the service needs no more about them.
        "TaiKhoan": (
            requester.get_username()
            if isinstance(requester, AbstractBaseUser)
            else row.requester_label
        ),
        "SoDinhDanh": number,
        "LyDo": row.purpose,
        "CoSuDongY": True,
    }
    try:
        record = _record(_query(config, query), number)
        resident = _resident(record, number) if record is not None else None
    except PopulationUnavailable as exc:
        _finish(row, LookupResult.ERROR, exc.reason)
        raise
    if resident is None:
        _finish(row, LookupResult.NOT_FOUND)
        return None
    _finish(row, LookupResult.FOUND)
    return resident
