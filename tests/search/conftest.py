"""A small catalog full of procedures that look alike, for search tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from motcua.catalog import search
from motcua.catalog.models import Procedure, ProcedureVersion, Sector
from motcua.catalog.services import catalog_revision_bump

# (code, name, field, levels, online level)
CATALOG: list[tuple[str, str, str, list[str], str]] = [
    ("1.001193", "Đăng ký khai sinh", "Hộ tịch", ["commune"], "full"),
    ("1.004884", "Đăng ký lại khai sinh", "Hộ tịch", ["commune"], "partial"),
    ("1.001695", "Đăng ký khai sinh có yếu tố nước ngoài", "Hộ tịch", ["commune"], "partial"),
    ("1.000689", "Đăng ký khai sinh kết hợp nhận cha, mẹ, con", "Hộ tịch", ["commune"], "partial"),
    (
        "2.000635",
        "Cấp bản sao Trích lục hộ tịch, bản sao Giấy khai sinh",
        "Hộ tịch",
        ["province", "commune"],
        "full",
    ),
    ("1.000656", "Đăng ký khai tử", "Hộ tịch", ["commune"], "full"),
    ("1.000894", "Đăng ký kết hôn", "Hộ tịch", ["commune"], "partial"),
    ("1.004222", "Đăng ký thường trú", "Đăng ký, quản lý cư trú", ["commune"], "full"),
    ("1.004194", "Đăng ký tạm trú", "Đăng ký, quản lý cư trú", ["commune"], "full"),
    ("1.003677", "Khai báo tạm vắng", "Đăng ký, quản lý cư trú", ["commune"], "full"),
    ("2.000908", "Cấp bản sao từ sổ gốc", "Chứng thực", ["province", "commune"], "full"),
    (
        "2.000884",
        "Chứng thực chữ ký trong các giấy tờ, văn bản",
        "Chứng thực",
        ["commune"],
        "offline",
    ),
    (
        "1.013225",
        "Cấp giấy phép xây dựng mới đối với công trình cấp III, cấp IV",
        "Hoạt động xây dựng",
        ["commune"],
        "partial",
    ),
    (
        "1.003867",
        "Cấp giấy phép hoạt động của công trình thuỷ lợi",
        "Thủy lợi",
        ["province"],
        "partial",
    ),
    ("2.000930", "Công nhận hòa giải viên", "Phổ biến, giáo dục pháp luật", ["commune"], "full"),
    ("1.002185", "Công bố sản phẩm mỹ phẩm", "Dược phẩm", ["province"], "full"),
    ("2.001194", "Cấp lại thẻ căn cước", "Căn cước", ["central", "province"], "unknown"),
    (
        "1.009454",
        "Công bố hoạt động bến thủy nội địa",
        "Hàng hải và đường thủy",
        ["commune"],
        "full",
    ),
]


def add_procedure(
    code: str,
    name: str,
    field: str,
    levels: list[str] | None = None,
    online_level: str = "full",
    *,
    current: bool = True,
) -> Procedure:
    """Create a procedure with one published version; the caller bumps the revision."""
    sector, _ = Sector.objects.get_or_create(name=field)
    procedure = Procedure.objects.create(code=code)
    version = ProcedureVersion.objects.create(
        procedure=procedure,
        number=1,
        state="published" if current else "draft",
        name=name,
        sector=sector,
        levels=levels or [],
        online_level=online_level,
    )
    if current:
        procedure.current = version
        procedure.save(update_fields=["current"])
    return procedure


@pytest.fixture(autouse=True)
def _fresh_index() -> Iterator[None]:
    # Each test rolls its catalog back, so the next one may reach the same
    # revision number with other rows: never let an index outlive its test.
    search.clear_index_cache()
    yield
    search.clear_index_cache()


@pytest.fixture
def catalog(db: None) -> list[tuple[str, str, str, list[str], str]]:
    for row in CATALOG:
        add_procedure(*row)
    # A draft with no version in force must never be found.
    add_procedure("9.999999", "Đăng ký khai sinh bản nháp", "Hộ tịch", current=False)
    catalog_revision_bump()
    return CATALOG


@pytest.fixture
def add(db: None) -> Callable[..., Procedure]:
    """add(code, name, field, levels, online_level): one more procedure in force."""
    return add_procedure


@pytest.fixture
def codes() -> Callable[..., list[str]]:
    def run(query: str, limit: int = 10) -> list[str]:
        return [hit.code for hit in search.procedure_search(query=query, limit=limit).items]

    return run
