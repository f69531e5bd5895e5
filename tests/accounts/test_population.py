"""The population database plugin against its local simulator over real HTTP: a lookup
by ID number finds the baby's father (details confirmed, not typed), an unknown number
is None, no consent is refused before anything is sent, a service that is down, slow or
refuses our credentials raises PopulationUnavailable, an expired token is renewed, and
every call is on record."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import date

import pytest
from django.contrib.auth import get_user_model

from motcua.accounts.contrib.population import protocol
from motcua.accounts.contrib.population.client import (
    PopulationUnavailable,
    Resident,
    population_configured,
    resident_lookup,
)
from motcua.accounts.models import CitizenProfile, LookupResult, PopulationLookup
from tests.officials import official_login

pytestmark = pytest.mark.django_db

FATHER = "010200006318"
PURPOSE = "Đăng ký khai sinh 1.001193: thông tin người cha"


@pytest.fixture
def mother():
    user = get_user_model().objects.create_user(username="citizen_lan")
    CitizenProfile.objects.create(user=user, phone="84978301245", full_name="Hoàng Thị Lan")
    return user


def lookup(requester, id_number: str = FATHER, consent: bool = True):
    return resident_lookup(id_number=id_number, requester=requester, purpose=PURPOSE,
                           consent=consent)


def test_finds_the_father_with_the_mothers_consent(population, mother):
    assert population_configured()
    found = lookup(mother)
    assert found == Resident(
        id_number=FATHER,
        full_name="Nông Văn Hải",  # the service writes names in capitals
        birth_date=date(2000, 9, 3),
        sex="nam",
        ethnicity="Tày",
        nationality="Việt Nam",
        residence="Thôn Bản Vược, Xã Bát Xát, Tỉnh Lào Cai",
    )
    [sent] = population.queries
    assert sent["SoDinhDanh"] == FATHER and sent["CoSuDongY"] is True
    assert sent["MaTichHop"] == "037" and sent["LyDo"] == PURPOSE
    assert sent["TaiKhoan"] == "citizen_lan"  # the account, not the person's name
    row = PopulationLookup.objects.get()
    assert (row.requester, row.id_number, row.purpose, row.consent, row.result) == (
        mother, FATHER, PURPOSE, True, LookupResult.FOUND
    )
    assert row.requester_label == "citizen_lan (Hoàng Thị Lan)"
    assert row.finished_at >= row.created_at


def test_no_such_person_is_none(population, mother):
    assert lookup(mother, "010190000001") is None
    assert population.queries[0]["SoDinhDanh"] == "010190000001"
    # Not a personal identification number at all: nothing is sent.
    assert lookup(mother, "12345") is None
    assert len(population.queries) == 1
    assert list(PopulationLookup.objects.order_by("pk").values_list("id_number", "result")) == [
        ("010190000001", LookupResult.NOT_FOUND),
        ("12345", LookupResult.NOT_FOUND),
    ]


def test_without_consent_nothing_is_sent(population, mother):
    with pytest.raises(ValueError):
        lookup(mother, consent=False)
    assert population.queries == []
    row = PopulationLookup.objects.get()
    assert (row.consent, row.result, row.id_number) == (False, LookupResult.REFUSED, FATHER)


def test_service_down_is_unavailable(population, mother):
    population.fail = True
    with pytest.raises(PopulationUnavailable) as caught:
        lookup(mother)
    assert "503" in caught.value.reason
    row = PopulationLookup.objects.get()
    assert row.result == LookupResult.ERROR and "503" in row.detail


def test_slow_service_times_out(population, mother, settings):
    settings.POPULATION_TIMEOUT = 0.3
    population.delay = 1.0
    with pytest.raises(PopulationUnavailable):
        lookup(mother)
    assert PopulationLookup.objects.get().result == LookupResult.ERROR


def test_not_configured(mother, settings):
    settings.POPULATION_API_URL = ""
    assert not population_configured()
    with pytest.raises(PopulationUnavailable):
        lookup(mother)
    row = PopulationLookup.objects.get()
    assert row.result == LookupResult.ERROR and row.detail == "not configured"


def test_wrong_client_secret_is_unavailable(population, mother, settings):
    settings.POPULATION_CLIENT_SECRET = "not-the-secret"
    with pytest.raises(PopulationUnavailable) as caught:
        lookup(mother)
    assert "client credentials" in caught.value.reason
    assert population.queries == []


def test_an_expired_token_is_renewed_once(population, mother):
    assert lookup(mother) is not None
    population.revoke_tokens()  # the cached token is now refused with 401
    assert lookup(mother).full_name == "Nông Văn Hải"
    assert len(population.queries) == 2
    assert PopulationLookup.objects.filter(result=LookupResult.FOUND).count() == 2


def test_the_service_refuses_bad_tokens_and_queries_without_consent(population):
    def query(token: str, body: dict) -> int:
        request = urllib.request.Request(
            population.url + protocol.QUERY_PATH,
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    body = {"SoDinhDanh": FATHER, "CoSuDongY": True}
    assert query("forged-token", body) == 401
    assert query("", body) == 401
    status, answer = population.token({"grant_type": "client_credentials",
                                       "client_id": population.client_id,
                                       "client_secret": population.client_secret}, "")
    assert status == 200
    assert query(answer["access_token"], body) == 200
    assert query(answer["access_token"], {"SoDinhDanh": FATHER}) == 403


def test_every_call_is_on_record(population, mother):
    lookup(mother)
    lookup(mother, "010190000001")
    with pytest.raises(ValueError):
        lookup(mother, consent=False)
    population.fail = True
    with pytest.raises(PopulationUnavailable):
        lookup(mother)
    # An official at the counter, or a process, named by a label.
    population.fail = False
    resident_lookup(id_number=FATHER, requester="batxat.tiepnhan", purpose=PURPOSE, consent=True)
    rows = list(PopulationLookup.objects.order_by("pk"))
    assert [r.result for r in rows] == [
        LookupResult.FOUND, LookupResult.NOT_FOUND, LookupResult.REFUSED, LookupResult.ERROR,
        LookupResult.FOUND,
    ]
    assert all(r.finished_at and r.purpose == PURPOSE for r in rows)
    assert rows[-1].requester is None and rows[-1].requester_label == "batxat.tiepnhan"


def test_records_as_the_real_service_writes_them():
    # The shape of service 037's answer as public integrations show it: the whole name
    # in capitals in Ten, codes for sex and ethnic group, nationality often left empty.
    record = {
        "SoDinhDanh": "026092008262",
        "HoVaTen": {"Ho": "", "ChuDem": "", "Ten": "ĐÀO VĂN TÀI"},
        "GioiTinh": "1",
        "DanToc": "01",
        "QuocTich": "",
        "NgayThangNamSinh": {"Nam": "1992", "NgayThangNam": "19921122"},
        "ThuongTru": {"MaPhuongXa": "09106", "ChiTiet": "XÃ LŨNG HÒA, HUYỆN VĨNH TƯỜNG"},
    }
    assert protocol.full_name(record["HoVaTen"]) == "Đào Văn Tài"
    assert protocol.sex_value(record["GioiTinh"]) == "nam"
    assert protocol.sex_value("2") == "nu" and protocol.sex_value("0") == ""
    assert protocol.ethnicity_name("01") == "Kinh" and protocol.ethnicity_name("25") == "Giáy"
    assert protocol.ethnicity_name("08") == "H'Mông" and protocol.ethnicity_name("Dao") == "Dao"
    assert protocol.nationality_name("") == "Việt Nam"
    assert protocol.birth_date(record["NgayThangNamSinh"]) == date(1992, 11, 22)
    assert protocol.birth_date({"Nam": "1992"}) is None  # only the year is known
    assert protocol.place_line(record["ThuongTru"]) == "Xã Lũng Hòa, Huyện Vĩnh Tường"


def test_an_answer_about_someone_else_is_refused():
    from motcua.accounts.contrib.population.client import _record

    answer = {"CongdanCollection": {"CongDan": [{"SoDinhDanh": "010190000001"}]}}
    with pytest.raises(PopulationUnavailable):
        _record(answer, FATHER)
    with pytest.raises(PopulationUnavailable):
        _record({"unexpected": True}, FATHER)
    assert _record({"CongdanCollection": {"CongDan": []}}, FATHER) is None


def test_the_record_is_read_only_in_the_admin(population, mother, client):
    lookup(mother)
    admin = get_user_model().objects.create_superuser(username="admin_x", password="x-Pass-9")
    official_login(client, admin)
    listing = client.get("/admin/accounts/populationlookup/")
    assert listing.status_code == 200 and FATHER in listing.content.decode()
    assert client.get("/admin/accounts/populationlookup/add/").status_code == 403
    row = PopulationLookup.objects.get()
    assert client.post(f"/admin/accounts/populationlookup/{row.pk}/delete/").status_code == 403
