import pytest
from hypothesis import HealthCheck, settings

pytest_plugins = ["shared.testing.fixtures"]

# Property tests check rules, not speed: on 2 shared cores under the parallel suite, input
# generation can be slow and a single example can take long, which must not fail a test.
settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")


def pytest_configure(config):
    """The install step `make test` takes: translations compiled, as apps only read them."""
    from shared import i18n
    i18n.compile_catalogues(*i18n.catalogue_directories())


# Folders whose tests take a minute or tens of seconds each: they start first, so the
# parallel workers end together instead of one finishing a long test alone.
LONG_FIRST = ("system", "browser", "fuzz")


def pytest_collection_modifyitems(items):
    """Tests that stop, kill or fill up RabbitMQ or PostgreSQL run alone, after the rest
    (`make test` runs `-m "not serial"` in parallel workers, then `-m serial`)."""
    for item in items:
        if item.path.parent.name == "faults" or item.name == "test_broker_restart_in_the_middle_of_2000_events":
            item.add_marker(pytest.mark.serial)
    items.sort(key=lambda item: item.path.parent.name not in LONG_FIRST)  # stable: the rest keep their order
