"""Whether applications are still accepted.

The deadline is inclusive (policy): "until 1 March" means the whole of 1 March in Tallinn,
so it is stored as 23:59:59 local time and the whole of that last second still counts —
someone whose clock shows 23:59:59 must not be turned away over a few milliseconds.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .times import require_aware

_LAST_SECOND = timedelta(seconds=1)


def is_open(deadline: datetime, now: datetime) -> bool:
    """True while applications are accepted; both datetimes must be timezone-aware."""
    deadline_utc = require_aware("deadline", deadline)
    now_utc = require_aware("now", now)
    # Closes at the start of the second after the deadline's second.
    closes_at = deadline_utc.replace(microsecond=0) + _LAST_SECOND
    return now_utc < closes_at
