import pytest


@pytest.fixture
def h(stack):
    """The reporting service on the stack (embedded, then PostgreSQL + RabbitMQ)."""
    harness = stack.harness("reporting")
    yield harness
    harness.close()
