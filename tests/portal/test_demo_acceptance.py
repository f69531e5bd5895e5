"""The issue's acceptance queries, against the catalog `make demo` loads."""

import unicodedata

import pytest

from motcua.organizations.selectors import unit_list_communes

pytestmark = pytest.mark.usefixtures("demo")


@pytest.mark.parametrize(
    "query",
    [
        "dang ky khai sinh",
        "khai sinh",
        unicodedata.normalize("NFD", "Đăng ký khai sinh"),
        "dang ki khai sinh",
        "khai xinh",
    ],
)
def test_birth_registration_is_first(client, query):
    response = client.get("/api/v1/procedures", {"q": query, "limit": 10})
    assert response.status_code == 200
    first = response.json()["items"][0]
    assert (first["code"], first["name"]) == ("1.001193", "Đăng ký khai sinh")
    assert first["url"] == "/thu-tuc/1.001193/"


def test_demo_has_lao_cai_communes_and_enough_procedures(client):
    assert unit_list_communes(province_code="15").count() == 99
    body = client.get("/api/v1/procedures", {"q": "", "limit": 50}).json()
    assert body["total"] >= 40
    fields = {item["field"] for item in body["items"]}
    assert "Chứng thực" in fields


@pytest.mark.parametrize("query", ["đất đai", "hộ kinh doanh", "lý lịch tư pháp"])
def test_demo_covers_land_household_business_and_criminal_records(client, query):
    items = client.get("/api/v1/procedures", {"q": query}).json()["items"]
    assert items, query
