"""Scheduled e-mails while the clock moves through the 2019 calendar: each at its moment, once."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from services.notify.adapters.models import Email
from shared import clock
from tests.notify import data
from tests.notify.data import at
from tests.notify.test_emails import link_in, subject_of


def recipients(smtp, template: str) -> list[str]:
    return sorted(r for m in smtp.of(template) for r in m.rcpt_tos)


def test_deadline_reminders_7_and_1_days_before_go_only_to_teams_not_fully_confirmed(notify, smtp):
    at(2019, 2, 10, 12, 0)
    h = notify()
    h.deliver("enrolment.edition.published", data.edition())
    for team in ("tori", "audru", "kihnu"):
        h.deliver("enrolment.application.submitted", data.submitted(team))
    for n in range(1, 5):  # tori: everyone confirmed
        h.deliver("enrolment.member.confirmed", data.confirmed("tori", n, all_confirmed=n == 4))
    h.deliver("enrolment.member.confirmed", data.confirmed("audru", 1))  # audru: one of four
    h.deliver("enrolment.member.confirmed", data.confirmed("kihnu", 2))  # kihnu: confirms later
    h.tick()
    smtp.clear()

    # Deadline 01.03.2019 23:59:59 Tallinn: the 7-day reminder is due from 22.02 23:59:59.
    at(2019, 2, 22, 23, 59, 58)
    h.tick()
    assert smtp.of("deadline_reminder") == []
    at(2019, 2, 22, 23, 59, 59)
    h.tick()
    # The contacts of the two incomplete teams, and each member who has not confirmed.
    assert recipients(smtp, "deadline_reminder") == [
        "kontakt@audru.ee", "kontakt@kihnu.ee", "liige1@kihnu.ee", "liige2@audru.ee", "liige3@audru.ee",
        "liige3@kihnu.ee", "liige4@audru.ee", "liige4@kihnu.ee"]
    audru, = smtp.to("kontakt@audru.ee", "deadline_reminder")
    assert "tähtaeg 01.03.2019" in audru.subject
    assert "Taotluste tähtajani on jäänud 7 päeva: tähtaeg on 01.03.2019 kell 23:59" in audru.text
    assert "- Liige2 Audru" in audru.text and "- Liige1 Audru" not in audru.text
    assert "/enrolment/p/" not in audru.text  # the contact gets no one's personal link
    member, = smtp.to("liige2@audru.ee", "deadline_reminder")
    assert member.subject == "Meeldetuletus: palun kinnitage osalemine meeskonnas „Meeskond audru“ (tähtaeg 01.03.2019)"
    assert "Tere, Liige2!" in member.text and "sest te ei ole veel osalemist kinnitanud" in member.text
    url = link_in(member.text, "enrolment")  # signed as the reminder was composed
    assert subject_of(h, url, "confirm", "enrolment") == "audru-p2" and f'href="{url}"' in member.html
    assert "confirm-audru-p3" not in member.text
    at(2019, 2, 23, 0, 5)
    h.tick()  # the next tick sends nothing again
    assert len(smtp.of("deadline_reminder")) == 8

    # kihnu's members all confirm in between: no 1-day reminder for them.
    for n in (1, 3, 4):
        h.deliver("enrolment.member.confirmed", data.confirmed("kihnu", n, all_confirmed=n == 4))
    smtp.clear()
    at(2019, 2, 28, 23, 59, 58)
    h.tick()
    assert smtp.received == []
    at(2019, 3, 1, 9, 0)  # the 1-day moment passed overnight: caught up at the next tick
    h.tick()
    assert recipients(smtp, "deadline_reminder") == [
        "kontakt@audru.ee", "liige2@audru.ee", "liige3@audru.ee", "liige4@audru.ee"]
    assert "Taotluste tähtaeg on täna, 01.03.2019 kell 23:59" in smtp.to("kontakt@audru.ee")[0].text
    h.tick()
    at(2019, 3, 2, 9, 0)  # after the deadline nothing is due any more
    h.tick()
    assert len(smtp.received) == 4


def test_a_reminder_stage_missed_during_downtime_is_caught_up_once_and_not_stale(notify, smtp):
    at(2019, 2, 10, 12, 0)
    h = notify()
    h.deliver("enrolment.edition.published", data.edition())
    h.deliver("enrolment.application.submitted", data.submitted("audru"))
    h.tick()
    smtp.clear()
    at(2019, 3, 1, 8, 0)  # the worker was down from 10.02 to 01.03: only "1 day" is still true
    h.tick()
    h.tick()
    reminder, = smtp.to("kontakt@audru.ee", "deadline_reminder")
    assert "täna" in reminder.text
    assert len(smtp.of("deadline_reminder")) == 5  # the contact and the four members, once each


def test_a_team_applying_less_than_7_days_before_the_deadline_gets_only_the_1_day_reminder(notify, smtp):
    at(2019, 2, 10, 12, 0)
    h = notify()
    h.deliver("enrolment.edition.published", data.edition())
    at(2019, 2, 25, 14, 0)  # the 7-day moment (22.02 23:59:59) had passed when they applied
    h.deliver("enrolment.application.submitted", data.submitted("audru"))
    h.deliver("enrolment.member.confirmed", data.confirmed("audru", 1))
    h.tick()
    assert smtp.of("deadline_reminder") == []  # not "7 days left" straight after applying
    at(2019, 2, 27, 12, 0)
    h.tick()
    assert smtp.of("deadline_reminder") == []
    at(2019, 2, 28, 23, 59, 59)
    h.tick()
    assert recipients(smtp, "deadline_reminder") == [
        "kontakt@audru.ee", "liige2@audru.ee", "liige3@audru.ee", "liige4@audru.ee"]
    assert "Taotluste tähtaeg on homme" in smtp.to("liige3@audru.ee", "deadline_reminder")[0].text
    at(2019, 3, 1, 12, 0)
    h.tick()
    assert len(smtp.of("deadline_reminder")) == 4


def accept_teams(h):
    h.deliver("enrolment.edition.published", data.edition())
    for team, city in (("tori", "Pärnu"), ("elva", "Tartu"), ("vinni", "Rakvere")):
        h.deliver("enrolment.application.submitted", data.submitted(team, english=(2,)))
        h.deliver("enrolment.application.accepted", data.accepted(team, city, english=(2,)))
        for n in range(1, 5):  # ESF data given, so only session reminders are due
            h.deliver("reporting.esf_data.completed", {"participant_id": f"{team}-p{n}"})


def test_session_reminders_three_days_before_each_day_to_that_groups_participants(notify, smtp):
    at(2019, 3, 15, 12, 0)
    h = notify()
    accept_teams(h)
    h.deliver("enrolment.member.withdrawn", {"application_id": "app-tori", "participant_id": "tori-p4",
                                             "reason": "left the job"})
    h.tick()
    smtp.clear()

    at(2019, 4, 6, 9, 59, 59)  # Pärnu day I: 09.04.2019 10:00, so due from 06.04 10:00
    h.tick()
    assert smtp.of("session_reminder") == []
    at(2019, 4, 6, 10, 0)
    h.tick()
    assert recipients(smtp, "session_reminder") == ["liige1@tori.ee", "liige2@tori.ee", "liige3@tori.ee"]
    estonian, = smtp.to("liige1@tori.ee")
    assert estonian.subject == "Meeldetuletus: I koolituspäev 09.04.2019 kell 10:00, Pärnu"
    assert "Kuupäev: teisipäev, 09.04.2019" in estonian.text and "Aeg: 10:00–17:00" in estonian.text
    assert "Pärnu Keskraamatukogu, Akadeemia 3" in estonian.text
    # the personal check-in link, signed for this participant
    link = next(w for w in estonian.text.split() if "/attendance/p/" in w)
    from shared import links
    assert links.read_token(h.settings.secret_key, "checkin", link.rsplit("/", 1)[1], 10**8) == "tori-p1"
    english, = smtp.to("liige2@tori.ee")
    assert english.subject == "Reminder: workshop day 1 on 9 April 2019 at 10:00 in Pärnu"
    h.tick()
    at(2019, 4, 7, 10, 0)
    h.tick()
    assert len(smtp.of("session_reminder")) == 3  # not again on the next ticks

    smtp.clear()
    at(2019, 4, 8, 10, 0)  # Tartu day I on 11.04
    h.tick()
    assert recipients(smtp, "session_reminder") == [f"liige{n}@elva.ee" for n in range(1, 5)]
    assert "11.04.2019" in smtp.to("liige1@elva.ee")[0].subject

    smtp.clear()
    at(2019, 4, 15, 12, 0)  # down from 08.04 to 15.04: Rakvere day I (16.04) is caught up
    h.tick()
    assert recipients(smtp, "session_reminder") == [f"liige{n}@vinni.ee" for n in range(1, 5)]
    assert "16.04.2019" in smtp.to("liige1@vinni.ee")[0].subject

    smtp.clear()
    at(2019, 4, 27, 10, 0)  # Pärnu day II on 30.04
    h.tick()
    assert recipients(smtp, "session_reminder") == ["liige1@tori.ee", "liige2@tori.ee", "liige3@tori.ee"]
    assert "II koolituspäev 30.04.2019" in smtp.to("liige1@tori.ee")[0].subject


def test_a_moved_session_is_reminded_of_again(notify, smtp):
    at(2019, 3, 15, 12, 0)
    h = notify()
    accept_teams(h)
    at(2019, 4, 6, 10, 0)
    h.tick()
    smtp.clear()
    moved = data.edition(revision=2)
    parnu = next(g for g in moved["groups"] if g["city"] == "Pärnu")
    parnu["sessions"][0].update(starts_at=data.tallinn(2019, 4, 10, 10), ends_at=data.tallinn(2019, 4, 10, 17))
    h.deliver("enrolment.edition.published", moved)
    at(2019, 4, 7, 10, 0)
    h.tick()
    assert recipients(smtp, "session_reminder") == [f"liige{n}@tori.ee" for n in range(1, 5)]
    assert "10.04.2019" in smtp.to("liige1@tori.ee")[0].subject


def esf_deadline(h, participant_id: str, deadline: date) -> None:
    """Reporting's ESF data deadline for the participant (reporting.esf_data.requested)."""
    h.deliver("reporting.esf_data.requested", {"participant_id": participant_id, "deadline": deadline})


