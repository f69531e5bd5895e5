"""Fill in the successors of the former Lào Cai and Yên Bái communes from VietMap's mapping.

    .venv/bin/python -m motcua.organizations.data.build_successions [--csv PATH]
        [--json PATH] [--output PATH] [--allow-unmatched]

Reads `units_2025_lao_cai.csv` (VietMap's old-to-new mapping, names only) and
`pre_2025_units.json` (the former units with their official codes), both from this
folder by default, and rewrites the JSON so that every former commune names exactly
one successor: today's commune or ward of Lào Cai (province 15) with that name, its
code taken from the `vietnam-provinces` package.

Matching is by name only and exact after normalising (Unicode NFC, case-folded, runs of
spaces collapsed): a CSV row's district to a district of the JSON within the row's
former province, its old unit to a former commune of that district, its new unit to
one of today's units of the province. Nothing is guessed: a name that matches nothing,
or two units, is reported. Names that really are spelt differently in the two sources
are listed one by one in OLD_UNIT_ALIASES below.

An existing successor entry that agrees with the CSV is kept as it is (with its own,
hand-written source); one that disagrees is replaced and the disagreement printed.
If anything is unmatched the script prints it, writes nothing and exits with 1, unless
`--allow-unmatched` is given (then the units it could not match keep the successors
they had). Standalone: needs the `vietnam-provinces` package, not Django.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from motcua.core.text import fold

HERE = Path(__file__).resolve().parent
DEFAULT_CSV = HERE / "units_2025_lao_cai.csv"
DEFAULT_JSON = HERE / "pre_2025_units.json"
CURRENT_PROVINCE = 15  # today's Tỉnh Lào Cai
CSV_COLUMNS = ("old_province", "old_district", "old_unit", "new_province", "new_unit")
SOURCE_LABEL = "VietMap admin_mapping_old_to_new_10_25 (October 2025)"
HEADER_NOTE = (
    "; đơn vị kế thừa cấp xã: VietMap admin_mapping_old_to_new_10_25 (tháng 10/2025), "
    "Administrative data provided by VietMap"
)

# Former communes whose name in VietMap's CSV is spelt differently from the official
# name in pre_2025_units.json (vietnam-provinces 0.6.0). Keyed by (district code, CSV
# old_unit), the value is the JSON name. Each case was checked by hand against the
# district's list; nothing else is ever matched loosely.
OLD_UNIT_ALIASES: dict[tuple[str, str], str] = {
    # Tone mark placement: the CSV writes the new style (hòa, thủy), the official list
    # the old style (hoà, thuỷ). Same syllable, different code points even after NFC.
    ("080", "Xã Vạn Hòa"): "Xã Vạn Hoà",
    ("087", "Xã Xuân Hòa"): "Xã Xuân Hoà",
    ("089", "Xã Hòa Mạc"): "Xã Hoà Mạc",
    ("089", "Xã Sơn Thủy"): "Xã Sơn Thuỷ",
    ("135", "Xã Khánh Hòa"): "Xã Khánh Hoà",
    # "Nông Trường" (state farm) is abbreviated in the official names of these
    # townships, as "N.T" in Bảo Thắng and "NT" in Văn Chấn.
    ("086", "Thị Trấn Nông Trường Phong Hải"): "Thị trấn N.T Phong Hải",
    ("140", "Thị Trấn Nông Trường Liên Sơn"): "Thị trấn NT Liên Sơn",
    ("140", "Thị Trấn Nông Trường Trần Phú"): "Thị trấn NT Trần Phú",
}


def norm(text: str) -> str:
    """The one comparison form: NFC, case-folded, single spaces, no outer spaces."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


@dataclass
class Result:
    data: dict[str, Any]
    mapped: int = 0
    kept: int = 0
    replaced: int = 0
    added: int = 0
    disagreements: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def current_units(province_code: int = CURRENT_PROVINCE) -> list[tuple[str, str]]:
    """Today's communes, wards and special zones of the province: (5-digit code, name)."""
    from vietnam_provinces import Ward

    return [(f"{int(w.code):05d}", w.name) for w in Ward.iter_by_province(province_code)]


