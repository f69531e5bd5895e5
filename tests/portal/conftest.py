import pytest
from django.core.management import call_command
from django.db import transaction


@pytest.fixture(scope="module")
def _demo_loaded(django_db_setup, django_db_blocker):
    # Loading the demo takes about a second: do it once per module, inside a
    # transaction that is rolled back at the end; each test runs in a savepoint.
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", verbosity=0)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo_catalog(_demo_loaded, db):
    """The full Lào Cai demo: units, agencies, calendar and catalog, as `make demo` loads it."""