def test_esf_data_reminder_goes_before_reportings_deadline_to_those_without_data_once(notify, smtp):
    at(2019, 3, 15, 12, 0)
    h = notify()
    h.deliver("enrolment.edition.published", data.edition())
    h.deliver("enrolment.application.submitted", data.submitted("tori", english=(3,)))
    h.deliver("enrolment.application.accepted", data.accepted("tori", "Pärnu", english=(3,)))
    for n in range(1, 5):
        esf_deadline(h, f"tori-p{n}", date(2019, 4, 9))
    h.deliver("reporting.esf_data.completed", {"participant_id": "tori-p1"})
    h.tick()
    # p1 gave the data before the request went out: no request either
    assert recipients(smtp, "esf_data_request") == [f"liige{n}@tori.ee" for n in (2, 3, 4)]
    assert "09.04.2019" in smtp.to("liige2@tori.ee", "esf_data_request")[0].subject
    h.deliver("reporting.esf_data.completed", {"participant_id": "tori-p2"})
    smtp.clear()

    # Reporting's deadline 09.04.2019; the reminder NOTIFY_ESF_LEAD_DAYS (3) before its end.
    at(2019, 4, 6, 23, 59, 59)
    h.tick()
    assert smtp.of("esf_data_reminder") == []  # (the session reminders of day I go from 06.04 10:00)
    at(2019, 4, 7, 0, 0)
    h.tick()
    assert recipients(smtp, "esf_data_reminder") == ["liige3@tori.ee", "liige4@tori.ee"]
    english, = smtp.to("liige3@tori.ee", "esf_data_reminder")
    assert english.subject == "Reminder: your ESF participant data is still missing (deadline 9 April 2019)"
    assert "/reporting/p/" in english.text
    h.tick()
    clock.set_now(clock.now() + timedelta(days=1))
    h.tick()
    assert len(smtp.of("esf_data_reminder")) == 2


