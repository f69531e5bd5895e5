"""Rows saved together (motcua.core.writes): one statement on PostgreSQL, one save per
row elsewhere; the same rows, keys, links and signals either way."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models.expressions import RawSQL
from django.db.models.signals import post_save, pre_save
from django.test.utils import CaptureQueriesContext

from motcua.core.writes import Insert, Update, rows_save
from motcua.organizations.models import AdministrativeUnit, Agency

pytestmark = pytest.mark.django_db


def unit(code: str, name: str) -> AdministrativeUnit:
    return AdministrativeUnit(code=code, name=name, level="province", type="tinh")


def test_an_update_and_linked_inserts_in_one_go():
    stored = unit("15", "Tỉnh Lào Cai")
    stored.save()
    stored.name = "Tỉnh Lào Cai (mới)"
    new_unit = unit("10", "Tỉnh Yên Bái")
    agency = Agency(code="A1", name="Trung tâm", type="ttpvhcc_tinh")
    heard = []

    def before(sender, instance, update_fields, **kwargs):
        heard.append(("pre", sender.__name__, instance.pk, update_fields))

    def after(sender, instance, created, update_fields, **kwargs):
        heard.append(("post", sender.__name__, instance.pk, created, update_fields))

    pre_save.connect(before, dispatch_uid="test-writes-pre")
    post_save.connect(after, dispatch_uid="test-writes-post")
    try:
        with CaptureQueriesContext(connection) as queries:
            rows_save(
                Update(stored, ["name"]),
                Insert(new_unit),
                Insert(agency, links={"unit_id": new_unit}),
            )
    finally:
        pre_save.disconnect(dispatch_uid="test-writes-pre")
        post_save.disconnect(dispatch_uid="test-writes-post")

    assert len(queries) == (1 if connection.vendor == "postgresql" else 3)
    assert AdministrativeUnit.objects.get(pk=stored.pk).name == "Tỉnh Lào Cai (mới)"
    assert new_unit.pk and not new_unit._state.adding
    assert agency.unit_id == new_unit.pk and agency.unit is new_unit  # no query: kept
    assert Agency.objects.get(pk=agency.pk).unit.name == "Tỉnh Yên Bái"
    pres = [h for h in heard if h[0] == "pre"]
    posts = [h for h in heard if h[0] == "post"]
    assert [(h[1], h[3]) for h in pres] == [
        ("AdministrativeUnit", frozenset({"name"})),
        ("AdministrativeUnit", None),
        ("Agency", None),
    ]
    assert posts == [
        ("post", "AdministrativeUnit", stored.pk, False, frozenset({"name"})),
        ("post", "AdministrativeUnit", new_unit.pk, True, None),
        ("post", "Agency", agency.pk, True, None),
    ]


def test_updating_a_row_that_is_gone_fails_and_writes_nothing():
    gone = unit("15", "Tỉnh Lào Cai")
    gone.save()
    AdministrativeUnit.objects.filter(pk=gone.pk).delete()
    new_unit = unit("10", "Tỉnh Yên Bái")
    with pytest.raises(DatabaseError, match="did not affect any rows"):
        with transaction.atomic():
            rows_save(Insert(new_unit), Update(gone, ["name"]))
    assert not AdministrativeUnit.objects.filter(code="10").exists()


def test_a_shape_written_again_takes_the_sql_kept_and_the_same_parameters():
    from motcua.core import writes

    writes._shapes.clear()
    first = unit("11", "Tỉnh Lai Châu")
    second = unit("12", "Tỉnh Điện Biên")
    compiled = writes._insert_sql(Insert(first), "default", {id(first): "w0"})
    kept = writes._insert_sql(Insert(second), "default", {id(second): "w0"})
    assert any(sql is not None for sql in writes._shapes.values())  # the shape was kept
    assert kept[0] == compiled[0]
    assert kept[1] == tuple(p.replace("11", "12").replace("Lai Châu", "Điện Biên")
                            if isinstance(p, str) else p for p in compiled[1])
    # An update: kept per columns and per which values are NULL (SET col = NULL has none).
    first.save()
    second.save()
    writes._shapes.clear()
    first.name, second.name = "Lai Châu", "Điện Biên"
    one = writes._update_sql(Update(first, ["name"]), "default")
    two = writes._update_sql(Update(second, ["name"]), "default")
    assert one[0] == two[0] and two[1] == ("Điện Biên", second.pk)
    second.parent_id = None
    three = writes._update_sql(Update(second, ["parent"]), "default")
    assert "NULL" in three[0] and three[1] == (second.pk,)


def test_the_rows_saved_through_kept_shapes_are_the_rows_asked_for():
    from motcua.core import writes

    writes._shapes.clear()
    for n in range(3):  # the first compiles, the others take the shape kept
        stored = unit(f"2{n}", f"Tỉnh {n}")
        stored.save()
        stored.name = f"Tỉnh {n} (mới)"
        agency = Agency(code=f"B{n}", name=f"Trung tâm {n}", type="ttpvhcc_tinh")
        new_unit = unit(f"3{n}", f"Huyện {n}")
        rows_save(
            Update(stored, ["name"]), Insert(new_unit), Insert(agency, links={"unit_id": new_unit})
        )
        assert AdministrativeUnit.objects.get(pk=stored.pk).name == f"Tỉnh {n} (mới)"
        assert Agency.objects.get(pk=agency.pk).unit_id == new_unit.pk
        assert AdministrativeUnit.objects.get(pk=new_unit.pk).code == f"3{n}"


def test_a_subquery_value_is_part_of_the_shape_and_its_parameters_are_taken_in_place():
    from motcua.core import writes

    writes._shapes.clear()
    home = unit("40", "Tỉnh Hà Giang")
    home.save()
    for n in range(3):
        agency = Agency(code=f"C{n}", name=RawSQL("SELECT %s", [f"Trung tâm {n}"]),
                        type="ttpvhcc_tinh", unit=home)
        rows_save(Insert(agency))
        assert Agency.objects.get(code=f"C{n}").name == f"Trung tâm {n}"
    if connection.vendor == "postgresql":  # the chained path: the shape was kept
        assert [sql for sql in writes._shapes.values() if sql is not None]
