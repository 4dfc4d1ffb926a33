import pytest


@pytest.fixture
def h(stack):
    """The attendance service on the stack (embedded, then PostgreSQL + RabbitMQ)."""
    harness = stack.harness("attendance")
    yield harness
    harness.close()