def current_province_name(province_code: int = CURRENT_PROVINCE) -> str:
    from vietnam_provinces import Province

    for province in Province.iter_all():
        if int(province.code) == province_code:
            return province.name
    raise LookupError(f"vietnam-provinces has no province {province_code}")


def read_csv(path: Path) -> list[dict[str, str]]:
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = set(CSV_COLUMNS) - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        return [
            {
                key: " ".join(unicodedata.normalize("NFC", row[key] or "").split())
                for key in CSV_COLUMNS
            }
            for row in reader
        ]


def _index(items: Iterable[tuple[Any, Any]]) -> dict[Any, list[Any]]:
    found: dict[Any, list[Any]] = defaultdict(list)
    for key, value in items:
        found[key].append(value)
    return found


def build(
    rows: Sequence[dict[str, str]],
    data: dict[str, Any],
    current: Sequence[tuple[str, str]],
    province_name: str,
) -> Result:
    """Match every row and return the updated data (a copy) with the report."""
    data = json.loads(json.dumps(data))  # leave the caller's copy alone
    result = Result(data=data)
    report = result.unmatched.append

    provinces = _index((norm(p["name"]), p["code"]) for p in data["provinces"])
    districts = _index(((d["province_code"], norm(d["name"])), d) for d in data["districts"])
    communes = _index(((c["district_code"], norm(c["name"])), c) for c in data["communes"])
    todays = _index((norm(name), code) for code, name in current)
    new_province_names = {norm(province_name), norm(f"Tỉnh {province_name}")}
    for key, found in communes.items():
        if len(found) > 1:
            codes = ", ".join(c["code"] for c in found)
            report(f"JSON: district {key[0]} has two communes named {found[0]['name']!r} ({codes})")
    for name, codes in todays.items():
        if len(codes) > 1:
            report(f"vietnam-provinces: two current units named {name!r} ({', '.join(codes)})")

    aliases = {
        (code, norm(name)): norm(target) for (code, name), target in OLD_UNIT_ALIASES.items()
    }
    used_aliases: set[tuple[str, str]] = set()
    named: dict[str, int] = {}  # former commune code -> the CSV line naming it
    assigned: dict[str, tuple[str, dict[str, str]]] = {}  # former code -> (new code, row)

    for line, row in enumerate(rows, start=2):  # line 1 is the header
        where = f"CSV line {line} ({row['old_unit']}, {row['old_district']}, {row['old_province']})"
        province_codes = provinces.get(norm(row["old_province"]), [])
        if len(province_codes) != 1:
            report(f"{where}: {len(province_codes)} former provinces named {row['old_province']!r}")
            continue
        found_districts = districts.get((province_codes[0], norm(row["old_district"])), [])
        if len(found_districts) != 1:
            report(
                f"{where}: {len(found_districts)} former districts named "
                f"{row['old_district']!r} in province {province_codes[0]}"
            )
            continue
        district_code = found_districts[0]["code"]
        key = (district_code, norm(row["old_unit"]))
        if key in aliases:
            used_aliases.add(key)
            key = (district_code, aliases[key])
        found_communes = communes.get(key, [])
        if not found_communes:
            hints = [
                c["name"]
                for c in data["communes"]
                if c["district_code"] == district_code and fold(c["name"]) == fold(row["old_unit"])
            ]
            hint = (
                f" (same letters without marks: {', '.join(hints)}; not applied)" if hints else ""
            )
            report(
                f"{where}: no former commune named {row['old_unit']!r} in district "
                f"{district_code} {found_districts[0]['name']}{hint}"
            )
            continue
        if len(found_communes) > 1:
            continue  # reported above
        old = found_communes[0]
        if old["code"] in named:
            report(
                f"{where}: former commune {old['code']} {old['name']} is already named on "
                f"CSV line {named[old['code']]}"
            )
            continue
        named[old["code"]] = line
        if norm(row["new_province"]) not in new_province_names:
            report(f"{where}: new province {row['new_province']!r} is not today's {province_name}")
            continue
        new_codes = todays.get(norm(row["new_unit"]), [])
        if len(new_codes) != 1:
            report(
                f"{where}: {len(new_codes)} current units of {province_name} named "
                f"{row['new_unit']!r}"
            )
            continue
        assigned[old["code"]] = (new_codes[0], row)

    for key in set(aliases) - used_aliases:
        result.notes.append(f"alias not used (the CSV no longer names it): {key}")

    for commune in data["communes"]:
        if commune["code"] in named and commune["code"] not in assigned:
            continue  # its row was reported above
        if commune["code"] not in assigned:
            report(
                f"JSON: former commune {commune['code']} {commune['name']} (district "
                f"{commune['district_code']}) is named by no CSV row"
            )
            continue
        new_code, row = assigned[commune["code"]]
        result.mapped += 1
        existing = commune.get("successors", [])
        agreeing = [s for s in existing if s.get("code") == new_code]
        others = [s for s in existing if s.get("code") != new_code]
        if others:
            result.disagreements.append(
                f"{commune['code']} {commune['name']}: had "
                f"{', '.join(str(s.get('code')) for s in others)}, CSV says {new_code} "
                f"{row['new_unit']}; the CSV wins"
            )
        if agreeing:
            commune["successors"] = agreeing[:1]
            result.kept += 1
        else:
            commune["successors"] = [
                {
                    "code": new_code,
                    "source": (
                        f"{SOURCE_LABEL}: {row['old_unit']}, {row['old_district']} → "
                        f"{row['new_unit']}"
                    ),
                }
            ]
            result.replaced += int(bool(others))
            result.added += int(not others)

    if HEADER_NOTE.strip("; ") not in data.get("source", ""):
        data["source"] = data.get("source", "") + HEADER_NOTE
    return result


