"""The reasons the system writes into a claim's history, in both languages.

The history keeps the English text as recorded (the API and the audit trail show it so, and
rows written before this table existed read the same); a page shows it in the reader's
language by matching it against the same templates. A coordinator's or finance's own words
are shown as typed.
"""
from __future__ import annotations

import re

# key: (English as stored, Estonian); {placeholders} are filled when written, matched when shown.
SYSTEM_REASONS = {
    "nothing_to_recover": ("no session day was held before the dropout: no costs to recover",
                           "enne katkestamist ei toimunud ühtegi õppepäeva: hüvitatavaid kulusid ei ole"),
    "reinstated": ("participant reinstated ({why})", "osaleja ennistati ({why})"),
    "reopened": ("dropped out again after reinstatement", "katkestas pärast ennistamist uuesti"),
    "reopened_after_waiver": ("dropped out again after reinstatement (waived before: {earlier})",
                              "katkestas pärast ennistamist uuesti (varem loobuti: {earlier})"),
    "reinstatement_undone": ("the reinstatement was undone", "ennistamine võeti tagasi"),
}
# Why attendance took an outcome back (attendance.participant.reinstated's reason).
WHY_REINSTATED = {"correction": ("correction", "parandus"), "schedule_change": ("schedule change", "ajakava muutus"),
                  "policy_change": ("make-up rule changed", "järeletegemise reegel muutus")}


def system_reason(key: str, **parts: str) -> str:
    """The English text stored for ``key``."""
    return SYSTEM_REASONS[key][0].format(**parts)


def _pattern(english: str) -> re.Pattern:
    pieces = re.split(r"\{(\w+)\}", english)
    return re.compile("".join(re.escape(piece) if i % 2 == 0 else f"(?P<{piece}>.*)"
                              for i, piece in enumerate(pieces)), re.DOTALL)


_PATTERNS = [(_pattern(english), english, estonian) for english, estonian in SYSTEM_REASONS.values()]


def _part(name: str, value: str, english: bool) -> str:
    if name == "why" and value in WHY_REINSTATED:
        return WHY_REINSTATED[value][0 if english else 1]
    return shown_reason(value, english)  # an earlier waiver's reason may be the system's too


def shown_reason(reason: str | None, english: bool) -> str:
    """``reason`` in the reader's language if the system wrote it; as it is otherwise."""
    for pattern, en, et in _PATTERNS:
        found = pattern.fullmatch(reason or "")
        if found:
            parts = {name: _part(name, value, english) for name, value in found.groupdict().items()}
            return (en if english else et).format(**parts)
    return reason or ""
