"""Edition data files shipped with the enrolment service (a package so they are installed)."""

from pathlib import Path

EDITION_2019 = Path(__file__).with_name("edition_2019.yaml")
