"""The counselling decision names the whole application: ``enrolment.counselling.decided`` names
only the leading local government, so notify keeps whom ``enrolment.counselling.applied`` named
(per counselling application, once) and the selected / not selected e-mails list the group's other
local governments and the NGO partners, in et and en, as the receipt did. A decision handled
before its application names the applicant alone and still goes."""
from __future__ import annotations

from tests.notify.data import at
from tests.notify.test_counselling import (
    HAADEMEESTE,
    KYLASELTS,
    PARNU,
    SELTS,
    TORI,
    applied,
    decided,
    plain,
    rows,
)


def test_the_decisions_name_every_local_government_and_the_ngo_partners_as_the_receipt_did(notify, smtp):
    at(2019, 6, 10, 12, 0)
    h = notify()
    h.deliver("enrolment.counselling.applied",
              applied("parnu", [PARNU, TORI, HAADEMEESTE], [SELTS, KYLASELTS], contact="Mari Maasikas"))
    h.deliver("enrolment.counselling.applied",
              applied("tori", [TORI, HAADEMEESTE], [KYLASELTS], contact="Jaan Tamm", language="en"))
    h.deliver("enrolment.counselling.applied", applied("saarde", [HAADEMEESTE], [SELTS], contact="Toomas Saar"))
    h.deliver("enrolment.counselling.applied",
              applied("audru", [PARNU, TORI], [SELTS], contact="Liis Kuusk", language="en"))
    h.tick()
    at(2019, 7, 5, 10, 0)
    h.deliver("enrolment.counselling.decided", decided("parnu", "Pärnu Linnavalitsus", True, contact="Mari Maasikas"))
    h.deliver("enrolment.counselling.decided",
              decided("tori", "Tori Vallavalitsus", True, contact="Jaan Tamm", language="en"))
    h.deliver("enrolment.counselling.decided",
              decided("saarde", "Häädemeeste Vallavalitsus", False, contact="Toomas Saar"))
    h.deliver("enrolment.counselling.decided",
              decided("audru", "Pärnu Linnavalitsus", False, contact="Liis Kuusk", language="en"))
    h.tick()

    receipt, = smtp.to("kontakt@parnu.ee", "counselling_application_received")
    selected_et, = smtp.to("kontakt@parnu.ee", "counselling_selected")
    assert selected_et.subject == "Teie taotlus on valitud 2019. aasta nõustamisprogrammi – Pärnu Linnavalitsus"
    # The same organisations in the same order as the receipt, under the same words.
    assert ("Taotlust juhib: Pärnu Linnavalitsus\n"
            "Koos temaga kandideerivad omavalitsused: Tori Vallavalitsus, Häädemeeste Vallavalitsus\n"
            "Partnerid vabaühendustest: MTÜ Pärnu Eakate Päevakeskus, MTÜ Tori Külaselts\n"
            "Nõustamisprogrammi valitud taotlusi kokku: 10\n") in plain(selected_et)
    for name in ("Tori Vallavalitsus", "Häädemeeste Vallavalitsus", "MTÜ Pärnu Eakate Päevakeskus",
                 "MTÜ Tori Külaselts"):
        assert name in plain(receipt) and name in selected_et.html
    assert ("Palun andke otsusest teada ka teistele taotluses osalevatele omavalitsustele ja partneritele "
            "vabaühendustest.") in plain(selected_et)
    assert "Tori Vallavalitsus, Häädemeeste Vallavalitsus</td>" in selected_et.html

    selected_en, = smtp.to("kontakt@tori.ee", "counselling_selected")
    assert ("Leading the application: Tori Vallavalitsus\n"
            "Local governments applying with it as a group: Häädemeeste Vallavalitsus\n"
            "NGO partners: MTÜ Tori Külaselts\n"
            "Applications selected in all: 10\n") in plain(selected_en)
    assert ("Please let the other local governments and the NGO partners of your application know of the "
            "decision.") in plain(selected_en)
    assert "MTÜ Tori Külaselts</td>" in selected_en.html

    # A local government alone, with its NGO partner: no group line; the cooperation is named.
    not_selected_et, = smtp.to("kontakt@saarde.ee", "counselling_not_selected")
    assert ("Taotlust juhib: Häädemeeste Vallavalitsus\n"
            "Partnerid vabaühendustest: MTÜ Pärnu Eakate Päevakeskus\n"
            "Nõustamisprogrammi valitud taotlusi kokku: 10\n") in plain(not_selected_et)
    assert "Koos temaga kandideerivad" not in plain(not_selected_et)
    assert "MTÜ Pärnu Eakate Päevakeskus</td>" in not_selected_et.html

    not_selected_en, = smtp.to("kontakt@audru.ee", "counselling_not_selected")
    assert ("Leading the application: Pärnu Linnavalitsus\n"
            "Local governments applying with it as a group: Tori Vallavalitsus\n"
            "NGO partners: MTÜ Pärnu Eakate Päevakeskus\n") in plain(not_selected_en)
    assert "Tori Vallavalitsus</td>" in not_selected_en.html
    assert len(smtp.received) == 8


