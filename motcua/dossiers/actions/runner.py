"""The one frame every dossier action runs in (DESIGN.md §3):

1. the input is cleaned before anything is locked (`Action.clean`);
2. one `transaction.atomic()`; the dossier row alone is locked and read
   (`SELECT … FROM dossier WHERE id = … FOR UPDATE`, no join; the same row lock every
   writer takes) and `expected_version` is compared with `lock_version`: a page that
   shows an older version gets StaleDossier, so two officers never both apply a change;
   the related rows load only when the action uses them; the role assignments of the
   actor (and of a named assignee) come back in the same statement;
3. `action_check`: the step against the merged workflow definition, the actor's role
   in the right agency, the spec's legal rules — the same check that decides which
   buttons the back office and the portal show;
4. `apply`, then the one timing rule (motcua.dossiers.timing) refreshes due and
   lateness, `lock_version += 1`, the columns the action changed are written, a
   DossierEvent is appended, the outbox row is written in the same transaction (the
   three in one statement on PostgreSQL, motcua.core.writes) and handed to the worker
   only on commit.

Who may act (a province administrator holds every role everywhere):
- DESK: a receiving officer of the receiving agency (the one-stop desk);
- APPROVER: an approver of the competent agency;
- WORKFLOW: a role the workflow action names, in the competent agency — a receiving
  officer also in the receiving agency (the desk hands the dossier over), and while
  another agency is consulted, also that agency;
- APPLICANT: the applicant (no actor, a user holding no official role, or the dossier's
  own citizen account), or a receiving officer recording it at the counter. The portal
  checks that a citizen acts on their own dossier (motcua.dossiers.citizen).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import connection, connections, router, transaction
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.accounts.models import Role, RoleAssignment
from motcua.core.writes import Insert, Update, rows_save
from motcua.dossiers import timing
from motcua.dossiers.actions import (
    ACTIONS,
    CHOSEN,
    action_label,
    definition_of,
    step_label,
)
from motcua.dossiers.actions.base import (
    Action,
    ActionNotAllowed,
    Context,
    Effect,
    Party,
    StaleDossier,
)
from motcua.dossiers.actions.workflow import WorkflowTransition
from motcua.dossiers.models import Dossier, DossierEvent
from motcua.notifications.models import Notification
from motcua.organizations.models import Agency

User = AbstractBaseUser


def dossier_lock_queryset() -> QuerySet[Dossier]:
    """The one queryset every writer locks dossier rows with (Saleor's lock_objects),
    with the five reference rows an action may read.

    `of=("self",)`: lock the dossier row only, never rows joined by select_related (and
    PostgreSQL refuses FOR UPDATE on the nullable side of an outer join).
    """
    return Dossier.objects.select_for_update(of=("self",)).select_related(*_RELATED)


def dossier_row_lock(pk: int) -> None:
    """Lock the dossier row for a writer that reads nothing of it (it only waits its
    turn): `SELECT id … FOR UPDATE`, no join. Dossier.DoesNotExist when it is gone."""
    Dossier.objects.select_for_update().values_list("pk", flat=True).get(pk=pk)


# The reference rows an action reads beside the dossier; a fresh dossier row takes the
# caller's loaded ones (workflow versions are never edited) instead of reading them again.
_RELATED = (
    "workflow",
    "procedure_version",
    "receiving_agency",
    "competent_agency",
    "consult_agency",
)


# The role rows of the acting users, read by the lock statement itself (one round trip
# fewer per action): "user:agency:role" joined by commas, NULL when there are none.
_ROLE_AGGREGATE = {"postgresql": "string_agg", "sqlite": "group_concat"}
_ROLES_COLUMN = "_motcua_roles"
# The columns as loaded under the lock: save() writes back only what the action changed.
_LOADED = "_motcua_loaded"


def _roles_sql(user_ids: Sequence[int], vendor: str) -> RawSQL | None:
    aggregate = _ROLE_AGGREGATE.get(vendor)
    if aggregate is None or not user_ids:
        return None
    qn = connection.ops.quote_name
    row = (
        f"CAST({qn('user_id')} AS TEXT) || ':' || CAST({qn('agency_id')} AS TEXT) "
        f"|| ':' || {qn('role')}"
    )
    return RawSQL(
        f"SELECT {aggregate}({row}, ',') FROM {qn(RoleAssignment._meta.db_table)} "
        f"WHERE {qn('user_id')} IN ({', '.join(['%s'] * len(user_ids))})",
        list(user_ids),
    )


def _roles_parse(value: str | None, user_ids: Sequence[int]) -> dict[int, list[tuple[int, str]]]:
    rows: dict[int, list[tuple[int, str]]] = {pk: [] for pk in user_ids}
    for item in (value or "").split(","):
        if item:
            user_id, agency_id, role = item.split(":", 2)
            rows[int(user_id)].append((int(agency_id), role))
    return rows


def _lock_queryset(db: str, user_ids: Sequence[int]) -> tuple[QuerySet[Dossier], bool]:
    queryset = Dossier.objects.db_manager(db).select_for_update()
    roles_sql = _roles_sql(user_ids, connections[db].vendor)
    if roles_sql is None:
        return queryset, False
    return queryset.annotate(**{_ROLES_COLUMN: roles_sql}), True


@dataclass(frozen=True)
class _LockStatement:
    sql: str
    with_roles: bool
    attnames: tuple[str, ...]  # the dossier's columns, in the order selected
    converted: tuple[tuple[int, Any], ...]  # (position, Col) of columns with converters


# The lock statement as the ORM writes it, compiled once per database and number of
# users, and its row turned into a Dossier as the ORM would: compiling its sixty
# columns, and the generic raw-row machinery, cost several times the round trip.
_lock_statements: dict[tuple[str, int], _LockStatement | None] = {}


def _lock_statement(db: str, users: int) -> _LockStatement | None:
    # Compiled with stand-in values, to be sure where each parameter goes; None: the
    # compiled shape is not the expected one, the ORM runs the query each time.
    stand_in = [-1 - n for n in range(users)]
    queryset, with_roles = _lock_queryset(db, stand_in)
    compiler = queryset.filter(pk=0).query.get_compiler(db)
    sql, params = compiler.as_sql()
    positions = compiler.klass_info["select_fields"] if compiler.klass_info else []
    if list(params) != [*(stand_in if with_roles else []), 0] or positions != list(
        range(len(Dossier._meta.concrete_fields))
    ):
        return None
    if with_roles and compiler.annotation_col_map != {_ROLES_COLUMN: len(positions)}:
        return None
    columns = [compiler.select[n][0] for n in positions]
    connection = connections[db]
    return _LockStatement(
        sql=sql,
        with_roles=with_roles,
        attnames=tuple(col.target.attname for col in columns),
        converted=tuple(
            (n, col)
            for n, col in enumerate(columns)
            if connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        ),
    )


def _lock_read(pk: int, user_ids: Sequence[int]) -> tuple[Dossier, bool]:
    db = router.db_for_write(Dossier)
    key = (db, len(user_ids))
    if key not in _lock_statements:
        _lock_statements[key] = _lock_statement(db, len(user_ids))
    statement = _lock_statements[key]
    if statement is None:
        queryset, with_roles = _lock_queryset(db, user_ids)
        return queryset.get(pk=pk), with_roles
    connection = connections[db]
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, [*(user_ids if statement.with_roles else []), pk])
        row = cursor.fetchone()
    if row is None:
        raise Dossier.DoesNotExist("Dossier matching query does not exist.")
    values = list(row)
    for n, col in statement.converted:  # this thread's connection, as the ORM does
        for convert in connection.ops.get_db_converters(col) + col.get_db_converters(connection):
            values[n] = convert(values[n], col, connection)
    locked = Dossier.from_db(db, statement.attnames, values[: len(statement.attnames)])
    if statement.with_roles:
        setattr(locked, _ROLES_COLUMN, values[len(statement.attnames)])
    return locked, statement.with_roles


def _roles_read(user_id: int) -> list[tuple[int, str]]:
    """A user's role rows, with the text the lock embeds (no ORM compilation: it cost
    more than the round trip)."""
    db = router.db_for_read(RoleAssignment)
    roles_sql = _roles_sql([user_id], connections[db].vendor)
    if roles_sql is None:
        found = RoleAssignment.objects.using(db).filter(user_id=user_id)
        return list(found.values_list("agency_id", "role"))
    with connections[db].cursor() as cursor:
        cursor.execute(roles_sql.sql, roles_sql.params)
        (value,) = cursor.fetchone()
    return _roles_parse(value, [user_id])[user_id]


def dossier_lock(
    dossier: Dossier, expected_version: int, users: Sequence[Any] = ()
) -> tuple[Dossier, dict[int, Roles]]:
    """Lock and read the dossier row alone (`SELECT … FROM dossier WHERE id = … FOR
    UPDATE`, no join: the related rows load only if the action uses them), then compare
    the version. One round trip: a narrower lock followed by a second read of the row
    cost one more statement per action for the same lock. The same statement reads the
    role assignments of `users` (a scalar subquery, locking nothing); returns the
    locked row and those users' roles by user id."""
    user_ids = list(dict.fromkeys(u.pk for u in users if actor_or_none(u) is not None))
    locked, with_roles = _lock_read(dossier.pk, user_ids)
    if locked.lock_version != expected_version:
        raise StaleDossier(
            _(
                "Someone else changed this dossier in the meantime (version %(current)d, your "
                "page shows version %(expected)d). Reload it and check before trying again."
            )
            % {"current": locked.lock_version, "expected": expected_version}
        )
    # The row is read under the lock (some writers, ratings and payments, change columns
    # without a new version); the reference rows the caller loaded are kept.
    for name in _RELATED:
        field = Dossier._meta.get_field(name)
        if field.is_cached(dossier) and getattr(locked, field.attname) == getattr(
            dossier, field.attname
        ):
            field.set_cached_value(locked, field.get_cached_value(dossier))
    state = locked.__dict__
    roles = {}
    if with_roles:
        rows = _roles_parse(state.pop(_ROLES_COLUMN), user_ids)
        roles = {pk: Roles(pk, rows[pk]) for pk in user_ids}
    state[_LOADED] = {
        f.attname: copy.deepcopy(v) if isinstance(v := state[f.attname], dict | list) else v
        for f in Dossier._meta.concrete_fields
    }
    return locked, roles


