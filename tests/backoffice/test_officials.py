"""Officials, their roles, and the demo logins."""

import pytest
from django.core.exceptions import ValidationError

from motcua.accounts.models import Role, RoleAssignment
from motcua.accounts.services import official_create
from motcua.demo.officials import DEMO_PASSWORD, demo_officials_load


def test_demo_officials_load_is_idempotent(demo, agencies):
    before = RoleAssignment.objects.count()
    logins = demo_officials_load()
    assert RoleAssignment.objects.count() == before
    usernames = [username for username, _password, _what in logins]
    # 3 teams of 5, the commune police of the 2 communes (2 each), the province admin
    # and the province's leader.
    assert len(usernames) == len(set(usernames)) == 21
    assert {
        "batxat.tiepnhan",
        "laocai.pheduyet",
        "tinh.chuyenvien",
        "tinh.quantritinh",
        "tinh.lanhdaotinh",
        "batxat.congan.chuyenvien",
        "laocai.congan.pheduyet",
    } <= set(usernames)
    assert all(password == DEMO_PASSWORD for _u, password, _w in logins)
    officer = RoleAssignment.objects.get(user__username="batxat.tiepnhan")
    assert (officer.agency, officer.role) == (agencies["batxat_desk"], Role.RECEIVING_OFFICER)
    specialist = RoleAssignment.objects.get(user__username="batxat.chuyenvien")
    assert (specialist.agency, specialist.role) == (agencies["batxat_committee"], Role.SPECIALIST)
    assert RoleAssignment.objects.get(user__username="tinh.quantritinh").role == Role.PROVINCE_ADMIN


def test_official_create_keeps_the_vietnamese_name_in_order(demo, agencies):
    user = official_create(
        username="bx.moi",
        full_name=" Giàng A Páo ",
        password="mat-khau-dai-2026",
        agency=agencies["batxat_desk"],
        roles=[Role.RECEIVING_OFFICER, Role.SPECIALIST],
    )
    assert user.get_full_name() == "Giàng A Páo"
    assert user.check_password("mat-khau-dai-2026")
    assert set(user.role_assignments.values_list("role", flat=True)) == {
        Role.RECEIVING_OFFICER,
        Role.SPECIALIST,
    }


@pytest.mark.parametrize(
    ("username", "roles", "field"),
    [("batxat.tiepnhan", [Role.SPECIALIST], "username"), ("bx.khac", ["boss"], "roles")],
)
def test_official_create_refuses_taken_usernames_and_unknown_roles(
    demo, agencies, username, roles, field
):
    with pytest.raises(ValidationError) as caught:
        official_create(
            username=username,
            full_name="Ai Đó",
            password="mat-khau-dai-2026",
            agency=agencies["batxat_desk"],
            roles=roles,
        )
    assert field in caught.value.message_dict
