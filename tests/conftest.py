import pytest

pytest_plugins = ["shared.testing.fixtures"]


def pytest_collection_modifyitems(items):
    """Tests that stop, kill or fill up RabbitMQ or PostgreSQL run alone, after the rest
    (`make test` runs `-m "not serial"` in parallel workers, then `-m serial`)."""
    for item in items:
        if item.path.parent.name == "faults" or item.name == "test_broker_restart_in_the_middle_of_2000_events":
            item.add_marker(pytest.mark.serial)