def _changed_fields(dossier: Dossier) -> list[str]:
    """The columns changed since dossier_lock read the row, and updated_at (auto_now)."""
    loaded = dossier.__dict__[_LOADED]
    state = dossier.__dict__
    return [
        f.name
        for f in Dossier._meta.concrete_fields
        if not f.primary_key and (f.name == "updated_at" or state[f.attname] != loaded[f.attname])
    ]


class Roles:
    """roles(agency) → the user's roles there; `official`: the user holds some role.
    The user's assignments: the rows given, else read once on first use."""

    def __init__(self, user_id: int | None, rows: list[tuple[int, str]] | None = None) -> None:
        self.user_id = user_id
        self._rows = rows

    def rows(self) -> list[tuple[int, str]]:
        if self._rows is None:
            self._rows = [] if self.user_id is None else _roles_read(self.user_id)
        return self._rows

    @property
    def official(self) -> bool:
        return bool(self.rows())

    def __call__(self, agency: Agency | None) -> set[str]:
        if self.user_id is None or agency is None:
            return set()
        rows = self.rows()
        if any(role == Role.PROVINCE_ADMIN for _agency, role in rows):
            return set(Role.values)
        return {role for agency_id, role in rows if agency_id == agency.pk}



def roles_lookup(user: User | AnonymousUser | None) -> Roles:
    """roles_in(agency) → the user's roles there; the user's assignments read once."""
    return Roles(user.pk if actor_or_none(user) is not None else None)


