"""The VietQR payload: an EMVCo merchant-presented QR code as NAPAS 247 defines it.

Layout relied on (NAPAS "Technical Specifications on NAPAS QR Switching" v1.5.2, part
IV, as summarised in the READMEs of giautm/emvqr-go and liopayvn/vietqr-php, whose
published sample strings the tests reproduce):

    00 payload format "01"     01 point of initiation "11" static / "12" dynamic
    38 merchant account: 00 GUID "A000000727"
                         01 beneficiary organisation: 00 acquirer BIN (6 digits)
                                                      01 account number (up to 19)
                         02 service code "QRIBFTTA" (transfer to an account)
    53 currency "704"   54 amount   58 country "VN"
    62 additional data: 08 purpose of transaction (up to 25 characters)
    63 CRC-16/CCITT-FALSE of everything before it, "6304" included, 4 uppercase hex

Every value is ID (2 digits), length (2 digits, 01-99), value.
"""

from __future__ import annotations

import html
import re
from decimal import Decimal
from typing import Any

import segno

GUID = "A000000727"  # NAPAS
SERVICE_TO_ACCOUNT = "QRIBFTTA"
CURRENCY_VND = "704"
COUNTRY = "VN"
DYNAMIC = "12"  # the amount is set: the payer's app does not let it be changed

PURPOSE_MAX = 25
ACCOUNT_MAX = 19
AMOUNT_MAX = 13  # EMVCo's length limit of tag 54
# "ans" in the spec: the printable ASCII characters.
_ANS = re.compile(r"[\x20-\x7e]*")
_BIN = re.compile(r"\d{6}")
_ACCOUNT = re.compile(r"[A-Za-z0-9]+")
_AMOUNT = re.compile(r"\d+(\.\d+)?")

# Templates whose value is itself a list of TLV objects.
_NESTED = {"38", "62"}
_NESTED_38 = {"01"}  # the beneficiary organisation inside 38


def _crc_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
        table.append(crc & 0xFFFF)
    return table


