"""Rows saved together (motcua.core.writes): one statement on PostgreSQL, one save per
row elsewhere; the same rows, keys, links and signals either way."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
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
