"""Reading the files that import commands are given, with one message per way a file
can be wrong: missing, a folder, unreadable, not UTF-8 text, binary, empty, not JSON,
nested beyond reason, or holding control characters (NUL, which PostgreSQL refuses in
text, included). The commands turn DataFileError into a CommandError: a sentence on
stderr, never a traceback (ASVS 5.0 V16.5.1), and nothing written (V2.2.1).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from motcua.core.text import CONTROL_CHARACTERS, control_character_path


class DataFileError(Exception):
    """What is wrong with a file, in a sentence that names it."""


def read_text(path: Path | str) -> str:
    """The file's text (UTF-8, a BOM dropped), refused if it is not such a text."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataFileError(_("Cannot read %(path)s: no such file") % {"path": path}) from None
    except IsADirectoryError:
        raise DataFileError(
            _("Cannot read %(path)s: it is a folder, not a file") % {"path": path}
        ) from None
    except OSError as exc:
        raise DataFileError(
            _("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror or exc}
        ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DataFileError(
            _("%(path)s is not UTF-8 text (line %(line)d); save it as UTF-8.")
            % {"path": path, "line": line}
        ) from None
    found = CONTROL_CHARACTERS.search(text)
    if found:
        line = text.count("\n", 0, found.start()) + 1
        raise DataFileError(
            _(
                "%(path)s has a control character (%(char)s) on line %(line)d: it is a "
                "binary file, or text damaged in copying; nothing was imported."
            )
            % {"path": path, "char": f"\\x{ord(found.group()):02x}", "line": line}
        )
    if not text.strip():
        raise DataFileError(_("%(path)s is empty; nothing was imported.") % {"path": path})
    return text


def read_json(path: Path | str) -> Any:
    """The file's JSON, refused if the file is not JSON text (read_text's checks, then
    JSON's own, which say where); control characters written as \\u escapes too."""
    text = read_text(path)
    try:
        data = json.loads(text)
        where = control_character_path(data)
    except json.JSONDecodeError as exc:
        raise DataFileError(
            _(
                "%(path)s is not valid JSON (line %(line)d, column %(column)d: %(error)s); "
                "nothing was imported."
            )
            % {"path": path, "line": exc.lineno, "column": exc.colno, "error": exc.msg}
        ) from None
    except RecursionError:
        raise DataFileError(
            _("%(path)s is nested too deeply to be read; nothing was imported.") % {"path": path}
        ) from None
    if where is not None:
        raise DataFileError(
            _("%(path)s: “%(where)s” has a control character (such as NUL); nothing was imported.")
            % {"path": path, "where": where}
        )
    return data