def test_the_esf_lead_time_is_configurable_and_a_changed_deadline_moves_the_reminder(notify, smtp):
    at(2019, 3, 15, 12, 0)
    h = notify(esf_lead_days="5")
    h.deliver("enrolment.edition.published", data.edition())
    h.deliver("enrolment.application.submitted", data.submitted("tori"))
    h.deliver("enrolment.application.accepted", data.accepted("tori", "Pärnu"))
    at(2019, 3, 10, 12, 0)
    stale = h.envelope("reporting.esf_data.requested", {"participant_id": "tori-p1", "deadline": date(2019, 4, 9)})
    at(2019, 3, 15, 12, 0)
    for n in range(1, 5):
        esf_deadline(h, f"tori-p{n}", date(2019, 4, 9))
    h.tick()
    at(2019, 3, 20, 9, 0)  # the coordinator moved p1's deadline; an older event arriving late does not undo it
    esf_deadline(h, "tori-p1", date(2019, 4, 30))
    h.deliver(envelope=stale)
    smtp.clear()

    at(2019, 4, 5, 0, 0)  # five days before the end of 09.04
    h.tick()
    assert recipients(smtp, "esf_data_reminder") == [f"liige{n}@tori.ee" for n in (2, 3, 4)]
    at(2019, 4, 25, 23, 59, 59)
    h.tick()
    assert len(smtp.of("esf_data_reminder")) == 3
    at(2019, 4, 26, 0, 0)
    h.tick()
    reminder, = smtp.to("liige1@tori.ee", "esf_data_reminder")
    assert "30.04.2019" in reminder.subject