def dump(data: dict[str, Any]) -> str:
    # The style of the file as it was first written: one-space indent, UTF-8 as is.
    return json.dumps(data, indent=1, ensure_ascii=False)


def print_report(result: Result, out: TextIO) -> None:
    for title, lines in (
        ("Disagreements with existing successors (the CSV wins)", result.disagreements),
        ("Unmatched (nothing guessed)", result.unmatched),
        ("Notes", result.notes),
    ):
        if lines:
            print(f"{title}: {len(lines)}", file=out)
            for text in lines:
                print(f"  - {text}", file=out)
    successors = {s["code"] for c in result.data["communes"] for s in c.get("successors", [])}
    print(
        f"Mapped {result.mapped} of {len(result.data['communes'])} former communes: "
        f"{result.kept} existing entries kept, {result.added} added, {result.replaced} "
        f"replaced; {len(successors)} distinct successors; {len(result.unmatched)} unmatched; "
        f"{len(OLD_UNIT_ALIASES)} aliases in the table.",
        file=out,
    )


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV, help="old-to-new mapping CSV")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="former units JSON")
    parser.add_argument(
        "--output", type=Path, default=None, help="where to write (default: the --json file)"
    )
    parser.add_argument(
        "--allow-unmatched",
        action="store_true",
        help="write the file even if some names did not match (they keep what they had)",
    )
    args = parser.parse_args(argv)

    rows = read_csv(args.csv)
    data = json.loads(args.json.read_text(encoding="utf-8"))
    result = build(rows, data, current_units(), current_province_name())
    print_report(result, out)
    if result.unmatched and not args.allow_unmatched:
        print(
            "Nothing written: fix the names or the alias table, or pass --allow-unmatched.",
            file=out,
        )
        return 1
    output = args.output or args.json
    output.write_text(dump(result.data), encoding="utf-8")
    print(f"Wrote {output}", file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
