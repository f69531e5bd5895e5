"""Fixtures for online filing: the Lào Cai demo (units, agencies, catalog) with the
shipped form definitions, a signed-in citizen and a small real JPEG."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation
from PIL import Image

FORMS_DIR = Path(settings.BASE_DIR) / "motcua" / "catalog" / "data" / "forms"
ID_NUMBER = "010190000123"  # Lào Cai, born 1990
BIRTH = "05/03/1990"


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def citizen(demo):
    return get_user_model().objects.create_user(username="0912345678", password="x")


def english_client() -> Client:
    """A browser asking for English, so assertions read the gettext msgids."""
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def client_in(citizen) -> Client:
    client = english_client()
    client.force_login(citizen)
    return client


@pytest.fixture
def commune_code(demo) -> str:
    from motcua.organizations.selectors import unit_list_communes

    return unit_list_communes(province_code=settings.MOTCUA_PROVINCE_CODE).first().code


def jpeg_bytes(size: tuple[int, int] = (40, 30), color: str = "white") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()