def test_the_esf_request_waits_for_reportings_deadline_whichever_event_comes_first(notify, smtp):
    at(2019, 3, 15, 12, 0)
    h = notify()
    h.deliver("enrolment.edition.published", data.edition())
    h.deliver("enrolment.application.submitted", data.submitted("tori"))
    esf_deadline(h, "tori-p1", date(2019, 4, 9))  # reporting was quicker than enrolment's acceptance
    h.deliver("enrolment.application.accepted", data.accepted("tori", "Pärnu"))
    h.tick()
    assert recipients(smtp, "esf_data_request") == ["liige1@tori.ee"]
    with h.kit.db.transaction() as session:
        waiting = session.scalars(select(Email).where(Email.template == "esf_data_request",
                                                      Email.status == "waiting")).all()
        assert sorted(e.recipient for e in waiting) == [f"liige{n}@tori.ee" for n in (2, 3, 4)]
        assert all("ESF data deadline" in e.last_error for e in waiting)

    at(2019, 4, 8, 9, 0)  # no deadline, no reminder: only p1 is reminded
    h.tick()
    assert recipients(smtp, "esf_data_reminder") == ["liige1@tori.ee"]
    for n in (2, 3, 4):  # the deadline arrives the day before: the request goes, no reminder with it
        esf_deadline(h, f"tori-p{n}", date(2019, 4, 9))
    h.tick()
    assert recipients(smtp, "esf_data_request") == [f"liige{n}@tori.ee" for n in range(1, 5)]
    assert "09.04.2019" in smtp.to("liige2@tori.ee", "esf_data_request")[0].subject
    assert recipients(smtp, "esf_data_reminder") == ["liige1@tori.ee"]


def test_confirmations_arriving_before_their_application_still_count(notify, smtp):
    at(2019, 2, 10, 12, 0)
    h = notify()
    for n in range(1, 5):  # out of order, and one of them twice
        h.deliver("enrolment.member.confirmed", data.confirmed("tori", n))
    h.deliver("enrolment.member.confirmed", data.confirmed("tori", 2))
    h.deliver("enrolment.application.submitted", data.submitted("tori"))
    h.deliver("enrolment.edition.published", data.edition())
    at(2019, 2, 28, 23, 59, 59)
    h.tick()
    assert smtp.of("deadline_reminder") == []
    assert len(smtp.of("member_confirmation_request")) == 4


def make_up(pid: str, city: str = "Tartu", day: int = 2) -> dict:
    """attendance.make_up.booked / cancelled of ``pid`` for ``city``'s day (cancelled ignores city and date)."""
    month, dom = data.CALENDAR[city][day - 1]
    return {"participant_id": pid, "session_id": data.session_id(city, day), "day_number": day, "city": city,
            "date": date(2019, month, dom)}


def cancelled(pid: str, city: str = "Tartu", day: int = 2) -> dict:
    return {"participant_id": pid, "session_id": data.session_id(city, day), "day_number": day}


