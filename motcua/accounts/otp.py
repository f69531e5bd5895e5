"""One-time codes: SMS sign-in codes (random, kept as keyed hashes) and officials' TOTP
(RFC 6238: 30-second steps, 6 digits, SHA-1, as every authenticator app expects).

Pure helpers, no database: the services in motcua.accounts.services use them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.utils.crypto import salted_hmac

CODE_DIGITS = 6
TOTP_INTERVAL = 30
TOTP_ISSUER = "Một cửa Lào Cai"


# --- SMS codes ------------------------------------------------------------------------------


def code_new() -> str:
    """A random 6-digit code (leading zeros kept)."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def salt_new() -> str:
    return secrets.token_hex(16)


def code_hash(code: str, salt: str) -> str:
    """HMAC-SHA256 of the code under the site's secret key and a per-code salt."""
    return salted_hmac("motcua.accounts.otp", f"{salt}:{code}", algorithm="sha256").hexdigest()


def code_matches(code: str, salt: str, hashed: str) -> bool:
    return hmac.compare_digest(code_hash(code, salt), hashed)


def code_clean(value: str) -> str:
    """What the person typed, without spaces or dashes ("123 456" → "123456")."""
    return "".join(ch for ch in (value or "") if ch.isdigit() or ch.isalpha())


# --- TOTP -----------------------------------------------------------------------------------


def _fernet() -> Fernet:
    key = hashlib.sha256(f"motcua.accounts.totp:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def secret_encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def secret_decrypt(token: str) -> str | None:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:  # SECRET_KEY changed: the official must enrol again
        return None


def totp_secret_new() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, *, account: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=CODE_DIGITS, interval=TOTP_INTERVAL).provisioning_uri(
        name=account, issuer_name=TOTP_ISSUER
    )


def totp_now(secret: str, *, at: float | None = None) -> str:
    return pyotp.TOTP(secret, digits=CODE_DIGITS, interval=TOTP_INTERVAL).at(
        time.time() if at is None else at
    )


def totp_match(secret: str, code: str, *, after_step: int, at: float | None = None) -> int | None:
    """The time step `code` belongs to (now, or one step either side for clock drift), or
    None. Steps at or before `after_step` (already used) are refused: no replay."""
    code = code_clean(code)
    if len(code) != CODE_DIGITS or not code.isdigit():
        return None
    now = time.time() if at is None else at
    current = int(now // TOTP_INTERVAL)
    totp = pyotp.TOTP(secret, digits=CODE_DIGITS, interval=TOTP_INTERVAL)
    for step in (current - 1, current, current + 1):
        if step <= after_step:
            continue
        if hmac.compare_digest(totp.at(step * TOTP_INTERVAL), code):
            return step
    return None
