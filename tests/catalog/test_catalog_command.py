"""manage.py import_catalog: output, options and errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from motcua.catalog.models import Procedure, ProcedureVersion

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "motcua" / "catalog" / "data" / "catalog_sample.json"
DEMO = ROOT / "motcua" / "catalog" / "data" / "lao_cai_demo.json"


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_catalog", *args, stdout=out)
    return out.getvalue()


def test_import_prints_counts_and_every_problem() -> None:
    output = run(str(SAMPLE), "--valid-from", "2026-02-01")
    assert "catalog_sample.json: 42 new, 0 updated (new version), 0 unchanged" in output
    assert "  2.001159: Processing time: no duration found in “Tiếp nhận ngay" in output
    assert "  1.000466: Processing time: the text gives different times" in output
    assert "  1.000466: Fee: no amount found" in output
    assert "  2.000815: Fee: “Tại cơ quan đại diện: 10 USD/bản” is not in Vietnamese" in output
    assert output.count("\n  ") == 13  # every problem of the sample, one line each
    assert set(ProcedureVersion.objects.values_list("valid_from", flat=True)) == {
        date(2026, 2, 1)
    }

    again = run(str(SAMPLE))
    assert "0 new, 0 updated (new version), 42 unchanged" in again
    assert ProcedureVersion.objects.count() == 42


def test_demo_after_sample() -> None:
    run(str(SAMPLE))
    output = run(str(DEMO))
    assert "lao_cai_demo.json: 27 new, 10 updated (new version), 0 unchanged" in output
    assert Procedure.objects.count() == 69


@pytest.mark.parametrize(("content", "words"), [
    ("[{\"code\": \"1.001193\",", "is not valid JSON (line 1, column"),
    ("{\"code\": \"1.001193\"}", "the file must hold a list of procedures, not dict"),
    (json.dumps([{"code": "1.1193", "name": "", "field": "Hộ tịch"}]),
     "entry 1 (code 1.1193), field 'code': '1.1193' is not a national procedure code"),
])
def test_bad_files_raise_command_error_and_import_nothing(tmp_path, content, words) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        run(str(path))
    assert words in str(caught.value)
    assert Procedure.objects.count() == 0


def test_every_error_of_a_bad_file_is_listed(tmp_path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([
        {"code": "1.001193", "name": "Đăng ký khai sinh"},
        {"code": "1.001193", "name": "Đăng ký khai sinh", "field": "Hộ tịch", "fee": 0},
    ]), encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        run(str(path))
    message = str(caught.value)
    assert "The catalog file has 3 errors; nothing was imported:" in message
    assert "entry 1 (code 1.001193), field 'field': missing" in message
    assert "entry 2 (code 1.001193), field 'fee': must be a text or null, not int" in message
    assert "entry 2 (code 1.001193), field 'code': duplicate of entry 1" in message


def test_missing_file_and_bad_date(tmp_path) -> None:
    with pytest.raises(CommandError, match="Cannot read"):
        run(str(tmp_path / "nope.json"))
    with pytest.raises(CommandError, match="--valid-from must be a date"):
        run(str(SAMPLE), "--valid-from", "01/02/2026")
    assert Procedure.objects.count() == 0


def test_bad_file_from_the_shell_exits_non_zero_without_traceback(tmp_path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("not json", encoding="utf-8")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "motcua.test_settings"}
    done = subprocess.run(
        [sys.executable, "manage.py", "import_catalog", str(path)], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode != 0
    # The message itself is translated (vi by default); its frame is Django's.
    assert "CommandError" in done.stderr and str(path) in done.stderr
    assert "Traceback" not in done.stderr
