"""Reads by key with their SQL compiled once (motcua.core.reads): the same objects as the
ORM's, one statement each, and querysets it cannot hold refused when first used."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.utils import timezone

from motcua.accounts.models import CitizenProfile
from motcua.accounts.sessions import SessionStore
from motcua.core.reads import KeyRead
from motcua.organizations.models import AdministrativeUnit

pytestmark = pytest.mark.django_db

User = get_user_model()
with_profile = KeyRead(
    lambda pk: User.objects.select_related("citizen_profile__commune").filter(pk=pk)
)


def commune() -> AdministrativeUnit:
    return AdministrativeUnit.objects.create(
        code="99001", name="Xã Thử", level="commune", type="xa"
    )


def test_a_row_with_its_joined_rows_as_the_orm_gives_them(django_assert_num_queries):
    unit = commune()
    user = User.objects.create_user(username="0912000111")
    CitizenProfile.objects.create(
        user=user, phone="84912000111", full_name="Lò Thị Mai", commune=unit,
        birth_date=datetime.date(1990, 4, 12),
    )
    with django_assert_num_queries(1):
        read = with_profile.one(pk=user.pk)
        profile = read.citizen_profile
        assert profile.commune.name == "Xã Thử"
    orm = User.objects.select_related("citizen_profile__commune").get(pk=user.pk)
    for field in User._meta.concrete_fields:
        assert getattr(read, field.attname) == getattr(orm, field.attname), field.name
    assert read.date_joined.tzinfo is not None  # the driver's text became an aware datetime
    assert profile.birth_date == datetime.date(1990, 4, 12)
    assert read._state.adding is False and read._state.db == "default"
    read.first_name = "Mai"  # a row read so is saved as an update
    read.save(update_fields=["first_name"])
    assert User.objects.get(pk=user.pk).first_name == "Mai"


def test_a_missing_joined_row_is_known_missing(django_assert_num_queries):
    official = User.objects.create_user(username="official")
    with django_assert_num_queries(1):
        read = with_profile.one(pk=official.pk)
        assert not hasattr(read, "citizen_profile")  # known absent: no second query


def test_no_row_and_the_values_it_takes():
    assert with_profile.one(pk=987654) is None
    with pytest.raises(TypeError):
        with_profile.one(pk=1.5)
    with pytest.raises(KeyError):
        with_profile.one(id=1)


def test_text_keys_and_several_values():
    user = User.objects.create_user(username="0912000222", first_name="An")
    by_name = KeyRead(lambda name, pk: User.objects.filter(username=name, pk=pk))
    assert by_name.one(name="0912000222", pk=user.pk) == user
    assert by_name.one(name="0912000222", pk=user.pk + 1) is None
    # Matched by marker, not by the order Django gives the filters.
    reversed_order = KeyRead(lambda pk, name: User.objects.filter(username=name, pk=pk))
    assert reversed_order.one(pk=user.pk, name="0912000222") == user


def test_a_queryset_it_cannot_hold_is_refused_when_first_used():
    since = KeyRead(lambda pk: User.objects.filter(pk=pk, date_joined__gt=timezone.now()))
    with pytest.raises(ValueError, match="not one of the arguments"):
        since.one(pk=1)
    unused = KeyRead(lambda pk, name: User.objects.filter(pk=pk))
    with pytest.raises(ValueError, match="every argument"):
        unused.one(pk=1, name="x")


def test_the_session_row_is_read_until_it_ends():
    store = SessionStore()
    store["answer"] = 42
    store.create()
    key = store.session_key
    assert SessionStore(key).load() == {"answer": 42}
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    ended = SessionStore(key)
    assert ended.load() == {}
    assert ended.session_key is None  # a new session is started, never the old one revived
