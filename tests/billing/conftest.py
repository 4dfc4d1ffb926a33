import pytest

from tests.billing.helpers import billing_harness, set_day


@pytest.fixture
def billing(stack):
    """The billing service on SQLite + embedded bus, and again on PostgreSQL + RabbitMQ."""
    set_day(2019, 5, 10)  # invoices are issued a week after the May dropouts
    h = billing_harness(stack)
    yield h
    h.close()