def actor_or_none(user: Any) -> User | None:
    return user if user is not None and user.is_authenticated else None


def require_role(options: list[tuple[Agency | None, Iterable[str]]], roles_in: Roles) -> Agency:
    """The first agency where the user holds one of the roles; else ActionNotAllowed."""
    for agency, roles in options:
        if agency is not None and roles_in(agency) & set(roles):
            return agency
    needed = "; ".join(
        _("%(roles)s of %(agency)s")
        % {"roles": _(" or ").join(str(Role(r).label) for r in roles), "agency": agency.name}
        for agency, roles in options
        if agency is not None
    )
    raise ActionNotAllowed(
        _("Your role does not allow this. It needs: %(needed)s.") % {"needed": needed}
    )


def _spec(dossier: Dossier, key: str, definition: dict[str, Any]) -> Action:
    builtin = ACTIONS.get(key)
    if builtin is not None:
        return builtin
    if key in definition["actions"]:
        return WorkflowTransition(key, definition["actions"][key])
    raise ActionNotAllowed(
        _("The workflow of this dossier has no action “%(action)s”.") % {"action": key}
    )


def _agency_for(
    spec: Action, entry: dict[str, Any], dossier: Dossier, user: Any, roles_in: Roles
) -> Agency | None:
    desk = [(dossier.receiving_agency, [Role.RECEIVING_OFFICER])]
    if (options := spec.role_options(dossier)) is not None:
        return require_role(options, roles_in)
    party = entry.get("party", spec.party)
    if party == Party.APPLICANT:
        # The applicant acts for themself; an official only records it at the desk
        # (unless it is their own dossier, from their portal account).
        user = actor_or_none(user)
        official = user is not None and user.pk != dossier.citizen_id and roles_in.official
        return require_role(desk, roles_in) if official else None
    if party == Party.APPROVER:
        return require_role([(dossier.competent_agency, [Role.APPROVER])], roles_in)
    if party == Party.WORKFLOW:
        roles = entry["roles"]
        options: list[tuple[Agency | None, Iterable[str]]] = [(dossier.competent_agency, roles)]
        if Role.RECEIVING_OFFICER in roles and dossier.receiving_agency != dossier.competent_agency:
            options.append((dossier.receiving_agency, [Role.RECEIVING_OFFICER]))
        if dossier.consult_agency_id:
            options.append((dossier.consult_agency, roles))
        return require_role(options, roles_in)
    if party == Party.DESK:
        return require_role(desk, roles_in)
    raise ActionNotAllowed(_("This action cannot be taken from here."))


