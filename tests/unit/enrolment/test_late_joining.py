"""What a newcomer joining after the group's day I has begun will have missed (domain/late_joining.py),
on the brochure's 2019 schedule: Pärnu I 09.04, Tartu I 11.04, Rakvere I 16.04, Tallinn I 17.04;
Pärnu II 30.04, Tartu II 02.05, Rakvere II 07.05, Tallinn II 09.05; Pärnu III 22.05 ... Tallinn III 06.06."""
from __future__ import annotations

from datetime import date, datetime, time

import pytest

from services.enrolment.domain.conditions import ANY_LATER_SAME_DAY, MakeUpRule
from services.enrolment.domain.late_joining import ScheduledDay, late_joining
from services.enrolment.domain.times import TALLINN

DAYS = {"parnu": ("Pärnu", [date(2019, 4, 9), date(2019, 4, 30), date(2019, 5, 22)]),
        "tartu": ("Tartu", [date(2019, 4, 11), date(2019, 5, 2), date(2019, 5, 23)]),
        "rakvere": ("Rakvere", [date(2019, 4, 16), date(2019, 5, 7), date(2019, 6, 4)]),
        "tallinn": ("Tallinn", [date(2019, 4, 17), date(2019, 5, 9), date(2019, 6, 6)])}
SCHEDULE = [ScheduledDay(f"2019-{key}-{n}", f"2019-{key}", city, n,
                         datetime.combine(day, time(10), TALLINN), datetime.combine(day, time(17), TALLINN))
            for key, (city, days) in DAYS.items() for n, day in enumerate(days, start=1)]


def at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2019, month, day, hour, tzinfo=TALLINN)


def summary(judged):
    return [(d.day_number, [s.city for s in d.make_up_sessions]) for d in judged.missed_days]


def test_nothing_is_missed_before_the_groups_day_one_begins():
    assert late_joining(SCHEDULE, "2019-parnu", at(4, 9, 9)) is None
    assert late_joining(SCHEDULE, "2019-parnu", at(4, 8)) is None
    assert late_joining(SCHEDULE, "nowhere", at(5, 1)) is None


def test_joining_after_day_one_the_later_cities_can_still_make_it_up():
    judged = late_joining(SCHEDULE, "2019-parnu", at(4, 10))
    assert summary(judged) == [(1, ["Tartu", "Rakvere", "Tallinn"])]
    assert judged.drops_out_at_once is False
    assert judged.text("et") == (
        "Rühma Pärnu I koolituspäev on juba alanud (09.04.2019). Uus liige jääb ilma rühma päevadest, mis algasid "
        "enne tema liitumist; vahele jäänud päeva saab korvata ainult teise linna rühmas selle lennu "
        "järeletegemise reegli järgi. I päev (09.04.2019): järele saab teha – Tartu 11.04.2019, Rakvere "
        "16.04.2019, Tallinn 17.04.2019, kui seal on vaba koht. Uus liige saab järeletegemise võimalustest kohe "
        "teate; kui ta kõiki vahele jäänud päevi järele ei tee, langeb ta programmist välja.")
    assert "Day I (09.04.2019): can be made up at Tartu 11.04.2019, Rakvere 16.04.2019, Tallinn 17.04.2019, " \
           "if a seat is free." in judged.en


def test_a_day_in_progress_is_missed_and_a_running_make_up_still_counts():
    # Joined during Pärnu's own day I: missed; Tartu's day I running when joining still counts.
    assert summary(late_joining(SCHEDULE, "2019-parnu", at(4, 9, 11))) == [(1, ["Tartu", "Rakvere", "Tallinn"])]
    assert summary(late_joining(SCHEDULE, "2019-parnu", at(4, 11, 16))) == [(1, ["Tartu", "Rakvere", "Tallinn"])]
    assert summary(late_joining(SCHEDULE, "2019-parnu", at(4, 11, 17))) == [(1, ["Rakvere", "Tallinn"])]


def test_with_no_make_up_left_the_newcomer_drops_out_at_once():
    judged = late_joining(SCHEDULE, "2019-parnu", at(4, 29, 23))
    assert summary(judged) == [(1, [])] and judged.drops_out_at_once is True
    assert "I päev (09.04.2019): järeletegemise võimalust enam ei ole." in judged.et
    assert "Seega langeb uus liige kohe liitumisel programmist välja, tööandjale kuluta" in judged.et
    assert "Day I (09.04.2019): no make-up session is left." in judged.en
    assert "would drop out of the programme at once on joining, at no cost" in judged.en
    # Tallinn's day I is the last: nothing makes it up.
    assert summary(late_joining(SCHEDULE, "2019-tallinn", at(4, 18))) == [(1, [])]


def test_the_brochures_window_closes_at_the_own_groups_next_day():
    # Tartu, joined on 16.04 before Rakvere's day I starts: Rakvere and Tallinn are before Tartu II (02.05).
    assert summary(late_joining(SCHEDULE, "2019-tartu", at(4, 16, 9))) == [(1, ["Rakvere", "Tallinn"])]
    assert summary(late_joining(SCHEDULE, "2019-tartu", at(4, 17, 9))) == [(1, ["Tallinn"])]
    # Day II of Pärnu missed after day II: Tartu, Rakvere, Tallinn day II are before Pärnu III (22.05).
    judged = late_joining(SCHEDULE, "2019-parnu", at(5, 1))
    assert summary(judged) == [(1, []), (2, ["Tartu", "Rakvere", "Tallinn"])]
    assert judged.drops_out_at_once is True


def test_the_wider_window_reaches_past_the_own_next_day():
    schedule = [s if s.session_id != "2019-rakvere-1" else
                ScheduledDay(s.session_id, s.group_id, s.city, 1, at(5, 3, 10), at(5, 3, 17)) for s in SCHEDULE]
    # Rakvere's day I moved to 03.05, after Tartu's day II (02.05): only the wider window allows it.
    assert summary(late_joining(schedule, "2019-tartu", at(4, 12))) == [(1, ["Tallinn"])]
    assert summary(late_joining(schedule, "2019-tartu", at(4, 12), MakeUpRule(True, ANY_LATER_SAME_DAY))) == [
        (1, ["Tallinn", "Rakvere"])]


def test_without_make_ups_every_missed_day_is_lost():
    judged = late_joining(SCHEDULE, "2019-parnu", at(4, 10), MakeUpRule(allowed=False))
    assert summary(judged) == [(1, [])] and judged.drops_out_at_once
    assert "selles lennus vahele jäänud päeva korvata ei saa" in judged.et
    assert "I päev (09.04.2019): järele teha ei saa." in judged.et
    assert "this edition allows no make-ups" in judged.en and "Day I (09.04.2019): cannot be made up." in judged.en


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError):
        late_joining(SCHEDULE, "2019-parnu", datetime(2019, 4, 10, 12))