_TABLE = _crc_table()


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, not reflected, no final xor."""
    crc = 0xFFFF
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _TABLE[(crc >> 8) ^ byte]
    return crc


def tlv(tag: str, value: str) -> str:
    if not 1 <= len(value) <= 99:
        raise ValueError(f"Tag {tag}: value length {len(value)} is outside 1-99.")
    return f"{tag}{len(value):02d}{value}"


def build_payload(*, bank_bin: str, account: str, amount_vnd: int, purpose: str) -> str:
    """A dynamic VietQR transfer-to-account payload for `amount_vnd` with `purpose` in
    tag 62/08 (what the payer's bank puts in the transfer description)."""
    if not _BIN.fullmatch(bank_bin):
        raise ValueError(f"The bank BIN must be 6 digits, not {bank_bin!r}.")
    if not (_ACCOUNT.fullmatch(account) and len(account) <= ACCOUNT_MAX):
        raise ValueError(f"The account number must be 1-{ACCOUNT_MAX} letters or digits.")
    if isinstance(amount_vnd, bool) or not isinstance(amount_vnd, int) or amount_vnd <= 0:
        raise ValueError(f"The amount must be a positive whole number of VND: {amount_vnd!r}.")
    if len(str(amount_vnd)) > AMOUNT_MAX:
        raise ValueError(f"The amount has more than {AMOUNT_MAX} digits.")
    if not purpose or len(purpose) > PURPOSE_MAX or not _ANS.fullmatch(purpose):
        raise ValueError(
            f"The purpose must be 1-{PURPOSE_MAX} printable ASCII characters: {purpose!r}."
        )
    beneficiary = tlv("00", bank_bin) + tlv("01", account)
    merchant = tlv("00", GUID) + tlv("01", beneficiary) + tlv("02", SERVICE_TO_ACCOUNT)
    body = (
        tlv("00", "01")
        + tlv("01", DYNAMIC)
        + tlv("38", merchant)
        + tlv("53", CURRENCY_VND)
        + tlv("54", str(amount_vnd))
        + tlv("58", COUNTRY)
        + tlv("62", tlv("08", purpose))
        + "6304"
    )
    return body + f"{crc16_ccitt_false(body.encode('ascii')):04X}"


def _parse_tlv(data: str, where: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    at = 0
    while at < len(data):
        head = data[at : at + 4]
        if len(head) < 4 or not head.isdigit():
            raise ValueError(f"{where}: malformed ID/length {head!r} at position {at}.")
        tag, length = head[:2], int(head[2:])
        if length == 0:
            raise ValueError(f"{where}: tag {tag} has length 00.")
        value = data[at + 4 : at + 4 + length]
        if len(value) < length:
            raise ValueError(f"{where}: tag {tag} is cut short ({len(value)} of {length}).")
        if tag in fields:
            raise ValueError(f"{where}: tag {tag} appears twice.")
        fields[tag] = value
        at += 4 + length
    return fields


def decode(payload: str) -> dict[str, Any]:
    """Read a VietQR payload; raise ValueError naming what is wrong.

    Returns the readable fields (bank_bin, account, service, amount_vnd (None when the
    code has no amount), currency, country, purpose, initiation) and under "tags" every
    tag, with 38, 38/01 and 62 as nested dicts.
    """
    if not isinstance(payload, str) or not _ANS.fullmatch(payload):
        raise ValueError("The payload is not printable ASCII.")
    if len(payload) < 8 or payload[-8:-4] != "6304":
        raise ValueError("The payload does not end with a CRC (tag 63, length 04).")
    expected = f"{crc16_ccitt_false(payload[:-4].encode('ascii')):04X}"
    if payload[-4:].upper() != expected:
        raise ValueError(f"CRC mismatch: the payload says {payload[-4:]}, computed {expected}.")
    tags: dict[str, Any] = dict(_parse_tlv(payload, "payload"))
    if next(iter(tags)) != "00" or tags["00"] != "01":
        raise ValueError("The payload does not start with payload format indicator 01.")
    for tag in _NESTED & tags.keys():
        tags[tag] = _parse_tlv(tags[tag], f"tag {tag}")
    merchant = tags.get("38")
    if not merchant:
        raise ValueError("No NAPAS merchant account information (tag 38).")
    if merchant.get("00") != GUID:
        raise ValueError(f"Tag 38/00 is {merchant.get('00')!r}, not the NAPAS GUID {GUID}.")
    for tag in _NESTED_38 & merchant.keys():
        merchant[tag] = _parse_tlv(merchant[tag], f"tag 38/{tag}")
    beneficiary = merchant.get("01") or {}
    if not beneficiary.get("00") or not beneficiary.get("01"):
        raise ValueError("Tag 38/01 lacks the acquirer BIN (00) or the account (01).")
    amount_vnd = None
    if "54" in tags:
        if not _AMOUNT.fullmatch(tags["54"]):
            raise ValueError(f"The amount (tag 54) is not a number: {tags['54']!r}.")
        amount = Decimal(tags["54"])
        if amount != amount.to_integral_value():
            raise ValueError(f"The amount (tag 54) is not whole dong: {tags['54']!r}.")
        amount_vnd = int(amount)
    additional = tags.get("62") or {}
    return {
        "initiation": tags.get("01", ""),
        "bank_bin": beneficiary["00"],
        "account": beneficiary["01"],
        "service": merchant.get("02", ""),
        "currency": tags.get("53", ""),
        "amount_vnd": amount_vnd,
        "country": tags.get("58", ""),
        "purpose": additional.get("08", ""),
        "tags": tags,
    }


TARGET_WIDTH_PX = 240  # fits a 360-px phone screen with margins; scans from print too
BORDER = 4  # the quiet zone the QR standard asks for, in modules


def qr_svg(payload: str, *, title: str = "VietQR") -> str:
    """The payload as an inline SVG element (no XML declaration), about 240 px wide."""
    code = segno.make(payload, error="m", micro=False)
    modules = code.symbol_size(scale=1, border=BORDER)[0]
    # A whole number of pixels per module keeps the edges sharp on screen and in print.
    scale = max(1, round(TARGET_WIDTH_PX / modules))
    svg = code.svg_inline(scale=scale, border=BORDER, title=title, svgclass="vietqr")
    label = html.escape(title, quote=True)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)
