"""The system's reasons in a claim's history, shown in the reader's language."""
from __future__ import annotations

import pytest

from services.billing.domain.history import SYSTEM_REASONS, shown_reason, system_reason


@pytest.mark.parametrize(("why", "et", "en"), [
    ("correction", "osaleja ennistati (parandus)", "participant reinstated (correction)"),
    ("schedule_change", "osaleja ennistati (ajakava muutus)", "participant reinstated (schedule change)"),
    ("policy_change", "osaleja ennistati (järeletegemise reegel muutus)", "participant reinstated (make-up rule changed)"),
    ("something new", "osaleja ennistati (something new)", "participant reinstated (something new)"),
])
def test_each_reason_attendance_gives_for_a_reinstatement_is_worded(why, et, en):
    stored = system_reason("reinstated", why=why)
    assert (shown_reason(stored, english=False), shown_reason(stored, english=True)) == (et, en)


def test_every_system_reason_reads_back_in_both_languages_and_a_persons_words_stay_as_typed():
    for key, (english, estonian) in SYSTEM_REASONS.items():
        parts = {name: "Haigus" for name in ("why", "earlier") if "{" + name + "}" in english}
        stored = system_reason(key, **parts)
        assert shown_reason(stored, english=True) == stored
        assert shown_reason(stored, english=False) == estonian.format(**parts)
    assert shown_reason("Haigestus, tõendiga", english=False) == "Haigestus, tõendiga"
    assert shown_reason(None, english=False) == ""
