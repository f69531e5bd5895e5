"""The leaders' reports (/mot-cua/bao-cao/): who reads what, the numbers of a small
world, the dossiers behind a number, the spreadsheet and the PDF, the plans.

The world, March 2026 (a month of working days): Xã Bát Xát receives dossier A on
Mon 2/3 09:00 and B, C on Tue 10/3 09:00; Phường Lào Cai receives D on Tue 10/3 09:00;
all are birth registrations (fully online procedure, no fee), taken at the counter.
The rollups are refreshed at Tue 10/3 10:00, when A is past its due moment and the
three others are within theirs: on time 3 of 4 in the province (75%), 2 of 3 in Bát
Xát (66.67%), 1 of 1 in Lào Cai. The province plan of 2026 wants 90% on time.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from motcua.accounts.models import Role, RoleAssignment
from motcua.catalog.models import Sector
from motcua.core.calendar import VN_TZ
from motcua.dossiers.models import Dossier
from motcua.organizations.models import AdministrativeUnit
from motcua.reporting.models import Plan, Target
from motcua.reporting.services import plan_save, reporting_rebuild
from tests.officials import official_login

BASE = "/mot-cua/bao-cao/"
MARCH = {"period": "2026-03"}


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN_TZ)


class Clock:
    now = at(2026, 3, 2, 9, 0)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    value = Clock()
    monkeypatch.setattr(timezone, "now", lambda: value.now)
    return value


@dataclass
class World:
    province: AdministrativeUnit
    batxat: AdministrativeUnit
    laocai: AdministrativeUnit
    late: Dossier
    batxat_dossiers: list[Dossier]
    laocai_dossiers: list[Dossier]


@pytest.fixture
def world(demo, officials, agencies, receive, clock) -> World:
    clock.now = at(2026, 3, 2, 9, 0)
    late = receive("batxat", name="Lò Văn A")
    clock.now = at(2026, 3, 10, 9, 0)
    b = receive("batxat", name="Lò Văn B")
    c = receive("batxat", name="Lò Văn C")
    d = receive("laocai", name="Lò Văn D")
    clock.now = at(2026, 3, 10, 10, 0)
    reporting_rebuild()  # the demo was loaded at the real time: read every dossier
    batxat = agencies["batxat_desk"].unit
    province = batxat.parent
    plan_save(
        name="Kế hoạch 132/KH-UBND năm 2026",
        year=2026,
        unit=province,
        targets={"on_time": Decimal("90")},
    )
    return World(
        province=province,
        batxat=batxat,
        laocai=agencies["laocai_desk"].unit,
        late=late,
        batxat_dossiers=[late, b, c],
        laocai_dossiers=[d],
    )


@pytest.fixture
def province_leader(officials) -> Any:
    """The demo's leader of the province People's Committee: reads the whole province."""
    return officials["tinh.lanhdaotinh"]


def as_user(client, user, *, english: bool = True):
    official_login(client, user)
    if english:  # msgids, and English number formats, whatever the catalog holds
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def row(html: str, ident: str) -> str:
    """The text of the table row with this id."""
    match = re.search(rf'<tr[^>]*id="{ident}"[^>]*>(.*?)</tr>', html, re.S)
    assert match, ident
    return text_of(match[1])


def links(html: str, pattern: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="([^"]+)"', html) if re.search(pattern, h)]


# --- who reads what -----------------------------------------------------------------


def test_the_province_overview_has_the_numbers_of_the_world(client, world, province_leader):
    page = as_user(client, province_leader).get(BASE, MARCH)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Tỉnh Lào Cai" in html and "Month 03/2026" in html
    assert "Numbers updated less than a minute ago." in html
    assert row(html, "ind-on_time").startswith(
        "Dossiers handled on time 1 late dossier 3 / 4 75.00%"
    )
    assert row(html, "ind-on_time").endswith("15.00 / 20")
    # Nothing to divide by: N/A, never 0% or 100%.
    assert row(html, "ind-paid_online") == "Dossiers with a fee paid online (A) 0 / 0 N/A N/A / 6"
    # Not measured: greyed, no number.
    assert "not measured" in row(html, "ind-complaints_on_time")
    assert 'class="unmeasured" id="ind-complaints_on_time"' in html
    assert "40 points are not measured" in text_of(html)
    # Units ranked on the plan's indicator, furthest behind their target first.
    text = text_of(html)
    assert text.index("Xã Bát Xát 3 66.67% target 90.00%") < text.index("Phường Lào Cai 1 100.00%")
    assert re.search(r"Slowest units: Xã Bát Xát \(66.67%, target 90.00%\)", text)
    assert links(html, rf"/don-vi/{world.batxat.code}/")
    assert links(html, rf"/don-vi/{world.laocai.code}/")
    # Plan progress, and the bar chart with its target and text alternative.
    assert "behind by 15.00 points" in text  # 90 − 75
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart"' in html
    assert 'role="img"' in html and '<title id="rank-t">' in html
    # The late dossiers are one tap away.
    late = links(html, r"chi_so=late")
    assert late and f"don_vi={world.province.code}" in late[0]
    # The navigation shows the reports to a leader.
    assert 'href="/mot-cua/bao-cao/" aria-current="page"' in html


def test_a_commune_leader_reads_their_commune_only(client, world, officials):
    leader = as_user(client, officials["batxat.lanhdao"])
    page = leader.get(BASE, MARCH)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Xã Bát Xát" in html
    assert row(html, "ind-on_time").startswith(
        "Dossiers handled on time 1 late dossier 2 / 3 66.67%"
    )
    assert "By agency" in html and "By procedure" in html
    assert leader.get(f"{BASE}don-vi/{world.batxat.code}/", MARCH).status_code == 200
    other = leader.get(f"{BASE}don-vi/{world.laocai.code}/", MARCH)
    assert other.status_code == 403
    assert "You may not read the reports of Phường Lào Cai" in other.content.decode()
    assert leader.get(f"{BASE}don-vi/{world.province.code}/", MARCH).status_code == 403
    assert leader.get(f"{BASE}don-vi/99999/").status_code == 404
    drill = leader.get(
        f"{BASE}ho-so/", {"don_vi": world.laocai.code, "chi_so": "received", **MARCH}
    )
    assert drill.status_code == 403
    # Nor the dossiers of another commune.
    assert leader.get(f"/mot-cua/ho-so/{world.laocai_dossiers[0].code}/").status_code == 404
    assert leader.get(f"/mot-cua/ho-so/{world.late.code}/").status_code == 200


def test_the_unit_page_of_a_province_leader(client, world, province_leader):
    page = as_user(client, province_leader).get(f"{BASE}don-vi/{world.batxat.code}/", MARCH)
    assert page.status_code == 200
    html = page.content.decode()
    assert row(html, "ind-on_time").startswith(
        "Dossiers handled on time 1 late dossier 2 / 3 66.67%"
    )
    assert "Month by month: Dossiers handled on time" in html
    assert 'id="trend-t"' in html
    procedure = links(html, r"/bao-cao/thu-tuc/1\.001193/")
    assert procedure and f"don_vi={world.batxat.code}" in procedure[0]


def test_officials_who_lead_nothing_get_403_and_no_link(client, world, officials):
    desk = as_user(client, officials["batxat.tiepnhan"])
    page = desk.get(BASE)
    assert page.status_code == 403
    assert "Reports are for the leaders" in page.content.decode()
    inbox = desk.get("/mot-cua/").content.decode()
    assert 'href="/mot-cua/bao-cao/"' not in inbox
    assert desk.get(f"{BASE}ho-so/").status_code == 403


# --- the dossiers behind a number ----------------------------------------------------


def test_the_drill_down_lists_exactly_the_dossiers_behind_a_number(
    client, world, province_leader, monkeypatch
):
    leader = as_user(client, province_leader)
    page = leader.get(f"{BASE}ho-so/", {"don_vi": world.province.code, "chi_so": "late", **MARCH})
    assert page.status_code == 200
    html = page.content.decode()
    assert "1 dossier" in text_of(html)
    assert links(html, r"^/mot-cua/ho-so/") == [f"/mot-cua/ho-so/{world.late.code}/"]

    received = leader.get(
        f"{BASE}ho-so/", {"don_vi": world.batxat.code, "chi_so": "received", **MARCH}
    ).content.decode()
    codes = {link.split("/")[3] for link in links(received, r"^/mot-cua/ho-so/")}
    assert codes == {d.code for d in world.batxat_dossiers}
    # One tap further: the late dossier itself, read-only (the leader acts on nothing).
    dossier = leader.get(f"/mot-cua/ho-so/{world.late.code}/")
    assert dossier.status_code == 200 and world.late.code in dossier.content.decode()
    assert "/xu-ly/" not in dossier.content.decode()  # no form posts an action
    # The numbers of the overview link here and say the same.
    overview = leader.get(BASE, MARCH).content.decode()
    (denominator,) = [
        link
        for link in links(overview, r"chi_so=handled")
        if f"don_vi={world.province.code}" in link
    ]
    listed = leader.get(denominator).content.decode()
    assert "4 dossiers" in text_of(listed)

    # 50 a page, with next and previous: here 2 a page.
    from motcua.backoffice import reports

    monkeypatch.setattr(reports, "PAGE_SIZE", 2)
    first = leader.get(
        f"{BASE}ho-so/", {"don_vi": world.province.code, "chi_so": "received", **MARCH}
    )
    html = first.content.decode()
    assert "page 1 of 2" in text_of(html)
    (following,) = [link for link in links(html, r"trang=2")]
    second = leader.get(f"{BASE}ho-so/{following}").content.decode()
    assert "page 2 of 2" in text_of(second) and links(second, r"trang=1")
    seen = links(html, r"^/mot-cua/ho-so/") + links(second, r"^/mot-cua/ho-so/")
    assert len(set(seen)) == 4


def test_a_bad_query_gets_a_message_naming_the_field(client, world, province_leader):
    leader = as_user(client, province_leader)
    bad_date = leader.get(BASE, {"from": "2026-13-01", "to": "2026-03-31"})
    assert bad_date.status_code == 400
    assert "Period: from: no such date." in text_of(bad_date.content.decode())
    backwards = leader.get(BASE, {"from": "2026-03-31", "to": "2026-03-01"})
    assert "Period: The end date is before the start date." in backwards.content.decode()
    rank = leader.get(BASE, {"rank": "bogus", **MARCH})
    assert rank.status_code == 400
    assert "Indicator: there is no indicator bogus to rank by." in rank.content.decode()
    sector = leader.get(BASE, {"linh_vuc": "x", **MARCH})
    assert "Field: there is no field x." in sector.content.decode()
    assert leader.get(BASE, {"linh_vuc": "9" * 30, **MARCH}).status_code == 400
    for period in ("0000", "9999-12", "2026-13"):
        odd = leader.get(BASE, {"period": period})
        assert odd.status_code == 400, period
        assert "Period: " in text_of(odd.content.decode())
    assert leader.get(BASE, {"from": "9999-12-31", "to": "9999-12-31"}).status_code == 400
    measure = leader.get(f"{BASE}ho-so/", {"chi_so": "nothing", **MARCH})
    assert measure.status_code == 400
    assert "Number: there is no number nothing" in measure.content.decode()
    assert leader.get(f"{BASE}thu-tuc/0.000000/").status_code == 404


def test_the_procedure_page_and_the_field_filter(client, world, province_leader):
    leader = as_user(client, province_leader)
    page = leader.get(f"{BASE}thu-tuc/1.001193/", {"don_vi": world.batxat.code, **MARCH})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Procedure 1.001193" in html
    assert row(html, "ind-on_time").startswith(
        "Dossiers handled on time 1 late dossier 2 / 3 66.67%"
    )
    late = links(html, r"chi_so=late")
    assert late and "thu_tuc=1.001193" in late[0]
    civil = Sector.objects.get(name="Hộ tịch")
    land = Sector.objects.get(name="Đất đai")
    same = leader.get(BASE, {"linh_vuc": civil.pk, **MARCH}).content.decode()
    assert row(same, "ind-on_time").startswith(
        "Dossiers handled on time 1 late dossier 3 / 4 75.00%"
    )
    other = leader.get(BASE, {"linh_vuc": land.pk, **MARCH}).content.decode()
    assert row(other, "ind-on_time") == "Dossiers handled on time 0 / 0 N/A N/A / 20"


def test_vietnamese_pages_write_numbers_the_vietnamese_way(client, world, province_leader):
    page = as_user(client, province_leader, english=False).get(BASE, MARCH)
    assert page.status_code == 200
    assert "75,00%" in text_of(page.content.decode())


# --- exports ----------------------------------------------------------------------------


def sheet_rows(content: bytes, title: str) -> list[tuple]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content))
    return [tuple(r) for r in book[title].iter_rows(values_only=True)]


def test_a_long_list_is_cut_in_the_export_and_says_so(client, world, province_leader, monkeypatch):
    from motcua.backoffice import reports

    monkeypatch.setattr(reports, "EXPORT_MAX_ROWS", 2)
    drill = as_user(client, province_leader).get(
        f"{BASE}ho-so/",
        {"don_vi": world.province.code, "chi_so": "received", "xuat": "xlsx", **MARCH},
    )
    rows = sheet_rows(drill.content, "Dossiers")
    notes = [r[0] for r in rows if r[0] and "dossiers." in str(r[0])]
    assert notes == [
        "4 dossiers. Only the 2 newest are listed: choose a shorter period for the rest."
    ]
    codes = [r[0] for r in rows if r[0] and str(r[0]).startswith("000.")]
    assert len(codes) == 2


def test_the_spreadsheet_has_the_numbers_of_the_page(client, world, province_leader):
    leader = as_user(client, province_leader)
    response = leader.get(BASE, {**MARCH, "xuat": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = sheet_rows(response.content, "Indicators")
    assert rows[0][0] == "Decision 766 index: overview"
    by_name = {r[1]: r for r in rows if r and r[1]}
    assert by_name["Dossiers handled on time"][2:7] == (3, 4, 75.0, 15.0, 20)
    assert by_name["Dossiers with a fee paid online (A)"][2:5] == (0, 0, "N/A")
    assert by_name["Dossiers with a fee paid online (A)"][5] is None  # no score, not 0
    unmeasured = by_name["Complaints handled on time"]
    assert unmeasured[2:6] == (None, None, "not measured", None)
    units = {r[1]: r for r in sheet_rows(response.content, "Units") if r and r[1]}
    assert units["Xã Bát Xát"][3:6] == (3, 66.67, 90.0)
    assert units["Phường Lào Cai"][3:6] == (1, 100.0, 90.0)

    drill = leader.get(
        f"{BASE}ho-so/",
        {"don_vi": world.batxat.code, "chi_so": "received", "xuat": "xlsx", **MARCH},
    )
    codes = {r[0] for r in sheet_rows(drill.content, "Dossiers")}
    assert {d.code for d in world.batxat_dossiers} <= codes
    assert world.laocai_dossiers[0].code not in codes


def test_the_pdf_holds_the_numbers(client, world, province_leader):
    from pypdf import PdfReader

    leader = as_user(client, province_leader)
    response = leader.get(f"{BASE}don-vi/{world.batxat.code}/", {**MARCH, "xuat": "pdf"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    assert reader.pages[0].mediabox.width == pytest.approx(595.3, abs=1)  # A4 portrait
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Xã Bát Xát" in text and "66.67%" in text and "Dossiers handled on time" in text

    drill = leader.get(
        f"{BASE}ho-so/", {"don_vi": world.province.code, "chi_so": "late", "xuat": "pdf", **MARCH}
    )
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(drill.content)).pages)
    assert world.late.code in text


# --- plans ----------------------------------------------------------------------------


def test_a_plan_with_a_bad_target_shows_the_error_and_writes_nothing(client, world, officials):
    admin = as_user(client, officials["tinh.quantritinh"])
    assert admin.get(f"{BASE}ke-hoach/").status_code == 200
    before = (Plan.objects.count(), Target.objects.count())
    form = {
        "name": "Kế hoạch 45/KH-UBND",
        "year": "2026",
        "unit": str(world.batxat.pk),
        "target_on_time": "120",
        "target_filed_online": "abc",
    }
    page = admin.post(f"{BASE}ke-hoach/moi/", form)
    assert page.status_code == 400
    text = text_of(page.content.decode())
    assert "Dossiers handled on time: Ensure this value is less than or equal to 100." in text
    assert "Dossiers filed online: Enter a number." in text
    assert (Plan.objects.count(), Target.objects.count()) == before

    empty = admin.post(f"{BASE}ke-hoach/moi/", {**form, "year": "", "target_on_time": ""})
    assert empty.status_code == 400
    assert "Year: This field is required." in text_of(empty.content.decode())

    good = {**form, "target_on_time": "95,5", "target_filed_online": ""}
    assert admin.post(f"{BASE}ke-hoach/moi/", good).status_code == 302
    assert admin.post(f"{BASE}ke-hoach/moi/", good).status_code == 302  # sent twice
    plan = Plan.objects.get(name="Kế hoạch 45/KH-UBND")
    assert plan.unit == world.batxat
    assert {t.indicator: t.value for t in plan.targets.all()} == {"on_time": Decimal("95.50")}

    edit = admin.post(f"{BASE}ke-hoach/{plan.pk}/", {**good, "target_on_time": "80"})
    assert edit.status_code == 302
    assert plan.targets.get().value == Decimal("80")
    listing = admin.get(f"{BASE}ke-hoach/").content.decode()
    assert "Kế hoạch 45/KH-UBND" in listing and "80.00%" in listing


def test_only_the_province_administrator_keeps_plans(client, world, province_leader):
    leader = as_user(client, province_leader)
    before = Plan.objects.count()
    assert leader.get(f"{BASE}ke-hoach/").status_code == 403
    assert leader.post(f"{BASE}ke-hoach/moi/", {"name": "x"}).status_code == 403
    assert Plan.objects.count() == before


def test_an_agency_leader_and_a_leader_of_two_communes(client, world, officials, agencies):
    justice = as_user(client, officials["tinh.lanhdao"]).get(BASE, MARCH)
    assert justice.status_code == 200
    assert "Sở Tư pháp" in justice.content.decode()
    assert row(justice.content.decode(), "ind-on_time").endswith("N/A N/A / 20")

    two = officials["batxat.lanhdao"]
    RoleAssignment.objects.create(user=two, agency=agencies["laocai_committee"], role=Role.LEADER)
    leader = as_user(client, two)
    first = leader.get(BASE, MARCH).content.decode()
    assert 'name="pham_vi"' in first  # a list of the units they lead
    other = leader.get(BASE, {"pham_vi": world.laocai.code, **MARCH}).content.decode()
    assert row(other, "ind-on_time").startswith("Dossiers handled on time 1 / 1 100.00%")
    assert leader.get(f"{BASE}don-vi/{world.laocai.code}/", MARCH).status_code == 200
