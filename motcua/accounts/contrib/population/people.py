"""The demo residents (demo_people.json), one file for both simulators: the VNeID
simulator signs in those with "vneid": true, the population database answers for all.
No Django here."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from motcua.accounts.contrib.oidc import claims as claim

DATA = Path(__file__).with_name("demo_people.json")



@cache
def _load() -> dict[str, Any]:
    return json.loads(DATA.read_text(encoding="utf-8"))


def province_name() -> str:
    return _load()["province"]


def demo_people() -> list[dict[str, Any]]:
    """Every demo resident, as in the file (copies: callers may change them)."""
    return [dict(person) for person in _load()["people"]]


def demo_person(id_number: str) -> dict[str, Any]:
    for person in demo_people():
        if person["id_number"] == id_number:
            return person
    raise KeyError(id_number)


def vneid_default() -> dict[str, Any]:
    """The first-time mother: who the VNeID simulator signs in unless told otherwise."""
    return next(p for p in demo_people() if p.get("vneid_default"))


def vneid_people() -> list[dict[str, Any]]:
    return [p for p in demo_people() if p.get("vneid")]


def vneid_claims(person: dict[str, Any]) -> dict[str, Any]:
    """The claims VNeID (as we assume it) releases about `person`: OIDC standard claims
    where they exist (name, gender, birthdate, address, phone_number), namespaced ones
    for the rest."""
    province = province_name()
    claims: dict[str, Any] = {
        "sub": f"vneid-{person['id_number']}",
        "name": person["full_name"],
        claim.ID: person["id_number"],
        "birthdate": person["birth_date"],
        "gender": {"nam": "male", "nu": "female"}.get(person.get("sex", ""), ""),
        claim.ETHNICITY: person.get("ethnicity", ""),
        claim.NATIONALITY: person.get("nationality", ""),
        "address": {
            "formatted": ", ".join(
                part for part in (person.get("street"), person.get("commune"), province) if part
            ),
            "street_address": person.get("street", ""),
            "locality": person.get("commune", ""),
            "region": province,
            "country": "VN",
        },
        claim.COMMUNE_CODE: person.get("commune_code", ""),
    }
    if person.get("phone"):
        claims["phone_number"] = "+84" + person["phone"].lstrip("0")
        claims["phone_number_verified"] = True
    return claims