def action_check(
    *,
    dossier: Dossier,
    user: Any,
    key: str,
    now: datetime | None = None,
    roles_in: Roles | None = None,
) -> Agency | None:
    """Raise ActionNotAllowed unless `user` may do action `key` on `dossier` now: step,
    role, and the rules that do not depend on what is typed. Returns the agency the
    user acts for (None: the applicant or a payment gateway)."""
    definition = definition_of(dossier.workflow)
    spec = _spec(dossier, key, definition)
    entry = definition["actions"].get(key)
    if entry is None:
        raise ActionNotAllowed(_("Unknown action “%(action)s”.") % {"action": key})
    if dossier.state not in entry["from"]:
        raise ActionNotAllowed(
            _("“%(action)s” is not possible while the dossier is at the step “%(step)s”.")
            % {
                "action": action_label(definition, key),
                "step": step_label(definition, dossier.state),
            }
        )
    agency = _agency_for(spec, entry, dossier, user, roles_in or roles_lookup(user))
    spec.rules(dossier, now or timezone.now())
    return agency


@dataclass(frozen=True)
class ActionChoice:
    key: str
    label: str
    spec: Action


def actions_allowed(*, dossier: Dossier, user: Any) -> list[ActionChoice]:
    """What `user` may do on `dossier` now: the workflow's actions, then the built-in
    ones (a button shown is an action the runner will accept)."""
    if user is None or not user.is_authenticated:
        return []
    now = timezone.now()
    roles_in = roles_lookup(user)
    definition = definition_of(dossier.workflow)
    choices = []
    for key, entry in definition["actions"].items():
        if dossier.state not in entry["from"]:
            continue
        if key in ACTIONS and ACTIONS[key] not in CHOSEN:
            continue
        try:
            action_check(dossier=dossier, user=user, key=key, now=now, roles_in=roles_in)
        except ActionNotAllowed:
            continue
        choices.append(
            ActionChoice(
                key=key, label=action_label(definition, key), spec=_spec(dossier, key, definition)
            )
        )
    return choices


