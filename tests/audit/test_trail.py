"""What lands in the audit trail, through the real pages: sign-ins and their failures with
the address and browser, sign-outs, role grants, administrators' changes with before and
after, exports, and officials opening a dossier's personal data."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache

from motcua.accounts.credentials import official_second_factor_reset
from motcua.accounts.models import Role, RoleAssignment
from motcua.accounts.services import official_roles_grant
from motcua.audit.admin import AuditedModelAdmin
from motcua.audit.models import AuditEvent
from motcua.catalog.selectors import procedure_get_current
from motcua.core.models import CalendarDay, CalendarDayKind
from motcua.demo.officials import DEMO_PASSWORD
from motcua.dossiers.services import Applicant, dossier_receive_at_counter
from tests.officials import official_login, sign_in_with_password, totp_code

LOGIN = "/mot-cua/dang-nhap/"
ADDRESS = "203.0.113.7"
BROWSER = "Mozilla/5.0 (Linux; Android 10) TestBrowser/1.0"
FROM = {"REMOTE_ADDR": ADDRESS, "HTTP_USER_AGENT": BROWSER}


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()  # rate-limit counters live there
    yield
    cache.clear()


def _new(action: str, since: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, pk__gt=since).order_by("pk"))


def _last_pk() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


# --- sign-in, failures, sign-out ----------------------------------------------------------------


def test_a_wrong_password_is_recorded_with_the_address_and_browser(client, demo):
    since = _last_pk()
    response = client.post(
        LOGIN, {"username": "batxat.tiepnhan", "password": "not-the-password"}, **FROM
    )
    assert response.status_code == 200 and not response.wsgi_request.user.is_authenticated
    [event] = _new("auth.login_failed", since)
    assert (event.actor_label, event.ip, event.user_agent) == ("batxat.tiepnhan", ADDRESS, BROWSER)
    assert event.detail == LOGIN
    assert event.data == {"username": "batxat.tiepnhan"}
    assert "not-the-password" not in str(vars(event))  # never the password (V16.2.5)
    assert not _new("auth.login", since)


def test_an_unknown_username_is_recorded_too(client, demo):
    since = _last_pk()
    client.post(LOGIN, {"username": "nobody.here", "password": "guess"}, **FROM)
    [event] = _new("auth.login_failed", since)
    assert (event.actor_label, event.actor_id, event.ip) == ("nobody.here", None, ADDRESS)


def test_the_admin_login_checks_no_password_and_sends_to_the_audited_sign_in(client, demo):
    since = _last_pk()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "admin", "password": "wrong"}, **FROM
    )
    # Not a side door: nothing is checked there, so nothing can be guessed there.
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert not response.wsgi_request.user.is_authenticated
    assert not AuditEvent.objects.filter(pk__gt=since).exists()
    response = client.post(response["Location"], {"username": "admin", "password": "wrong"}, **FROM)
    assert response.status_code == 200
    [event] = _new("auth.login_failed", since)
    assert (event.actor_label, event.ip, event.user_agent) == ("admin", ADDRESS, BROWSER)


def test_a_wrong_authenticator_code_is_recorded(client, officials):
    user = officials["batxat.tiepnhan"]
    since = _last_pk()
    response = client.post(LOGIN, {"username": user.username, "password": DEMO_PASSWORD}, **FROM)
    assert b'name="totp"' in response.content
    assert not _new("auth.login_failed", since)  # the password was right
    wrong = f"{(int(totp_code(user)) + 1) % 1_000_000:06d}"
    response = client.post(LOGIN, {"totp": wrong}, **FROM)
    assert response.status_code == 400
    [event] = _new("auth.totp_failed", since)
    assert (event.actor_label, event.ip, event.user_agent) == (user.username, ADDRESS, BROWSER)
    assert not _new("auth.login", since)


def test_a_wrong_code_when_setting_up_a_new_app_is_recorded(client, officials):
    user = officials["batxat.tiepnhan"]
    official_second_factor_reset(actor=officials["tinh.quantritinh"], target=user)
    official_login(client, user)
    client.defaults.update(FROM)
    url = "/mot-cua/xac-thuc-hai-buoc/"
    assert client.post(url, {"password": DEMO_PASSWORD}).status_code == 302
    since = _last_pk()
    response = client.post(url, {"code": "12345x"})
    assert response.status_code == 400
    [event] = _new("auth.totp_failed", since)
    assert (event.actor_label, event.ip, event.detail) == (user.username, ADDRESS, url)


def test_a_sign_in_and_a_sign_out_are_recorded(client, officials):
    user = officials["batxat.tiepnhan"]
    since = _last_pk()
    client.defaults.update(FROM)
    response = sign_in_with_password(client, user.username, DEMO_PASSWORD)
    assert response.status_code == 302
    [signed_in] = _new("auth.login", since)
    assert (signed_in.actor_id, signed_in.actor_label) == (user.pk, user.username)
    assert (signed_in.ip, signed_in.user_agent) == (ADDRESS, BROWSER)
    assert (signed_in.object_type, signed_in.object_id) == ("auth.user", str(user.pk))

    client.post("/mot-cua/dang-xuat/")
    [signed_out] = _new("auth.logout", since)
    assert (signed_out.actor_id, signed_out.ip) == (user.pk, ADDRESS)
    # Signing out with no session is nothing to record.
    client.post("/mot-cua/dang-xuat/")
    assert len(_new("auth.logout", since)) == 1


# --- roles ----------------------------------------------------------------------------------


def test_a_role_granted_by_an_administrator_is_recorded(officials, agencies):
    user, by = officials["batxat.tiepnhan"], officials["tinh.quantritinh"]
    since = _last_pk()
    assert official_roles_grant(
        user=user, agency=agencies["batxat_desk"], roles=[Role.AGENCY_ADMIN], by=by
    )
    [event] = _new("role.grant", since)
    assert event.actor_id == by.pk and event.object_type == "accounts.roleassignment"
    assert event.after["user"] == user.username and event.after["role"] == Role.AGENCY_ADMIN
    # Granting it again grants nothing and records nothing.
    official_roles_grant(user=user, agency=agencies["batxat_desk"], roles=[Role.AGENCY_ADMIN])
    assert len(_new("role.grant", since)) == 1


def test_groups_and_permissions_given_outside_the_admin_are_recorded(officials):
    user = officials["batxat.tiepnhan"]
    group = Group.objects.create(name="Kiểm tra")
    permission = Permission.objects.get(codename="change_calendarday")
    since = _last_pk()
    user.groups.add(group)
    group.permissions.add(permission)
    user.groups.remove(group)
    user.user_permissions.add(permission)
    user.user_permissions.clear()
    events = list(
        AuditEvent.objects.filter(pk__gt=since, action__startswith="role.").order_by("pk")
    )
    assert [(e.action, e.object_label) for e in events] == [
        ("role.grant", user.username),
        ("role.grant", "Kiểm tra"),
        ("role.revoke", user.username),
        ("role.grant", user.username),
        ("role.revoke", user.username),
    ]
    assert events[0].after == {"groups": [f"{group.pk}: Kiểm tra"]}
    assert events[2].before == {"groups": [f"{group.pk}: Kiểm tra"]}
    assert list(events[4].before) == ["user_permissions"]


# --- the admin ------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, demo):
    client.defaults.update(FROM)
    return official_login(client, get_user_model().objects.get(username="admin"))


def test_every_admin_page_is_audited():
    registered = {
        model._meta.label: type(model_admin) for model, model_admin in admin.site._registry.items()
    }
    assert {"core.CalendarDay", "catalog.Procedure", "workflows.Workflow"} <= set(registered)
    assert {"notifications.MessageTemplate", "auth.User", "auth.Group"} <= set(registered)
    missing = [
        label
        for label, admin_class in registered.items()
        if label != "audit.AuditEvent" and not issubclass(admin_class, AuditedModelAdmin)
    ]
    assert missing == []


def test_an_administrators_change_is_recorded_with_before_and_after(admin_client):
    day = CalendarDay.objects.create(
        date="2031-09-03", kind=CalendarDayKind.DAY_OFF, name="Nghỉ bù"
    )
    since = _last_pk()
    response = admin_client.post(
        f"/admin/core/calendarday/{day.pk}/change/",
        {"date": "2031-09-03", "kind": CalendarDayKind.WORKING_DAY, "name": "Làm bù", "note": ""},
    )
    assert response.status_code == 302, response.content[:2000]
    [event] = _new("admin.change", since)
    assert (event.actor_label, event.ip, event.user_agent) == ("admin", ADDRESS, BROWSER)
    assert (event.object_type, event.object_id) == ("core.calendarday", str(day.pk))
    assert event.before["kind"] == "day_off" and event.after["kind"] == "working_day"
    assert event.before["name"] == "Nghỉ bù" and event.after["name"] == "Làm bù"
    assert "date" not in event.before  # only what changed

    response = admin_client.post(f"/admin/core/calendarday/{day.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    [deleted] = _new("admin.delete", since)
    assert deleted.object_id == str(day.pk) and deleted.after is None
    assert deleted.before["name"] == "Làm bù" and deleted.before["date"] == "2031-09-03"


def test_a_group_made_in_the_admin_is_one_event_and_a_role_added_there_a_grant(
    admin_client, officials
):
    permission = Permission.objects.get(codename="change_calendarday")
    since = _last_pk()
    response = admin_client.post(
        "/admin/auth/group/add/", {"name": "Lịch làm việc", "permissions": [permission.pk]}
    )
    assert response.status_code == 302, response.content[:2000]
    events = list(AuditEvent.objects.filter(pk__gt=since).order_by("pk"))
    assert [e.action for e in events] == ["admin.add"]  # not also the receiver's role.grant
    assert events[0].after["name"] == "Lịch làm việc"
    assert events[0].after["permissions"] == [f"{permission.pk}: {permission}"]

    user = officials["batxat.tiepnhan"]
    since = _last_pk()
    response = admin_client.post(
        "/admin/accounts/roleassignment/add/",
        {
            "user": user.pk,
            "agency": RoleAssignment.objects.filter(user=user)[0].agency_id,
            "role": Role.AGENCY_ADMIN,
        },
    )
    assert response.status_code == 302, response.content[:2000]
    [granted] = _new("role.grant", since)
    assert granted.actor_label == "admin" and granted.after["role"] == Role.AGENCY_ADMIN


def test_secrets_never_enter_the_trail(admin_client, officials):
    user = officials["batxat.tiepnhan"]
    since = _last_pk()
    response = admin_client.post(
        f"/admin/auth/user/{user.pk}/password/",
        {"password1": "a-new-password-2031", "password2": "a-new-password-2031"},
    )
    assert response.status_code == 302, response.content[:2000]
    [event] = _new("admin.change", since)
    assert event.object_id == str(user.pk) and event.after == {"password": "••••••"}
    for event in AuditEvent.objects.filter(pk__gt=since):
        assert "a-new-password-2031" not in str(vars(event))
        assert "pbkdf2" not in str(vars(event)) and "argon2" not in str(vars(event))


# --- exports and views of personal data -----------------------------------------------------


def test_a_report_downloaded_is_recorded_with_its_filters(client, officials):
    official_login(client, officials["tinh.lanhdaotinh"])
    client.defaults.update(FROM)
    since = _last_pk()
    response = client.get("/mot-cua/bao-cao/", {"period": "2026-03", "xuat": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    [event] = _new("export", since)
    assert (event.actor_label, event.ip) == ("tinh.lanhdaotinh", ADDRESS)
    assert event.object_label.endswith(".xlsx") and event.data["file"] == event.object_label
    assert event.data["filters"] == {"period": "2026-03"}
    # Reading the page itself is no export.
    assert client.get("/mot-cua/bao-cao/", {"period": "2026-03"}).status_code == 200
    assert len(_new("export", since)) == 1


def test_the_tracking_register_printed_is_an_export(client, officials):
    official_login(client, officials["batxat.tiepnhan"])
    since = _last_pk()
    response = client.get("/mot-cua/so-theo-doi.pdf", {"thang": "2026-03"})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    [event] = _new("export", since)
    assert event.object_label == "so-theo-doi-2026-03.pdf"
    assert event.data["filters"] == {"thang": "2026-03"}


def test_an_official_opening_a_dossier_is_recorded(client, officials, agencies):
    version = procedure_get_current(code="1.001193")
    dossier = dossier_receive_at_counter(
        officer=officials["batxat.tiepnhan"],
        agency=agencies["batxat_desk"],
        procedure_version=version,
        applicant=Applicant(name="Lò Thị Mai", phone="0912345678"),
    )
    reader = officials["batxat.tiepnhan"]
    official_login(client, reader)
    client.defaults.update(FROM)
    since = _last_pk()
    assert client.get(f"/mot-cua/ho-so/{dossier.code}/").status_code == 200
    [event] = _new("dossier.view", since)
    assert (event.actor_id, event.ip, event.user_agent) == (reader.pk, ADDRESS, BROWSER)
    assert (event.object_type, event.object_id) == ("dossiers.dossier", str(dossier.pk))
    assert event.object_label == dossier.code and event.detail == "page"
    # Someone who may not see it opens nothing, and nothing is recorded as seen.
    official_login(client, officials["laocai.tiepnhan"])
    assert client.get(f"/mot-cua/ho-so/{dossier.code}/").status_code == 404
    assert len(_new("dossier.view", since)) == 1
