"""The application-received e-mail lists the team as a reader checks it: the members from local
governments first, then those from NGOs, each with their organisation, by organisation and then
by name (Estonian alphabetical order) — not in the order the form happened to send them."""
from __future__ import annotations

from tests.notify import data
from tests.notify.data import at


def submitted_out_of_order() -> dict:
    payload = data.submitted("tori", team_name="Tori koostöö")
    payload["organisations"].append({
        "organisation_id": "tori-sa", "name": "SA Tori Areng", "registry_code": "90000001", "kind": "ngo",
        "billing_email": "info@tori-areng.ee", "address": "Pikk 3"})
    people = [("tori-ngo", "Ülle", "Zirk"), ("tori-kov", "Mari", "Tamm"), ("tori-sa", "Eva", "Aas"),
              ("tori-ngo", "Õie", "Šmidt"), ("tori-kov", "Jaan", "Maasikas")]
    payload["members"] = [{"participant_id": f"tori-p{n}", "first_name": first, "last_name": last,
                           "email": f"liige{n}@tori.ee", "organisation_id": org, "language": "et",
                           "confirm_url": f"http://127.0.0.1:8000/enrolment/p/confirm-tori-p{n}"}
                          for n, (org, first, last) in enumerate(people, start=1)]
    return payload


def test_the_receipt_lists_local_government_members_first_then_ngo_members_by_organisation_and_name(notify, smtp):
    at(2019, 2, 1, 12, 0)
    h = notify()
    h.deliver("enrolment.edition.published", data.edition())
    h.deliver("enrolment.application.submitted", submitted_out_of_order())
    h.tick()
    receipt, = smtp.to("kontakt@tori.ee", "application_received")
    text = receipt.text.replace("\r\n", "\n")
    assert ("Meeskonna liikmed:\n"
            "Kohalikest omavalitsustest:\n"
            "- Jaan Maasikas, Tori Vallavalitsus\n"
            "- Mari Tamm, Tori Vallavalitsus\n"
            "Vabaühendustest:\n"
            "- Õie Šmidt, MTÜ Tori Selts\n"  # Š before Z, as in the Estonian alphabet
            "- Ülle Zirk, MTÜ Tori Selts\n"
            "- Eva Aas, SA Tori Areng\n\n"
            "Soovitud linnad eelistuse järjekorras: Pärnu\n") in text
    html = receipt.html
    assert html.index("Kohalikest omavalitsustest:") < html.index("<li>Jaan Maasikas, Tori Vallavalitsus</li>") \
        < html.index("<li>Mari Tamm, Tori Vallavalitsus</li>") < html.index("Vabaühendustest:") \
        < html.index("<li>Õie Šmidt, MTÜ Tori Selts</li>") < html.index("<li>Ülle Zirk, MTÜ Tori Selts</li>") \
        < html.index("<li>Eva Aas, SA Tori Areng</li>")


def test_the_english_receipt_groups_the_members_the_same_way(notify, smtp):
    at(2019, 2, 1, 12, 0)
    h = notify()
    h.deliver("enrolment.edition.published", data.edition())
    payload = submitted_out_of_order()
    payload["language"] = "en"
    h.deliver("enrolment.application.submitted", payload)
    h.tick()
    receipt, = smtp.to("kontakt@tori.ee", "application_received")
    text = receipt.text.replace("\r\n", "\n")
    assert ("Team members:\n"
            "Local governments:\n"
            "- Jaan Maasikas, Tori Vallavalitsus\n"
            "- Mari Tamm, Tori Vallavalitsus\n"
            "NGOs:\n"
            "- Õie Šmidt, MTÜ Tori Selts\n"
            "- Ülle Zirk, MTÜ Tori Selts\n"
            "- Eva Aas, SA Tori Areng\n") in text
    assert "<p>NGOs:</p>" in receipt.html
    assert ">From" not in text  # no line begins with "From ", which mail transports mangle