def action_run(
    *, key: str, dossier: Dossier, actor: Any, expected_version: int, **params: Any
) -> Dossier:
    """Run action `key` on `dossier` in the one frame (module docstring)."""
    definition = definition_of(dossier.workflow)
    spec = _spec(dossier, key, definition)
    params = spec.clean(dict(params))
    # Everyone whose roles the action checks: the actor, and a named assignee.
    users = [actor, params.get("assignee")]
    with transaction.atomic():
        dossier, roles = dossier_lock(dossier, expected_version, users)
        now = timezone.now()
        actor = actor_or_none(actor)
        agency = action_check(
            dossier=dossier,
            user=actor,
            key=key,
            now=now,
            roles_in=roles.get(actor.pk) if actor is not None else None,
        )
        ctx = Context(
            dossier=dossier,
            actor=actor,
            agency=agency,
            now=now,
            params=params,
            definition=definition_of(dossier.workflow),
            from_state=dossier.state,
            roles=roles,
        )
        effect = spec.apply(ctx)
        timing.timing_refresh(dossier, now)
        dossier.lock_version += 1
        event = event_new(
            dossier,
            action=key,
            from_state=ctx.from_state,
            actor=ctx.actor,
            agency=agency or dossier.receiving_agency,
            at=now,
            effect=effect,
        )
        template = effect.template or spec.template
        notice = None
        if template and effect.notify is not None:
            notice = notice_new(dossier, event, template, **effect.notify)
        history_save(dossier, event, notice, changed=_changed_fields(dossier))
    return dossier


def history_save(
    dossier: Dossier,
    event: DossierEvent,
    notice: Notification | None,
    *,
    changed: list[str] | None = None,
    new: bool = False,
) -> None:
    """Write the dossier (`new`: the whole row; else its `changed` columns, none: it is
    saved already), its new event and the applicant's message, in one statement on
    PostgreSQL (motcua.core.writes); the message is queued for delivery once the
    transaction commits."""
    writes: list[Insert | Update] = []
    if new:
        writes.append(Insert(dossier))
    elif changed:
        writes.append(Update(dossier, changed))
    writes.append(Insert(event))
    if notice is not None:
        writes.append(Insert(notice, links={"event_id": event}))
    rows_save(*writes)
    if notice is not None:
        transaction.on_commit(functools.partial(_enqueue_delivery, [notice.pk]))


def event_new(
    dossier: Dossier,
    *,
    action: str,
    from_state: str,
    actor: User | None,
    agency: Agency | None,
    at: datetime,
    effect: Effect,
) -> DossierEvent:
    """The event of `action`, not saved yet."""
    return DossierEvent(
        dossier=dossier,
        action=action,
        from_state=from_state,
        to_state=dossier.state,
        status=dossier.status,
        actor=actor_or_none(actor),
        agency=agency,
        at=at,
        note=effect.note,
        data=effect.data,
    )


def _enqueue_delivery(ids: list[int]) -> None:
    """Hand committed outbox rows to the delivery worker (runs only after commit: a
    rolled-back action never announces anything). Never raises: a row whose job could
    not be queued stays `created` and the outbox sweeper queues it."""
    from motcua.notifications.services import notifications_enqueue

    notifications_enqueue(ids=ids)


def _account_contact(dossier: Dossier) -> tuple[str, str]:
    """(phone, e-mail) of the citizen account an online dossier belongs to: the choice
    made on the account's contact page applies to the dossier's news."""
    if dossier.citizen_id is None:
        return "", ""
    from motcua.accounts.models import CitizenProfile

    found = CitizenProfile.objects.filter(user_id=dossier.citizen_id).values_list("phone", "email")
    return next(((phone or "", email) for phone, email in found), ("", ""))


def notice_new(
    dossier: Dossier, event: DossierEvent, template: str, **context: Any
) -> Notification | None:
    """The outbox row of `event` for the applicant, not saved yet; None when there is
    nobody to tell (the slip and the portal carry the news)."""
    from motcua.notifications.rendering import dossier_link
    from motcua.notifications.services import contact_preference_expression

    account_phone, account_email = _account_contact(dossier)
    email = dossier.applicant_email or account_email
    if not (dossier.applicant_phone or email):
        return None
    return Notification(
        dossier=dossier,
        event=event,
        # Failures show on the page of the desk the applicant deals with.
        agency_id=dossier.receiving_agency_id,
        template=template,
        recipient_phone=dossier.applicant_phone,
        recipient_email=email,
        preferred_channel=contact_preference_expression(
            phone=account_phone or dossier.applicant_phone, email=email
        ),
        context={
            "code": dossier.code,
            "procedure": dossier.procedure_version.name,
            "applicant": dossier.applicant_name,
            "agency": dossier.receiving_agency.name,
            "link": dossier_link(dossier),  # the short link every message carries
            **context,
        },
    )
