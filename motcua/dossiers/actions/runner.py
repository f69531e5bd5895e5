"""The one frame every dossier action runs in (DESIGN.md §3):

1. the input is cleaned before anything is locked (`Action.clean`);
2. one `transaction.atomic()`; the dossier row alone is locked and read
   (`SELECT … FROM dossier WHERE id = … FOR UPDATE`, no join; the same row lock every
   writer takes) and `expected_version` is compared with `lock_version`: a page that
   shows an older version gets StaleDossier, so two officers never both apply a change;
   the related rows load only when the action uses them;
3. `action_check`: the step against the merged workflow definition, the actor's role
   in the right agency, the spec's legal rules — the same check that decides which
   buttons the back office and the portal show;
4. `apply`, then the one timing rule (motcua.dossiers.timing) refreshes due and
   lateness, `lock_version += 1`, a DossierEvent is appended, the outbox row is written
   in the same transaction and handed to the worker only on commit.

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

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.accounts.models import Role, RoleAssignment
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
RolesIn = Callable[[Agency | None], set[str]]


def dossier_lock_queryset() -> QuerySet[Dossier]:
    """The one queryset every writer locks dossier rows with (Saleor's lock_objects).

    `of=("self",)`: lock the dossier row only, never rows joined by select_related (and
    PostgreSQL refuses FOR UPDATE on the nullable side of an outer join).
    """
    return Dossier.objects.select_for_update(of=("self",)).select_related(
        "workflow",
        "procedure_version",
        "receiving_agency",
        "competent_agency",
        "consult_agency",
    )


# The reference rows an action reads beside the dossier; a fresh dossier row takes the
# caller's loaded ones (workflow versions are never edited) instead of reading them again.
_RELATED = (
    "workflow",
    "procedure_version",
    "receiving_agency",
    "competent_agency",
    "consult_agency",
)


def dossier_lock(dossier: Dossier, expected_version: int) -> Dossier:
    """Lock and read the dossier row alone (`SELECT … FROM dossier WHERE id = … FOR
    UPDATE`, no join: the related rows load only if the action uses them), then compare
    the version. One round trip: a narrower lock followed by a second read of the row
    cost one more statement per action for the same lock."""
    locked = Dossier.objects.select_for_update().get(pk=dossier.pk)
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
    return locked


def roles_lookup(user: User | AnonymousUser | None) -> RolesIn:
    """roles_in(agency) → the user's roles there; the user's assignments read once."""
    rows: list[tuple[int, str]] | None = None

    def roles_in(agency: Agency | None) -> set[str]:
        nonlocal rows
        if user is None or agency is None or not user.is_authenticated:
            return set()
        if rows is None:
            rows = list(RoleAssignment.objects.filter(user=user).values_list("agency_id", "role"))
        if any(role == Role.PROVINCE_ADMIN for _agency, role in rows):
            return set(Role.values)
        return {role for agency_id, role in rows if agency_id == agency.pk}

    return roles_in


def actor_or_none(user: Any) -> User | None:
    return user if user is not None and user.is_authenticated else None


def require_role(options: list[tuple[Agency | None, Iterable[str]]], roles_in: RolesIn) -> Agency:
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
    spec: Action, entry: dict[str, Any], dossier: Dossier, user: Any, roles_in: RolesIn
) -> Agency | None:
    desk = [(dossier.receiving_agency, [Role.RECEIVING_OFFICER])]
    if (options := spec.role_options(dossier)) is not None:
        return require_role(options, roles_in)
    party = entry.get("party", spec.party)
    if party == Party.APPLICANT:
        # The applicant acts for themself; an official only records it at the desk
        # (unless it is their own dossier, from their portal account).
        user = actor_or_none(user)
        official = (
            user is not None
            and user.pk != dossier.citizen_id
            and RoleAssignment.objects.filter(user=user).exists()
        )
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
    roles_in: RolesIn | None = None,
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
    with transaction.atomic():
        dossier = dossier_lock(dossier, expected_version)
        now = timezone.now()
        agency = action_check(dossier=dossier, user=actor, key=key, now=now)
        ctx = Context(
            dossier=dossier,
            actor=actor_or_none(actor),
            agency=agency,
            now=now,
            params=params,
            definition=definition_of(dossier.workflow),
            from_state=dossier.state,
        )
        effect = spec.apply(ctx)
        timing.timing_refresh(dossier, now)
        dossier.lock_version += 1
        dossier.save()
        event = event_record(
            dossier,
            action=key,
            from_state=ctx.from_state,
            actor=ctx.actor,
            agency=agency or dossier.receiving_agency,
            at=now,
            effect=effect,
        )
        template = effect.template or spec.template
        if template and effect.notify is not None:
            notify(dossier, event, template, **effect.notify)
    return dossier


def event_record(
    dossier: Dossier,
    *,
    action: str,
    from_state: str,
    actor: User | None,
    agency: Agency | None,
    at: datetime,
    effect: Effect,
) -> DossierEvent:
    return DossierEvent.objects.create(
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


def notify(dossier: Dossier, event: DossierEvent, template: str, **context: Any) -> None:
    """Write the outbox row of `event` for the applicant (same transaction)."""
    from motcua.notifications.rendering import dossier_link
    from motcua.notifications.selectors import contact_preference_for

    account_phone, account_email = _account_contact(dossier)
    email = dossier.applicant_email or account_email
    if not (dossier.applicant_phone or email):
        return  # nobody to tell; the slip and the portal carry the news
    row = Notification.objects.create(
        dossier=dossier,
        event=event,
        # Failures show on the page of the desk the applicant deals with.
        agency_id=dossier.receiving_agency_id,
        template=template,
        recipient_phone=dossier.applicant_phone,
        recipient_email=email,
        preferred_channel=contact_preference_for(
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
    transaction.on_commit(functools.partial(_enqueue_delivery, [row.pk]))
