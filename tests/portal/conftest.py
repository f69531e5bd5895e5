import pytest
from django.core.management import call_command


@pytest.fixture
def demo_catalog(db):
    """The full Lào Cai demo: units, agencies, calendar and catalog, as `make demo` loads it."""
    call_command("load_demo", verbosity=0)
