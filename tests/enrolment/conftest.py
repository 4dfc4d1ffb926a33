import pytest

from services.enrolment.data import EDITION_2019
from services.enrolment.service_layer.editions import load_edition_file
from shared import clock
from tests.enrolment.helpers import BEFORE_DEADLINE


@pytest.fixture
def h(stack):
    """The enrolment service with the 2019 edition, a fortnight before the deadline."""
    clock.set_now(BEFORE_DEADLINE)
    harness = stack.harness("enrolment")
    load_edition_file(harness.kit, EDITION_2019)
    yield harness
    harness.close()


@pytest.fixture
def coordinator(h):
    h.login("coordinator", name="Koordinaator", email="koordinaator@example.ee")
    return h
