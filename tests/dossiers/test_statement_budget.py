"""Statement budgets of reception and of each action (issue 14, lean actions).

Each budget is the exact count today, on SQLite and on PostgreSQL (where the rows an
action writes go in one statement), savepoint and release included (the test's own
transaction turns each service's atomic block into a savepoint): a change that adds a
statement to the hot path fails here and must raise the budget on purpose. Delivery is
queued on commit and not counted (the test transaction never commits).
"""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from motcua.dossiers.services import (
    dossier_act,
    dossier_fee_paid,
    dossier_file_online,
    dossier_receive,
    dossier_request_fee,
    dossier_request_supplement,
    dossier_return_result,
    dossier_supplement_complete,
)

from .conftest import BIRTH
from .test_dossier_lifecycle import APPLICANT, DESK, counter


def written(rows: int) -> int:
    """Statements that write `rows` rows of one action together: one on PostgreSQL
    (motcua.core.writes), one per row elsewhere."""
    return 1 if connection.vendor == "postgresql" else rows


# role, savepoint, code (one upsert; on PostgreSQL the new dossier's id too), dossier,
# event and outbox row (the contact preference a subquery of its INSERT), release. The
# workflow, the competent agency and the calendar come from the process's memos, warm
# after the first reception.
RECEPTION = 4 + written(3)
# savepoint, lock (with the actors' roles), the rows written, release
ACTION = 3


def test_reception_at_the_counter_stays_within_its_budget(world, django_assert_max_num_queries):
    counter(world)  # the first of the day creates the code counter row
    with django_assert_max_num_queries(RECEPTION):
        counter(world)


def test_online_filing_and_its_reception_stay_within_their_budgets(
    world, clock, django_assert_max_num_queries
):
    with django_assert_max_num_queries(9):
        d = dossier_file_online(
            procedure_version=world.procedures[BIRTH],
            applicant=APPLICANT,
            receiving_agency=world.agency(DESK),
        )
    # savepoint, lock (with roles), calendar (the test's first read: marker and rows),
    # dossier, event and outbox row, release
    with django_assert_max_num_queries(5 + written(3)):
        dossier_receive(dossier=d, officer=world.users["desk"], expected_version=1)


def test_each_action_stays_within_its_budget(world, clock, django_assert_max_num_queries):
    # the rows written: dossier, event[, outbox row]
    u = world.users
    d = counter(world)
    clock.set(2026, 2, 16, 8, 0)
    steps = [
        (
            2,
            lambda d: dossier_act(
                dossier=d,
                officer=u["desk"],
                action="assign",
                expected_version=d.lock_version,
                assignee=u["specialist"],
            ),
        ),
        (
            3,
            lambda d: dossier_request_supplement(
                dossier=d,
                officer=u["desk"],
                missing=["Giấy chứng sinh"],
                expected_version=d.lock_version,
            ),
        ),
        (
            3,
            lambda d: dossier_supplement_complete(
                dossier=d, actor=u["desk"], expected_version=d.lock_version
            ),
        ),
        (
            3,
            lambda d: dossier_request_fee(
                dossier=d, officer=u["desk"], amount_vnd=50_000, expected_version=d.lock_version
            ),
        ),
        (
            3,
            lambda d: dossier_fee_paid(
                dossier=d,
                expected_version=d.lock_version,
                payment={"online": False, "platform": "counter"},
                actor=u["desk"],
            ),
        ),
        (
            2,
            lambda d: dossier_act(
                dossier=d,
                officer=u["specialist"],
                action="propose",
                expected_version=d.lock_version,
            ),
        ),
        (
            3,
            lambda d: dossier_act(
                dossier=d, officer=u["approver"], action="approve", expected_version=d.lock_version
            ),
        ),
        (
            3,
            lambda d: dossier_return_result(
                dossier=d, officer=u["desk"], expected_version=d.lock_version
            ),
        ),
    ]
    for rows, step in steps:
        with django_assert_max_num_queries(ACTION + written(rows)):
            d = step(d)
    assert d.status == 10


def test_the_lock_reads_the_dossier_row_alone(world):
    d = counter(world)
    with CaptureQueriesContext(connection) as queries:
        dossier_act(dossier=d, officer=world.users["desk"], action="assign", expected_version=1)
    table = '"dossiers_dossier"'
    # The first read of the dossier is the lock: its own columns, no other table; the
    # actor's role rows come along as a scalar subquery (not locked, no join).
    lock = next(q["sql"] for q in queries if q["sql"].startswith("SELECT") and table in q["sql"])
    columns, _from, rest = lock.removeprefix("SELECT ").partition(f" FROM {table} WHERE ")
    assert rest, lock
    own, _sep, roles = columns.partition(", (SELECT ")
    assert all(c.startswith(f"{table}.") for c in own.split(", "))
    assert f'{table}."lock_version"' in own
    assert 'FROM "accounts_roleassignment" WHERE' in roles and "JOIN" not in roles
    assert roles.endswith(') AS "_motcua_roles"')
    assert "JOIN" not in rest and "FROM" not in rest and "SELECT" not in rest
    if connection.features.has_select_for_update:
        assert rest.endswith("FOR UPDATE")
