"""Fixtures for the back-office tests: the Lào Cai demo, its officials, and dossiers
made through the real lifecycle services."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from django.core.cache import cache

from motcua.catalog.selectors import procedure_get_current
from motcua.dossiers.models import Dossier
from motcua.dossiers.services import (
    Applicant,
    PaperInput,
    dossier_file_online,
    dossier_receive_at_counter,
)
from tests.officials import official_login

BIRTH = "1.001193"  # Đăng ký khai sinh: commune level, decided by the commune committee
GOOD_ID = "010190012345"  # Lào Cai (010), born 1990
PHONE = "0912345678"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")  # scans uploaded by the tests


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    cache.clear()  # rate-limit counters live there
    yield
    cache.clear()


def applicant(**changes: Any) -> Applicant:
    values: dict[str, Any] = {
        "name": "Lò Thị Mai",
        "id_number": GOOD_ID,
        "birth_date": date(1990, 5, 17),
        "phone": PHONE,
        "address": "Thôn Trung Chải",
    }
    values.update(changes)
    return Applicant(**values)


@pytest.fixture
def receive(officials, agencies) -> Callable[..., Dossier]:
    """receive(team="batxat", procedure=BIRTH, **applicant fields) → a received dossier."""

    def make(team: str = "batxat", procedure: str = BIRTH, **changes: Any) -> Dossier:
        version = procedure_get_current(code=procedure)
        assert version is not None
        papers = [
            PaperInput(name=p.name, form="original", required_paper=p) for p in version.papers.all()
        ]
        return dossier_receive_at_counter(
            officer=officials[f"{team}.tiepnhan"],
            agency=agencies[f"{team}_desk"],
            procedure_version=version,
            applicant=applicant(**changes),
            papers=papers,
        )

    return make


@pytest.fixture
def file_online(agencies) -> Callable[..., Dossier]:
    """file_online(team="batxat") → a dossier filed online, waiting for reception."""

    def make(team: str = "batxat", procedure: str = BIRTH, **changes: Any) -> Dossier:
        version = procedure_get_current(code=procedure)
        assert version is not None
        return dossier_file_online(
            procedure_version=version,
            applicant=applicant(**changes),
            receiving_agency=agencies[f"{team}_desk"],
        )

    return make


@pytest.fixture
def login(client, demo) -> Callable[[str], Any]:
    """login("batxat.tiepnhan") signs the test client in as that demo official."""

    def sign_in(username: str) -> Any:
        from django.contrib.auth import get_user_model

        return official_login(client, get_user_model().objects.get(username=username))

    return sign_in
