"""What the e-mails say, read as their recipients read them: events in, e-mails out (both stacks)."""
from __future__ import annotations

from tests.notify import data
from tests.notify.data import at


def _without_venues(edition: dict) -> dict:
    """An edition whose venues are not booked yet (the demo edition's, left empty)."""
    for group in edition["groups"]:
        for session in group["sessions"]:
            session["venue"] = ""
    return edition


def test_a_venue_not_booked_yet_reads_as_to_be_confirmed_in_each_language(notify, smtp):
    at(2019, 3, 15, 9, 0)
    h = notify()
    h.deliver("enrolment.edition.published", _without_venues(data.edition()))
    h.deliver("enrolment.application.submitted", data.submitted("tori", english=(2,)))
    h.deliver("enrolment.application.accepted", data.accepted("tori", "Pärnu", english=(2,)))
    h.tick()

    estonian, = smtp.to("liige1@tori.ee", "application_accepted")
    english, = smtp.to("liige2@tori.ee", "application_accepted")
    assert estonian.text.count("  Toimumiskoht: täpsustamisel") == 3
    assert estonian.html.count("<br>Toimumiskoht: täpsustamisel</li>") == 3
    assert english.text.count("  Venue: to be confirmed") == 3
    assert english.html.count("<br>Venue: to be confirmed</li>") == 3
    assert "täpsustamisel" not in english.text + english.html


def test_the_confirmation_request_names_the_cities_of_the_members_edition(notify, smtp):
    """Not the brochure's "(Rakvere, Pärnu, Tartu või Tallinn)": the edition's own groups, by their first day."""
    at(2019, 2, 1, 12, 0)
    h = notify()
    edition = data.edition()
    groups = {g["city"]: g for g in edition["groups"]}
    tartu, parnu = groups["Tartu"], groups["Pärnu"]
    tartu["city"], parnu["city"] = "Võru", "Viljandi"  # Viljandi's first day (9 April) comes first
    edition["groups"] = [tartu, parnu]  # listed in another order than their days
    h.deliver("enrolment.edition.published", edition)
    h.deliver("enrolment.application.submitted", data.submitted("tori", english=(2,)))
    h.tick()

    estonian, = smtp.to("liige1@tori.ee", "member_confirmation_request")
    english, = smtp.to("liige2@tori.ee", "member_confirmation_request")
    assert "teie meeskonna rühma linnas (Viljandi või Võru). Töötoad" in estonian.text
    assert "teie meeskonna rühma linnas (Viljandi või Võru). Töötoad" in estonian.html
    assert "in the city of your team's group (Viljandi or Võru). The workshops" in english.text
    for body in (estonian.text, estonian.html, english.text, english.html):
        assert "Rakvere" not in body and "Tallinn" not in body
