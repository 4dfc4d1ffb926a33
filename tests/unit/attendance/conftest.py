import pytest

from .calendar2019 import schedule_2019


@pytest.fixture
def schedule():
    """The real 2019 calendar, all four cities, unlimited seats."""
    return schedule_2019()
