"""shared.dates: dd.mm.yyyy and HH:MM (24-hour) in Europe/Tallinn, whatever the language."""
from __future__ import annotations

from datetime import UTC, date, datetime

from shared.dates import date_text, datetime_text, time_text


def test_moments_are_shown_in_tallinn_time_and_dates_as_they_are():
    summer = datetime(2019, 4, 17, 14, 5, tzinfo=UTC)  # 17:05 in Tallinn (EEST)
    assert (date_text(summer), datetime_text(summer), time_text(summer)) == ("17.04.2019", "17.04.2019 17:05", "17:05")
    assert datetime_text(datetime(2019, 12, 31, 22, 30, tzinfo=UTC)) == "01.01.2020 00:30"  # EET, next day
    assert date_text(datetime(2019, 12, 31, 22, 30, tzinfo=UTC)) == "01.01.2020"
    assert date_text(date(2019, 4, 9)) == date_text("2019-04-09") == "09.04.2019"
    assert datetime_text("2019-04-17T14:05:00+00:00") == "17.04.2019 17:05"
    assert (date_text(None, "—"), datetime_text("", "—"), time_text(None)) == ("—", "—", "")
