"""The one source of "now". Every rule that depends on time reads it, so tests can move it.

Within a process, tests call ``set_now``/``advance``. Across processes (system tests with
each service in its own process), ``CLOCK_FILE`` names a file holding an ISO timestamp that
every process reads; an empty or missing file means the real time.
"""
from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

TALLINN = ZoneInfo("Europe/Tallinn")
_lock = threading.Lock()
_fixed: datetime | None = None


def now() -> datetime:
    if _fixed is not None:
        return _fixed
    path = os.environ.get("CLOCK_FILE")
    if path:
        try:
            text = open(path).read().strip()  # noqa: SIM115 - tiny file, read each call on purpose
        except FileNotFoundError:
            text = ""
        if text:
            return _aware(datetime.fromisoformat(text))
    return datetime.now(UTC)


def set_now(moment: datetime | None) -> None:
    global _fixed
    with _lock:
        _fixed = None if moment is None else _aware(moment)


def advance(delta: timedelta) -> datetime:
    set_now(now() + delta)
    return now()


def write_clock_file(path: str, moment: datetime | None) -> None:
    """Set the cross-process clock (system tests)."""
    tmp = f"{path}.tmp"
    with open(tmp, "w") as fh:
        fh.write("" if moment is None else _aware(moment).isoformat())
    os.replace(tmp, path)


def local(moment: datetime) -> datetime:
    return _aware(moment).astimezone(TALLINN)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: every time in this system carries its zone")
    return moment.astimezone(UTC)
