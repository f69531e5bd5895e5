"""The environment of a motcua process that runs on its own SQLite file under `workdir`,
whatever the caller's environment points at (the restart test, bench/portal.py)."""

from __future__ import annotations

import gzip
import http.client
import json
import os
import re
import sqlite3
import uuid
import zlib
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

# Settings motcua reads from the environment; none of the caller's may leak in.
_INHERITED_PREFIXES = ("DATABASE_", "NOTIFY_", "MOTCUA_", "HUEY_", "REDIS_", "DJANGO_")
_INHERITED_NAMES = {"SECRET_KEY", "MEDIA_ROOT", "STATICFILES_STORAGE", "DEBUG", "ALLOWED_HOSTS"}


def sandbox_env(workdir: Path, **extra: str) -> dict[str, str]:
    """os.environ without motcua's settings, then a development site whose database,
    Huey queue, media and static files live in `workdir`, with no worker (sign-in codes
    stay in the outbox), plus `extra`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(_INHERITED_PREFIXES) and name not in _INHERITED_NAMES
    }
    env.update(
        DJANGO_SETTINGS_MODULE="motcua.settings",
        MOTCUA_ENV="development",
        MOTCUA_VAR_DIR=str(workdir),
        DATABASE_URL=f"sqlite:///{workdir / 'motcua.sqlite3'}",
        HUEY_IMMEDIATE="0",
        **extra,
    )
    return env


def outbox_sign_in_code(workdir: Path, phone: str) -> str:
    """The one-time code of the latest sign-in SMS to `phone` (0xxxxxxxxx), read from the
    outbox of the sandbox's database (no worker runs, so it stays there undelivered)."""
    with sqlite3.connect(workdir / "motcua.sqlite3") as db:
        row = db.execute(
            "SELECT context FROM notifications_notification WHERE template = 'otp' "
            "AND recipient_phone = ? ORDER BY id DESC LIMIT 1",
            ("84" + phone.lstrip("0"),),
        ).fetchone()
    if row is None:
        raise LookupError(f"no sign-in code for {phone} in the outbox")
    return json.loads(row[0])["code"]


# --- a small browser over real HTTP ---------------------------------------------------------


@dataclass
class Fetched:
    status: int
    headers: http.client.HTTPMessage
    body: bytes  # as transferred (still compressed)
    wire: int  # status line + headers + body

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")

    @property
    def text(self) -> str:
        encoding = self.headers.get("Content-Encoding", "")
        data = self.body
        if encoding == "gzip":
            data = gzip.decompress(data)
        elif encoding == "deflate":
            data = zlib.decompress(data)
        elif encoding:
            raise RuntimeError(f"cannot decode {encoding}")
        return data.decode("utf-8", errors="replace")

    def csrf(self) -> str:
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.text)
        if not found:
            raise RuntimeError("no CSRF token on the page")
        return found.group(1)


@dataclass
class HttpBrowser:
    """Cookies, CSRF tokens, no automatic redirects: enough to walk motcua's forms over
    real HTTP and count the bytes each response takes on the wire."""

    port: int
    accept_encoding: str = "gzip"
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, body: bytes = b"", content_type: str = ""):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {
            "Host": f"127.0.0.1:{self.port}",
            "Accept-Encoding": self.accept_encoding,
            "User-Agent": "motcua-sandbox",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if content_type:
            headers["Content-Type"] = content_type
        try:
            connection.request(method, path, body=body or None, headers=headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        head = len(f"HTTP/1.1 {response.status} {response.reason}\r\n") + 2
        head += sum(len(k) + len(v) + 4 for k, v in response.getheaders())
        return Fetched(response.status, response.headers, data, head + len(data))

    def get(self, path: str) -> Fetched:
        return self.request("GET", path)

    def post(self, path: str, form: Fetched, data: dict[str, str]) -> Fetched:
        body = urlencode({"csrfmiddlewaretoken": form.csrf(), **data}).encode()
        return self.request("POST", path, body, "application/x-www-form-urlencoded")

    def upload(self, path: str, form: Fetched, name: str, content: bytes) -> Fetched:
        boundary = uuid.uuid4().hex
        fields = {"csrfmiddlewaretoken": form.csrf(), "action": "upload"}
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields.items()
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: image/jpeg\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request("POST", path, body, f"multipart/form-data; boundary={boundary}")