def test_a_guest_booked_into_another_groups_session_gets_that_sessions_reminder_once(notify, smtp):
    at(2019, 3, 15, 12, 0)
    h = notify()
    accept_teams(h)  # tori (Pärnu; liige2 reads English), elva (Tartu), vinni (Rakvere)
    at(2019, 4, 20, 12, 0)
    booked = h.envelope("attendance.make_up.booked", make_up("tori-p1"))
    h.deliver(envelope=booked)
    h.deliver(envelope=booked)  # redelivered: the inbox makes it a no-op
    h.deliver("attendance.make_up.booked", make_up("tori-p2"))
    h.deliver("attendance.make_up.booked", make_up("tori-p3"))
    h.deliver("attendance.make_up.booked", make_up("tori-p4"))
    h.deliver("enrolment.member.withdrawn", {"application_id": "app-tori", "participant_id": "tori-p4",
                                             "reason": "left the job"})
    at(2019, 4, 21, 12, 0)
    h.deliver("attendance.make_up.cancelled", cancelled("tori-p3"))  # present elsewhere instead
    at(2019, 4, 20, 13, 0)
    h.deliver("attendance.make_up.booked", make_up("tori-p3"))  # an older event arriving late loses
    at(2019, 4, 21, 12, 0)
    h.deliver("attendance.make_up.booked", make_up("tori-p1", "Rakvere"))  # booked, never reaches its lead
    h.deliver("attendance.make_up.cancelled", cancelled("tori-p1", "Rakvere"))
    h.tick()
    smtp.clear()

    at(2019, 4, 27, 10, 0)  # Pärnu day II on 30.04: its own group's reminder as before
    h.tick()
    assert recipients(smtp, "session_reminder") == ["liige1@tori.ee", "liige2@tori.ee", "liige3@tori.ee"]
    assert "Pärnu" in smtp.to("liige1@tori.ee")[0].subject
    smtp.clear()

    at(2019, 4, 29, 9, 59, 59)  # Tartu day II: 02.05.2019 10:00, so due from 29.04 10:00
    h.tick()
    assert smtp.of("session_reminder") == []
    at(2019, 4, 29, 10, 0)
    h.tick()
    # Tartu's own four, and the two Pärnu guests whose booking stands (not p3: cancelled; not p4: withdrawn).
    assert recipients(smtp, "session_reminder") == sorted(
        [f"liige{n}@elva.ee" for n in range(1, 5)] + ["liige1@tori.ee", "liige2@tori.ee"])
    guest, = smtp.to("liige1@tori.ee")
    assert guest.subject == "Meeldetuletus: II koolituspäev 02.05.2019 kell 10:00, Tartu"
    assert "Tere, Liige1!" in guest.text and "Kuupäev: neljapäev, 02.05.2019" in guest.text
    assert "Aeg: 10:00–17:00" in guest.text and "Linn: Tartu" in guest.text
    assert "Tartu Loomemajanduskeskus, Kalevi 17" in guest.text and "Pärnu" not in guest.text
    link = next(w for w in guest.text.split() if "/attendance/p/" in w)
    from shared import links
    assert links.read_token(h.settings.secret_key, "checkin", link.rsplit("/", 1)[1], 10**8) == "tori-p1"
    english, = smtp.to("liige2@tori.ee")
    assert english.subject == "Reminder: workshop day 2 on 2 May 2019 at 10:00 in Tartu"
    assert "Tartu Loomemajanduskeskus, Kalevi 17" in english.text
    h.tick()
    at(2019, 4, 30, 10, 0)
    h.tick()
    assert len(smtp.of("session_reminder")) == 6  # once each
    at(2019, 5, 4, 10, 0)  # Rakvere day II on 07.05: the cancelled booking brings nothing
    h.tick()
    assert recipients(smtp, "session_reminder") == sorted(
        [f"liige{n}@elva.ee" for n in range(1, 5)] + ["liige1@tori.ee", "liige2@tori.ee"]
        + [f"liige{n}@vinni.ee" for n in range(1, 5)])


def test_a_booking_made_after_the_lead_moment_is_reminded_of_at_the_next_tick(notify, smtp):
    at(2019, 3, 15, 12, 0)
    h = notify()
    accept_teams(h)
    at(2019, 4, 30, 18, 0)  # absent in Pärnu today, booked into Tartu's day II (02.05) tonight
    h.tick()
    smtp.clear()
    h.deliver("attendance.make_up.booked", make_up("tori-p1"))
    h.tick()
    reminder, = smtp.to("liige1@tori.ee", "session_reminder")
    assert "02.05.2019" in reminder.subject and "Tartu" in reminder.subject
    h.tick()
    assert len(smtp.to("liige1@tori.ee", "session_reminder")) == 1


def test_the_team_contacts_reminder_lists_the_missing_members_in_estonian_alphabetical_order(notify, smtp):
    """Š comes after S and before Z and T in Estonian; Ä after W (code points would put Š and Ä last)."""
    at(2019, 2, 10, 12, 0)
    h = notify()
    h.deliver("enrolment.edition.published", data.edition())
    names = {1: ("Tiit", "Tamm"), 2: ("Ülle", "Šmidt"), 3: ("Ants", "Ärm"), 4: ("Sass", "Saar")}
    h.deliver("enrolment.application.submitted", data.submitted("audru", names=names))
    h.tick()
    at(2019, 2, 22, 23, 59, 59)
    h.tick()
    contact, = smtp.to("kontakt@audru.ee", "deadline_reminder")
    listed = [line[2:] for line in contact.text.splitlines() if line.startswith("- ")]
    assert listed == ["Sass Saar", "Ülle Šmidt", "Tiit Tamm", "Ants Ärm"]
