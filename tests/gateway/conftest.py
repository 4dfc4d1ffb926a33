import pytest

from gateway import accounts
from shared.testing import services


@pytest.fixture(params=["sqlite", "postgresql"])
def accounts_db(request, tmp_path):
    """A migrated accounts database, on SQLite and again on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/accounts.sqlite"
    else:
        services.need("127.0.0.1", 5432, "PostgreSQL")
        url = services.create_database("po_test_accounts")
    database = accounts.database(url)
    database.migrate()
    yield database
    database.engine.dispose()
    if request.param == "postgresql":
        services.drop_database(url)