def test_a_group_without_ngo_partners_is_asked_to_tell_only_its_local_governments(notify, smtp):
    at(2019, 7, 5, 10, 0)
    h = notify()
    h.deliver("enrolment.counselling.applied", applied("parnu", [PARNU, TORI], [], contact="Mari Maasikas"))
    h.deliver("enrolment.counselling.applied", applied("tori", [TORI], [], contact="Jaan Tamm", language="en"))
    h.deliver("enrolment.counselling.decided", decided("parnu", "Pärnu Linnavalitsus", True, contact="Mari Maasikas"))
    h.deliver("enrolment.counselling.decided",
              decided("tori", "Tori Vallavalitsus", True, contact="Jaan Tamm", language="en"))
    h.tick()
    group, = smtp.to("kontakt@parnu.ee", "counselling_selected")
    assert "Koos temaga kandideerivad omavalitsused: Tori Vallavalitsus\n" in plain(group)
    assert "Partnerid vabaühendustest" not in plain(group)
    assert "Palun andke otsusest teada ka teistele taotluses osalevatele omavalitsustele.\n" in plain(group)
    alone, = smtp.to("kontakt@tori.ee", "counselling_selected")
    for body in (plain(alone), alone.html):  # nobody else to tell
        assert "Please let" not in body and "applying with it" not in body and "NGO partners" not in body


def test_a_decision_before_its_application_names_the_applicant_and_still_goes_once(notify, smtp):
    at(2019, 7, 5, 10, 0)
    h = notify()
    h.deliver("enrolment.counselling.decided", decided("parnu", "Pärnu Linnavalitsus", True, contact="Mari Maasikas"))
    h.deliver("enrolment.counselling.decided",
              decided("tori", "Tori Vallavalitsus", False, contact="Jaan Tamm", language="en"))
    h.tick()
    selected, = smtp.to("kontakt@parnu.ee")
    assert selected.template == "counselling_selected"
    assert "Taotlust juhib: Pärnu Linnavalitsus\nNõustamisprogrammi valitud taotlusi kokku: 10\n" in plain(selected)
    # Whom else to tell is not known: the general request, as before.
    assert "Palun andke otsusest teada ka teistele taotluses osalevatele omavalitsustele ja partneritele." \
        in plain(selected)
    not_selected, = smtp.to("kontakt@tori.ee")
    assert "Leading the application: Tori Vallavalitsus\nApplications selected in all: 10\n" in plain(not_selected)

    # The applications arrive late (a replayed dead letter): their receipts go; the decisions do not again.
    h.deliver("enrolment.counselling.applied",
              applied("parnu", [PARNU, TORI, HAADEMEESTE], [SELTS], contact="Mari Maasikas"))
    h.deliver("enrolment.counselling.applied", applied("tori", [TORI], [], contact="Jaan Tamm", language="en"))
    h.tick()
    assert sorted(m.template for m in smtp.to("kontakt@parnu.ee")) == [
        "counselling_application_received", "counselling_selected"]
    assert len(smtp.received) == 4
    assert {(r.template, r.status) for r in rows(h)} == {
        ("counselling_application_received", "sent"), ("counselling_selected", "sent"),
        ("counselling_not_selected", "sent")}
    # A decision announced again afterwards sends nothing either.
    h.deliver("enrolment.counselling.decided", decided("parnu", "Pärnu Linnavalitsus", True, contact="Mari Maasikas"))
    h.tick()
    assert len(smtp.received) == 4


def test_an_application_handled_just_after_its_decision_is_named_in_the_decision_not_yet_sent(notify, smtp):
    at(2019, 7, 5, 10, 0)
    h = notify()
    h.deliver("enrolment.counselling.decided", decided("parnu", "Pärnu Linnavalitsus", True, contact="Mari Maasikas"))
    h.deliver("enrolment.counselling.applied",
              applied("parnu", [PARNU, TORI, HAADEMEESTE], [SELTS], contact="Mari Maasikas"))
    h.tick()
    selected, = smtp.to("kontakt@parnu.ee", "counselling_selected")
    assert "Koos temaga kandideerivad omavalitsused: Tori Vallavalitsus, Häädemeeste Vallavalitsus\n" \
        in plain(selected)
    assert "Partnerid vabaühendustest: MTÜ Pärnu Eakate Päevakeskus\n" in plain(selected)
    assert len(smtp.received) == 2 and len(h.payloads("notify.email.sent")) == 2


def test_the_application_heard_again_changes_nothing(notify, smtp):
    at(2019, 7, 5, 10, 0)
    h = notify()
    payload = applied("parnu", [PARNU, TORI], [SELTS], contact="Mari Maasikas")
    envelope = h.envelope("enrolment.counselling.applied", payload)
    h.deliver(envelope=envelope)
    h.deliver(envelope=envelope)  # redelivered
    h.deliver("enrolment.counselling.applied", payload)  # published again
    h.deliver("enrolment.counselling.decided", decided("parnu", "Pärnu Linnavalitsus", False, contact="Mari Maasikas"))
    h.tick()
    decision, = smtp.to("kontakt@parnu.ee", "counselling_not_selected")
    assert ("Taotlust juhib: Pärnu Linnavalitsus\n"
            "Koos temaga kandideerivad omavalitsused: Tori Vallavalitsus\n"
            "Partnerid vabaühendustest: MTÜ Pärnu Eakate Päevakeskus\n") in plain(decision)
    assert len(smtp.received) == 2
