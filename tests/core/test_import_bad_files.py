"""No bad file makes an import command print a traceback: missing, a folder, not UTF-8,
binary, empty, bad JSON, the wrong shape or columns, NUL bytes (which PostgreSQL refuses
in text) — a CommandError naming the problem, and nothing written (ASVS 5.0 V16.5.1,
V2.2.1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from motcua.catalog.models import Procedure, SearchPhrase
from motcua.dossiers.importing import COLUMNS
from motcua.dossiers.models import Dossier
from motcua.organizations.models import AdministrativeUnit

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\x00IEND\xaeB`\x82"
)
PROCEDURE = {"code": "1.001193", "name": "Đăng ký khai sinh", "field": "Hộ tịch"}
ROW = {column: "" for column in COLUMNS}


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _file(tmp_path: Path, kind: str, suffix: str) -> Path:
    """A bad file of `kind`; `suffix` is the extension the command expects."""
    path = tmp_path / f"bad{suffix}"
    if kind == "missing":
        return tmp_path / f"khong-co{suffix}"
    if kind == "folder":
        path.mkdir()
        return path
    content = {
        "empty": b"",
        "blank": b"\n  \n",
        "binary": PNG,
        "nul": b"\x00" * 64,
        "utf16": "Đăng ký khai sinh, Hộ tịch".encode("utf-16"),
        "cp1258": b"\xd0\xe3ng k\xfd khai sinh\n",
        "truncated json": b'[{"code": "1.001193", "name": ',
        "json object": b'{"a": 1}',
        "json number": b"42",
        "json null": b"null",
        "json strings": b'["a", "b"]',
        "deep json": b"[" * 100_000 + b"]" * 100_000,
    }[kind]
    path.write_bytes(content)
    return path


BAD_KINDS = [
    "missing",
    "folder",
    "empty",
    "blank",
    "binary",
    "nul",
    "utf16",
    "cp1258",
    "truncated json",
    "json object",
    "json number",
    "json null",
    "json strings",
    "deep json",
]


def _refused(command: str, *args: str) -> str:
    with pytest.raises(CommandError) as caught:
        call_command(command, *args)
    message = str(caught.value)
    assert message.strip()
    assert "Traceback" not in message
    return message


# --- import_catalog (JSON) ------------------------------------------------------------


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_import_catalog(tmp_path: Path, kind: str) -> None:
    path = _file(tmp_path, kind, ".json")
    message = _refused("import_catalog", str(path))
    assert path.name in message
    assert not Procedure.objects.exists()


@pytest.mark.parametrize(
    "entries",
    [
        [dict(PROCEDURE, name="Đăng ký\x00 khai sinh")],
        [dict(PROCEDURE, field="Hộ\x00tịch")],
        [dict(PROCEDURE, code="1.001193\x00")],
        [dict(PROCEDURE, name=["a list"])],
        [dict(PROCEDURE, name={"an": "object"})],
        [dict(PROCEDURE, name=12)],
        [PROCEDURE, 7],
        [{"no": "fields"}],
    ],
    ids=[
        "nul name",
        "nul field",
        "nul code",
        "list name",
        "object name",
        "number name",
        "number entry",
        "no fields",
    ],
)
def test_import_catalog_bad_entries(tmp_path: Path, entries: list) -> None:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    _refused("import_catalog", str(path))
    assert not Procedure.objects.exists()


def test_import_catalog_bad_date(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps([PROCEDURE]), encoding="utf-8")
    assert "--valid-from" in _refused("import_catalog", str(path), "--valid-from", "31/01/2026")


# --- load_search_phrases (JSON) --------------------------------------------------------


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_load_search_phrases(tmp_path: Path, kind: str) -> None:
    path = _file(tmp_path, kind, ".json")
    message = _refused("load_search_phrases", str(path))
    assert path.name in message
    assert not SearchPhrase.objects.exists()


@pytest.mark.parametrize(
    "entries",
    [
        [{"phrase": "làm giấy\x00 khai sinh", "words": "khai sinh"}],
        [{"phrase": "làm giấy khai sinh", "words": "khai\x00 sinh"}],
        [{"phrase": ["a list"], "words": "khai sinh"}],
        {"phrases": "not a list"},
        [None],
    ],
    ids=["nul phrase", "nul words", "list phrase", "phrases not a list", "null entry"],
)
def test_load_search_phrases_bad_entries(tmp_path: Path, entries) -> None:
    path = tmp_path / "phrases.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    _refused("load_search_phrases", str(path))
    assert not SearchPhrase.objects.exists()


# --- import_units --history (JSON) ---------------------------------------------------------


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_import_units_history(tmp_path: Path, kind: str) -> None:
    path = _file(tmp_path, kind, ".json")
    message = _refused("import_units", "--history", str(path))
    assert "Nothing imported" in message
    assert not AdministrativeUnit.objects.filter(valid_to__isnull=False).exists()


def test_import_units_history_with_nul(tmp_path: Path) -> None:
    data = {
        "valid_to": "2025-06-30",
        "provinces": [{"code": "10", "name": "Lào\x00 Cai", "type": "province"}],
        "districts": [],
        "communes": [],
    }
    path = tmp_path / "history.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    _refused("import_units", "--history", str(path))
    assert not AdministrativeUnit.objects.filter(valid_to__isnull=False).exists()


# --- import_dossiers (CSV) -------------------------------------------------------------


@pytest.mark.parametrize(
    "kind", ["missing", "folder", "empty", "blank", "binary", "nul", "utf16", "cp1258"]
)
def test_import_dossiers(tmp_path: Path, kind: str) -> None:
    path = _file(tmp_path, kind, ".csv")
    message = _refused("import_dossiers", str(path))
    assert path.name in message
    assert not Dossier.objects.exists()


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("ma_ho_so,thu_tuc\nX,Y\n", "column missing"),
        (";".join(COLUMNS) + "\n", "semicolons"),
        (",".join(COLUMNS) + "\n" + ",".join(['"unterminated'] + [""] * 20) + "\n", "CSV"),
        (",".join(COLUMNS) + "\n" + "a,b\n", "expected 21 values"),
        (
            ",".join(COLUMNS) + "\n" + ",".join(["H37.1\x00"] + [""] * 20) + "\n",
            "control character",
        ),
        (",".join(COLUMNS) + "\n" + "x" * 200_000 + "\n", "CSV"),
    ],
    ids=["wrong columns", "semicolons", "open quote", "short row", "nul cell", "huge field"],
)
def test_import_dossiers_bad_content(tmp_path: Path, content: str, words: str) -> None:
    path = tmp_path / "dossiers.csv"
    path.write_text(content, encoding="utf-8")
    assert words in _refused("import_dossiers", str(path))
    assert not Dossier.objects.exists()


# --- as run from a shell: one message on stderr, no traceback ----------------------------


def test_the_shell_sees_a_message_not_a_traceback(tmp_path: Path) -> None:
    path = _file(tmp_path, "binary", ".json")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "MOTCUA_VAR_DIR")
    }
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    result = subprocess.run(
        [sys.executable, "manage.py", "import_catalog", str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("CommandError:") and path.name in result.stderr
