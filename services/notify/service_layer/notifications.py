"""Event handlers: update the contacts projection, then create the e-mails the event causes.

Each runs inside the consumer's batch transaction (``uow.session``) and only creates rows;
the delivery job sends them. Cause keys name the business fact, not the event id, so a fact
published twice (a replay, a producer's retry) still makes one e-mail per recipient:

    submitted:<application>           application_received, member_confirmation_request
    accepted:<application>:<group>     application_accepted (moved to another group: new e-mail)
    esf:<participant>                  esf_data_request (sent once reporting's deadline is known)
    waitlisted:<application>:<city>    rejected:<application>
    absent:<participant>:<missed session>   completed:<participant>
    dropout:<participant>              the first dropout's notice; dropout:<participant>:<n> the n-th
                                       (a dropout after a reinstatement is a new one)
    invoice:<invoice>:issued           invoice:<invoice>:<reminder stage>
    invoice:<invoice>:credited         credit_note (once: a credit note cancels an invoice in full)
    counselling_applied:<counselling application>    counselling_application_received
    counselling_decided:<counselling application>    counselling_selected | counselling_not_selected
    confirm_again:<participant>:<request>   member_confirmation_request, the coordinator's "send again"
    esf_again:<participant>:<request>       esf_data_reminder, the coordinator's "send again"
    invoice_again:<invoice>:<request>       invoice_issued once more, finance's "send the invoice again"

Every personal link (confirmation, ESF data, invoice PDF) is signed when its e-mail is composed
(``emails.personal_link``), never taken from the event or an earlier e-mail: a link quoted in
an event was signed when the event was published and may be dead by the time a reminder goes.

The confirmation request quotes the member's edition's claim cap (from
``enrolment.edition.published``, else NOTIFY_CLAIM_CAP). The dropout notice quotes the cap billing applied to that participant's claim
(``billing.claim.proposed``/``waived`` carry it), so it waits for billing's claim event.
An invoice once paid or credited gets no payment reminder, even from a reminder stage
arriving after that (``settled_invoices``).
"""
from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from services.notify.adapters.models import (
    Application,
    AttendanceDay,
    Edition,
    Email,
    MakeUpBooking,
    Organisation,
    Participant,
    SettledInvoice,
)
from services.notify.config import NotifyConfig
from services.notify.domain import team, terms
from services.notify.service_layer import contacts, emails
from shared import clock
from shared.messaging.tables import insert_ignoring_duplicates

log = logging.getLogger(__name__)


def _name(first: str | None, last: str | None) -> str:
    return " ".join(part for part in (first, last) if part)


def _team_recipients(app: Application, members: list[Participant]) -> list[tuple[str, str, str]]:
    """(address, display name, language): the team contact, then each current member."""
    people = [(app.contact_email, "", app.language)] if app.contact_email else []
    people += [(m.email, m.full_name, m.language) for m in members if m.email]
    return people


def _claim_cap(session, edition_id: str | None, config: NotifyConfig) -> Decimal:
    """The cap the member's edition states (what enrolment's conditions show them); the
    setting if enrolment did not send one."""
    edition = session.get(Edition, edition_id) if edition_id else None
    return edition.claim_cap if edition is not None and edition.claim_cap is not None else config.claim_cap


def _confirm_link(participant_id: str) -> dict:
    return {"confirm_url": emails.personal_link("confirm", participant_id)}


def _esf_link(participant_id: str) -> dict:
    return {"esf_url": emails.personal_link("esf", participant_id)}


# -- enrolment ---------------------------------------------------------------------------------
def on_edition_published(uow, event, config: NotifyConfig) -> None:
    contacts.on_edition_published(uow, event)


def on_application_submitted(uow, event, config: NotifyConfig) -> None:
    data = event.data
    app = contacts.record_submitted(uow.session, data, submitted_at=event.occurred_at)
    orgs = {o["organisation_id"]: o["name"] for o in data["organisations"]}
    key = f"submitted:{data['application_id']}"
    emails.queue(uow, config, template="application_received", recipient=data["contact_email"],
                 language=app.language, cause_key=key, params={
                     "team_name": data["team_name"], "edition_id": data["edition_id"],
                     # Local governments first, then NGOs; by organisation and name within (domain/team.py).
                     "member_groups": team.member_groups(data["members"], data["organisations"]),
                     "preferred_cities": data["preferred_cities"]})
    for member in data["members"]:
        # The link is notify's own, signed when the e-mail is composed (enrolment's confirm_url
        # in the event is the same link signed earlier: never quoted, see emails.sign_links).
        emails.queue(uow, config, template="member_confirmation_request", recipient=member["email"],
                     recipient_name=_name(member["first_name"], member["last_name"]),
                     language=member.get("language"), cause_key=key,
                     personal_links=_confirm_link(member["participant_id"]),
                     params={"first_name": member["first_name"], "team_name": data["team_name"],
                             "edition_id": data["edition_id"],
                             "employer_name": orgs.get(member["organisation_id"], ""),
                             "claim_cap": _claim_cap(uow.session, data["edition_id"], config)})


def on_member_confirmed(uow, event, config: NotifyConfig) -> None:
    app = contacts.record_confirmed(uow.session, event.data)
    if app.all_confirmed:
        # A reminder created but not yet sent has nothing left to remind of.
        for stage in config.reminders.deadline_lead_days:
            emails.cancel(uow.session, cause_key=f"deadline:{app.application_id}:{stage}d",
                          templates=("deadline_reminder",))


def on_application_accepted(uow, event, config: NotifyConfig) -> None:
    data = event.data
    app = contacts.record_accepted(uow.session, data)
    members = contacts.members_of(uow.session, app.application_id, statuses=("accepted",))
    key = f"accepted:{app.application_id}:{data['group_id']}"
    params = {"team_name": app.team_name or data.get("team_name") or "", "city": data["city"],
              "group_id": data["group_id"]}
    if app.contact_email:
        emails.queue(uow, config, template="application_accepted", recipient=app.contact_email,
                     language=app.language, cause_key=key, params=params)
    for member in (m for m in members if m.email):
        # participant_id: a newcomer who joined after a day began is told that day was before them.
        emails.queue(uow, config, template="application_accepted", recipient=member.email,
                     recipient_name=member.full_name, language=member.language, cause_key=key,
                     params={**params, "participant_id": member.participant_id})
    for member in members:
        request_esf_data(uow, config, member)


def request_esf_data(uow, config: NotifyConfig, member: Participant) -> None:
    """The ESF data request with the participant's personal link, once per participant.

    It names reporting's deadline: created at acceptance, it waits until
    ``reporting.esf_data.requested`` has brought that date (whichever arrives first)."""
    if member.esf_completed or not member.email:
        return
    if member.esf_requested_at is None and member.esf_deadline is not None:
        member.esf_requested_at = clock.now()  # it goes now: the reminder's minimum gap counts from here
    emails.queue(uow, config, template="esf_data_request", recipient=member.email,
                 recipient_name=member.full_name, language=member.language,
                 cause_key=f"esf:{member.participant_id}", personal_links=_esf_link(member.participant_id),
                 params={"first_name": member.first_name, "group_id": member.group_id,
                         "participant_id": member.participant_id})


def on_application_waitlisted(uow, event, config: NotifyConfig) -> None:
    data = event.data
    app = contacts.record_decision(uow.session, data, "waitlisted")
    members = contacts.members_of(uow.session, app.application_id, statuses=("applicant", "accepted"))
    for address, name, language in _team_recipients(app, members):
        emails.queue(uow, config, template="application_waitlisted", recipient=address, recipient_name=name,
                     language=language, cause_key=f"waitlisted:{app.application_id}:{data['city']}",
                     params={"team_name": app.team_name or "", "city": data["city"],
                             "position": data["position"]})


def on_application_rejected(uow, event, config: NotifyConfig) -> None:
    data = event.data
    app = contacts.record_decision(uow.session, data, "rejected")
    members = contacts.members_of(uow.session, app.application_id, statuses=("applicant", "accepted"))
    for address, name, language in _team_recipients(app, members):
        emails.queue(uow, config, template="application_rejected", recipient=address, recipient_name=name,
                     language=language, cause_key=f"rejected:{app.application_id}",
                     params={"team_name": app.team_name or "", "reason": data["reason"]})


def on_member_substituted(uow, event, config: NotifyConfig) -> None:
    """A new member of an accepted team gets what the others got: the dates and the ESF request."""
    data = event.data
    member = contacts.record_substituted(uow.session, data, joined_at=event.occurred_at)
    app = uow.session.get(Application, data["application_id"])
    _cancel_leavers_emails(uow, data["left_participant_id"])
    if data.get("confirm_url"):
        # The newcomer confirms the conditions like every member who applied.
        employer = uow.session.get(Organisation, data["member"]["organisation_id"])
        emails.queue(uow, config, template="member_confirmation_request", recipient=member.email,
                     recipient_name=member.full_name, language=member.language,
                     cause_key=f"substituted:{member.participant_id}",
                     personal_links=_confirm_link(member.participant_id),
                     params=_confirmation_params(uow.session, config, member, app,
                                                 data.get("team_name") or app.team_name or "", employer))
    if app.status != "accepted" or not app.group_id:
        return
    emails.queue(uow, config, template="application_accepted", recipient=member.email,
                 recipient_name=member.full_name, language=member.language,
                 cause_key=f"accepted:{app.application_id}:{app.group_id}",
                 params={"team_name": app.team_name or "", "city": app.city or "", "group_id": app.group_id,
                         "participant_id": member.participant_id})
    request_esf_data(uow, config, member)


# What a member who left gets no more once substituted, should it still be waiting or queued (a
# reminder held back by a temporary SMTP failure): the reminders of their group's sessions and of
# sessions they booked to make up a day, and an absence notice with make-up options.
_LEAVERS_CANCELLED = ("session_reminder", "absence_make_up")


def _cancel_leavers_emails(uow, participant_id: str) -> int:
    leaver = uow.session.get(Participant, participant_id)
    if leaver is None or not leaver.email:
        return 0
    sessions = [day.session_id for day in emails.group_sessions(uow.session, leaver.group_id)]
    sessions += list(uow.session.scalars(select(MakeUpBooking.session_id).where(
        MakeUpBooking.participant_id == participant_id)))
    rows = uow.session.scalars(select(Email).where(
        Email.recipient == leaver.email.strip().lower(), Email.template.in_(_LEAVERS_CANCELLED),
        Email.status.in_(("waiting", "queued")))).all()
    cancelled = 0
    for row in rows:
        ours = (row.cause_key.startswith(f"absent:{participant_id}:") if row.template == "absence_make_up"
                else row.cause_key.split(":")[1] in sessions)
        if ours:
            row.status, row.updated_at, row.next_attempt_at = "cancelled", clock.now(), None
            cancelled += 1
    if cancelled:
        log.info("e-mails to a substituted member cancelled", extra={"participant_id": participant_id,
                                                                     "count": cancelled})
    return cancelled


def _confirmation_params(session, config: NotifyConfig, member: Participant, app: Application, team_name: str,
                         employer: Organisation | None) -> dict:
    return {"first_name": member.first_name, "team_name": team_name, "edition_id": app.edition_id or "",
            "employer_name": employer.name if employer else "",
            "claim_cap": _claim_cap(session, app.edition_id, config)}


def on_confirmation_requested_again(uow, event, config: NotifyConfig) -> None:
    """The coordinator sends a member who has not confirmed the request again, with a link
    signed now (the first one may have expired): one e-mail per request (its ``request_id``, the
    coordinator's click), so a double submit or a replayed event sends nothing more."""
    data = event.data
    member = contacts.participant(uow.session, data["participant_id"])
    app = uow.session.get(Application, member.application_id or data["application_id"])
    if member.confirmed or member.status not in ("applicant", "accepted") or app is None:
        log.info("no confirmation request again: confirmed or no longer in the team",
                 extra={"participant_id": member.participant_id, "status": member.status})
        return
    if not member.email:
        raise LookupError(f"participant {data['participant_id']} is unknown to notify (no contact yet)")
    employer = uow.session.get(Organisation, member.organisation_id) if member.organisation_id else None
    emails.queue(uow, config, template="member_confirmation_request", recipient=member.email,
                 recipient_name=member.full_name, language=member.language,
                 cause_key=f"confirm_again:{member.participant_id}:{data['request_id']}",
                 personal_links=_confirm_link(member.participant_id),
                 params=_confirmation_params(uow.session, config, member, app, app.team_name or "", employer))


def on_member_withdrawn(uow, event, config: NotifyConfig) -> None:
    contacts.record_withdrawn(uow.session, event.data["participant_id"], event.data["application_id"])


def on_application_withdrawn(uow, event, config: NotifyConfig) -> None:
    contacts.record_application_withdrawn(uow.session, event.data)


# -- the counselling programme (after the last workshop) ----------------------------------------
# The applied event names the whole application: notify keeps whom it names
# (``counselling_applications``), as the decided event names only the leading local government
# and the decision e-mails name the group. The applicant's contact person goes in as
# ``contact_person``: ``contact_name``/``contact_email`` are the coordinator's signature (the
# layout's, from the settings).
def on_counselling_applied(uow, event, config: NotifyConfig) -> None:
    """The receipt to the application's contact person: the local governments (the first one
    leads), the NGO partners, and the deadline after which the selection is announced. A decision
    handled before it (events have no order) and not sent yet is composed again, naming the group."""
    data = event.data
    application_id = data["counselling_application_id"]
    contacts.record_counselling_applied(uow.session, data, applied_at=event.occurred_at)
    lead, *partners = data["local_governments"]
    emails.queue(uow, config, template="counselling_application_received", recipient=data["contact_email"],
                 recipient_name=data["contact_name"], language=data["language"],
                 cause_key=f"counselling_applied:{application_id}",
                 params={"contact_person": data["contact_name"], "year": data["year"],
                         "lead_local_government": lead, "partner_local_governments": partners,
                         "ngo_partners": data["ngo_partners"], "deadline": data["deadline"]})
    emails.recompose(uow, config, cause_key=f"counselling_decided:{application_id}",
                     templates=("counselling_selected", "counselling_not_selected"))


def on_counselling_decided(uow, event, config: NotifyConfig) -> None:
    """The coordinator's decision on one application, to its contact person. One cause key for
    both outcomes: the decision announced again sends nothing; a changed one sends the other
    template once (the unique key holds the template). The e-mail names the application's other
    local governments and NGO partners from the applied event (looked up when it is composed);
    before that has arrived it names the leading local government alone, rather than wait."""
    data = event.data
    emails.queue(uow, config, template="counselling_selected" if data["selected"] else "counselling_not_selected",
                 recipient=data["contact_email"], recipient_name=data["contact_name"], language=data["language"],
                 cause_key=f"counselling_decided:{data['counselling_application_id']}",
                 params={"contact_person": data["contact_name"], "applicant_name": data["applicant_name"],
                         "counselling_application_id": data["counselling_application_id"],
                         "year": data["year"], "selected_count": data["selected_count"]})


# -- attendance ---------------------------------------------------------------------------------
def on_participant_absent(uow, event, config: NotifyConfig) -> None:
    data = event.data
    member = contacts.participant(uow.session, data["participant_id"])
    if not member.email:
        raise LookupError(f"participant {data['participant_id']} is unknown to notify (no contact yet)")
    emails.queue(uow, config, template="absence_make_up", recipient=member.email,
                 recipient_name=member.full_name, language=member.language,
                 cause_key=f"absent:{member.participant_id}:{data['missed_session_id']}",
                 params={"first_name": member.first_name, "day_number": data["day_number"],
                         "missed_session_id": data["missed_session_id"],
                         "participant_id": member.participant_id,  # joined the team after that day?
                         "make_up_sessions": [{"session_id": s["session_id"], "city": s["city"],
                                               "date": s["date"]} for s in data["make_up_sessions"]]})


def dropout_key(participant_id: str, dropout: int) -> str:
    """The cause key of a participant's n-th dropout notice: the first keeps the key it always had."""
    return f"dropout:{participant_id}" if dropout <= 1 else f"dropout:{participant_id}:{dropout}"


def on_participant_dropped_out(uow, event, config: NotifyConfig) -> None:
    """One dropout notice per dropout. A dropout heard of after a reinstatement (the newest event
    about the participant's dropout being that reinstatement, or none at all) is a new one with a
    notice of its own, which states the claim as billing proposes it again (511e710); the same
    dropout again (redelivered, republished) or one older than a reinstatement already heard of
    sends nothing."""
    data = event.data
    member = contacts.participant(uow.session, data["participant_id"])
    member.application_id = member.application_id or data["application_id"]
    member.first_name = member.first_name or data.get("first_name") or None
    member.last_name = member.last_name or data.get("last_name") or None
    contacts.upsert_organisation(uow.session, data["employer"])
    if member.dropout_as_of is not None and event.occurred_at < member.dropout_as_of:
        log.info("an older dropout changes nothing", extra={"participant_id": member.participant_id,
                                                            "event_id": event.event_id})
        return
    if member.dropout_state != "dropped_out":
        member.dropouts = (member.dropouts or 0) + 1
    member.dropout_state, member.dropout_as_of = "dropped_out", event.occurred_at
    member.status = "dropped_out"
    if not member.email:
        raise LookupError(f"participant {data['participant_id']} is unknown to notify (no contact yet)")
    emails.queue(uow, config, template="dropout_notice", recipient=member.email,
                 recipient_name=member.full_name, language=member.language,
                 cause_key=dropout_key(member.participant_id, member.dropouts),
                 # claim_cap: added when composed, from billing's claim (emails._context); dropout and
                 # dropout_at: a later dropout's notice waits for billing's claim of it (a waiver of
                 # the earlier one is not its).
                 params={"first_name": member.first_name, "reason": data["reason"],
                         "days_attended": data["days_attended"], "days_held": data["days_held"],
                         "employer_name": data["employer"]["name"], "participant_id": member.participant_id,
                         "dropout": member.dropouts, "dropout_at": event.occurred_at})


def on_claim_terms(uow, event, config: NotifyConfig) -> None:
    """billing.claim.proposed / waived: the cap billing applied, which the dropout notice quotes,
    and whether a claim is made at all. A waiver (billing's own for a 0.00 claim: no day held for
    the participant; or the coordinator's) means no invoice will come, so the notice says no claim
    is made rather than name the employer's liability. The newest event about the claim wins (a
    claim proposed again after a reinstatement, or an older event delivered late); the notice of
    the current dropout, not sent yet, is composed again with it."""
    data = event.data
    member = contacts.participant(uow.session, data["participant_id"])
    newest = member.claim_as_of is None or event.occurred_at >= member.claim_as_of
    if newest:
        member.claim_waived = event.event_type == "billing.claim.waived"
        member.claim_as_of = event.occurred_at
    if data.get("cap") is not None and (newest or member.claim_cap is None):
        member.claim_cap = data["cap"]
    if member.claim_cap is None:
        return  # an older billing that did not send it: the notice keeps waiting for one that does
    uow.session.flush()
    emails.recompose(uow, config, cause_key=dropout_key(member.participant_id, member.dropouts or 1),
                     templates=("dropout_notice",))


def on_participant_reinstated(uow, event, config: NotifyConfig) -> None:
    """The dropout is undone (a correction, a moved session, a changed make-up rule): its notice,
    if it has not gone yet (waiting for billing's claim, which billing now withdraws, or held back
    by a temporary SMTP failure), is cancelled; a later dropout is a new one. A reinstatement older
    than the dropout heard of undoes nothing."""
    member = contacts.participant(uow.session, event.data["participant_id"])
    member.application_id = member.application_id or event.data["application_id"]
    if member.dropout_as_of is not None and event.occurred_at < member.dropout_as_of:
        log.info("an older reinstatement changes nothing", extra={"participant_id": member.participant_id,
                                                                  "event_id": event.event_id})
        return
    member.dropout_state, member.dropout_as_of = "reinstated", event.occurred_at
    if member.dropouts:
        cancelled = emails.cancel(uow.session, cause_key=dropout_key(member.participant_id, member.dropouts),
                                  templates=("dropout_notice",))
        if cancelled:
            log.info("dropout notice cancelled: reinstated", extra={"participant_id": member.participant_id})
    if member.status == "dropped_out":  # the correction undoes the dropout, nothing else
        member.status = "accepted"


def on_make_up_rule_changed(uow, event, config: NotifyConfig) -> None:
    """The edition's make-up rule, which the confirmation request, the absence and dropout notices
    and the session reminders state from now on (e-mails already composed keep what they said)."""
    contacts.record_make_up_rule(uow.session, event.data)


def on_make_up_booked(uow, event, config: NotifyConfig) -> None:
    # No e-mail now: the session's reminder goes to the guest too (reminders._session_reminders).
    contacts.record_make_up(uow.session, event.data, booked=True, as_of=event.occurred_at)


def on_make_up_cancelled(uow, event, config: NotifyConfig) -> None:
    contacts.record_make_up(uow.session, event.data, booked=False, as_of=event.occurred_at)


def on_participant_completed(uow, event, config: NotifyConfig) -> None:
    data = event.data
    member = contacts.participant(uow.session, data["participant_id"])
    member.application_id = member.application_id or data["application_id"]
    member.status = "completed"
    if not member.email:
        raise LookupError(f"participant {data['participant_id']} is unknown to notify (no contact yet)")
    app = uow.session.get(Application, member.application_id)
    emails.queue(uow, config, template="completion", recipient=member.email,
                 recipient_name=member.full_name, language=member.language,
                 cause_key=f"completed:{member.participant_id}",
                 params={"first_name": member.first_name, "team_name": (app.team_name if app else "") or ""})


# -- billing and reporting ----------------------------------------------------------------------
def _invoice_link(data: dict) -> dict:
    # Billing's pdf_url is this same link signed when it published: notify signs its own when
    # the e-mail is composed, so a reminder or a resent e-mail never quotes an old one.
    return {"pdf_url": emails.personal_link("invoice", data["invoice_id"])}


def _vat_params(data: dict) -> dict:
    """Whether the invoice carries VAT, where the event says (its vat_rate and vat_amount); else
    composing looks up how billing.invoice.issued split it (``invoice_id``)."""
    params = {"invoice_id": data["invoice_id"]}
    if data.get("vat_rate") is not None and data.get("vat_amount") is not None:
        params["vat_applied"] = terms.invoice_carries_vat(data["vat_rate"], data["vat_amount"])
    return params


def _invoice_params(uow, data: dict) -> dict:
    employer = data["employer"]
    member = uow.session.get(Participant, data["participant_id"]) if data.get("participant_id") else None
    return {"employer_name": employer["name"], "participant_name": member.full_name if member else "",
            "invoice_number": data["invoice_number"], "amount_gross": data["amount_gross"],
            "due_date": data["due_date"], "reference_number": data["reference_number"], **_vat_params(data)}


def on_invoice_issued(uow, event, config: NotifyConfig) -> None:
    data = event.data
    employer = data["employer"]
    contacts.upsert_organisation(uow.session, employer)
    contacts.record_invoice_vat(uow.session, data)
    emails.queue(uow, config, template="invoice_issued", recipient=employer["billing_email"],
                 recipient_name=employer["name"], language="et", personal_links=_invoice_link(data),
                 cause_key=f"invoice:{data['invoice_id']}:issued", params=_invoice_params(uow, data))


def on_invoice_email_requested_again(uow, event, config: NotifyConfig) -> None:
    """Finance has the invoice e-mail sent once more (it never arrived, or went to the wrong
    address: ``recipient_email``), the same e-mail with a link signed now: one per ``request_id``
    (finance's click), so a double submit or a replayed event sends nothing more. Not for an
    invoice paid or credited meanwhile: "please pay" would be wrong."""
    data = event.data
    settled = uow.session.get(SettledInvoice, data["invoice_id"])
    if settled is not None:
        log.info("no invoice e-mail again for a settled invoice", extra={
            "invoice_id": data["invoice_id"], "settled_by": settled.settled_by})
        return
    emails.queue(uow, config, template="invoice_issued", recipient=data["recipient_email"],
                 recipient_name=data["employer"]["name"], language="et", personal_links=_invoice_link(data),
                 cause_key=f"invoice_again:{data['invoice_id']}:{data['request_id']}",
                 params=_invoice_params(uow, data))


def reminder_stage(stage: str) -> str:
    """Billing's stage names → the payment reminder's wording: due soon, overdue, second notice."""
    if stage == "due_soon":
        return "due_soon"
    if stage in ("final_notice", "second_notice") or stage.startswith("overdue_") \
            and stage.removeprefix("overdue_").isdigit() and int(stage.removeprefix("overdue_")) >= 14:
        return "overdue_14"
    return "overdue_1"


def on_invoice_overdue(uow, event, config: NotifyConfig) -> None:
    data = event.data
    employer = data["employer"]
    contacts.upsert_organisation(uow.session, employer)
    settled = uow.session.get(SettledInvoice, data["invoice_id"])
    if settled is not None:
        # Handled after the payment or credit note (no ordering on the bus): "you have not paid" would be wrong.
        log.info("no payment reminder for a settled invoice", extra={
            "invoice_id": data["invoice_id"], "stage": data["stage"], "settled_by": settled.settled_by})
        return
    amount = data.get("amount_due") if data.get("amount_due") is not None else data["amount_gross"]
    emails.queue(uow, config, template="payment_reminder", recipient=employer["billing_email"],
                 recipient_name=employer["name"], language="et", personal_links=_invoice_link(data),
                 cause_key=f"invoice:{data['invoice_id']}:{data['stage']}",
                 params={"employer_name": employer["name"], "invoice_number": data["invoice_number"],
                         "amount_gross": amount, "due_date": data["due_date"],
                         "reference_number": data["reference_number"], "stage": reminder_stage(data["stage"]),
                         **_vat_params(data)})


def on_esf_data_requested(uow, event, config: NotifyConfig) -> None:
    """Reporting's ESF data deadline, new or changed: the waiting request can go now (if the
    acceptance came first; otherwise the acceptance sends it), the reminder counts from it."""
    data = event.data
    member = contacts.participant(uow.session, data["participant_id"])
    if member.esf_deadline_as_of is not None and event.occurred_at < member.esf_deadline_as_of:
        return  # an older deadline arriving late
    member.esf_deadline, member.esf_deadline_as_of = data["deadline"], event.occurred_at
    waiting = list(uow.session.scalars(select(Email.id).where(
        Email.cause_key == f"esf:{member.participant_id}", Email.status == "waiting")))
    if waiting and member.esf_requested_at is None:
        member.esf_requested_at = clock.now()
    uow.session.flush()
    for email_id in waiting:
        emails.compose(uow, config, email_id)
    if not waiting and member.status in ESF_LEFT:
        # Reporting asks one who left the team after attending a day (their form stays open,
        # 4e45b17), also when notify heard of the leaving before the team's acceptance (which
        # then sent them nothing): the request goes now, once (esf:<participant>).
        request_esf_data(uow, config, member)


def on_attendance_recorded(uow, event, config: NotifyConfig) -> None:
    """Whether the participant was present at the session, the newest record or correction
    winning: one present at any day is an ESF participant for reporting also after leaving the
    team, and the ESF reminder tick still reminds them (``attended``)."""
    data = event.data
    day = uow.session.get(AttendanceDay, (data["participant_id"], data["session_id"]))
    if day is None:
        uow.session.add(AttendanceDay(participant_id=data["participant_id"], session_id=data["session_id"],
                                      present=bool(data["present"]), as_of=event.occurred_at))
    elif event.occurred_at >= day.as_of:
        day.present, day.as_of = bool(data["present"]), event.occurred_at


def attended(session, participant_id: str) -> bool:
    """Present at a day of the programme (own group's or a make-up): reporting's entry."""
    return session.scalar(select(AttendanceDay.session_id).where(
        AttendanceDay.participant_id == participant_id, AttendanceDay.present.is_(True)).limit(1)) is not None


def on_invoice_credited(uow, event, config: NotifyConfig) -> None:
    """The credit note to the employer (with billing's signed PDF link); no reminder of the
    cancelled invoice goes out any more."""
    data = event.data
    settle(uow, data["invoice_id"], "credited", event.occurred_at)
    employer = data.get("employer")
    if not employer:
        raise LookupError(f"billing.invoice.credited {data['invoice_id']} names no employer to send it to")
    contacts.upsert_organisation(uow.session, employer)
    url = data.get("pdf_url") or None
    if not url:
        raise LookupError(f"billing.invoice.credited {data['invoice_id']} carries no PDF link")
    # The credit note's own link (billing names no credit note id): signed afresh when composed.
    emails.queue(uow, config, template="credit_note", recipient=employer["billing_email"],
                 recipient_name=employer["name"], language="et",
                 personal_links={"pdf_url": emails.link_from_url(config, url)},
                 cause_key=f"invoice:{data['invoice_id']}:credited",
                 params={"employer_name": employer["name"], "invoice_number": data.get("invoice_number") or "",
                         "credit_note_number": data["credit_note_number"], "amount_gross": data["amount_gross"],
                         "reason": data.get("reason") or "", **_vat_params(data)})


def on_invoice_paid(uow, event, config: NotifyConfig) -> None:
    settle(uow, event.data["invoice_id"], "paid", event.occurred_at)


def settle(uow, invoice_id: str, settled_by: str, occurred_at) -> None:
    """Remember the invoice as settled (a later reminder stage is refused) and cancel its reminders.

    Billing never re-opens a paid or credited invoice (no event for it), so the mark stays."""
    table = SettledInvoice.__table__
    uow.session.execute(insert_ignoring_duplicates(table, uow.session.get_bind().dialect.name).values(
        invoice_id=invoice_id, settled_by=settled_by, settled_at=occurred_at))
    cancel_payment_reminders(uow, invoice_id)


def cancel_payment_reminders(uow, invoice_id: str) -> int:
    """A paid or credited invoice: payment reminders not sent yet are pointless (and wrong)."""
    keys = list(uow.session.scalars(select(Email.cause_key).distinct().where(
        Email.template == "payment_reminder", Email.cause_key.startswith(f"invoice:{invoice_id}:", autoescape=True),
        Email.status.in_(("waiting", "queued")))))
    return sum(emails.cancel(uow.session, cause_key=key, templates=("payment_reminder",)) for key in keys)


def on_esf_data_completed(uow, event, config: NotifyConfig) -> None:
    member = contacts.participant(uow.session, event.data["participant_id"])
    member.esf_completed = True
    # The data is in: a request or reminder not yet sent would only confuse.
    emails.cancel(uow.session, cause_key=f"esf:{member.participant_id}", templates=("esf_data_request",))
    emails.cancel(uow.session, cause_key=f"esf_reminder:{member.participant_id}",
                  templates=("esf_data_reminder",))
    for key in uow.session.scalars(select(Email.cause_key).distinct().where(
            Email.template == "esf_data_reminder", Email.status.in_(("waiting", "queued")),
            Email.cause_key.startswith(f"esf_again:{member.participant_id}:", autoescape=True))):
        emails.cancel(uow.session, cause_key=key, templates=("esf_data_reminder",))


# Whom reporting's "ask again" reaches: reporting decides who is asked (the participants its
# completeness page lists), so besides the members in the programme also one who left it (substituted
# or withdrawn) after attending a day, whose ESF form stays open (4e45b17); reporting asks nobody
# who left before attending anything. Never an applicant only (in no group, not in the report).
_ASKED_AGAIN = ("accepted", "completed", "dropped_out", "substituted", "withdrawn")
# Statuses of a member no longer in the team: reporting's ESF e-mails still reach them when it
# asks (reporting.esf_data.requested after they left; the reminder tick: they attended a day).
ESF_LEFT = ("substituted", "withdrawn")


def on_esf_data_requested_again(uow, event, config: NotifyConfig) -> None:
    """The coordinator asks a participant whose ESF data is missing once more, with a link
    signed now: one e-mail per request (its ``request_id``), even after the deadline (when no
    reminder goes by itself any more). It names the deadline the completeness page shows."""
    data = event.data
    member = contacts.participant(uow.session, data["participant_id"])
    if member.esf_completed or member.status not in _ASKED_AGAIN:
        log.info("no ESF data request again: data complete or not a participant",
                 extra={"participant_id": member.participant_id, "status": member.status})
        return
    if not member.email:
        raise LookupError(f"participant {data['participant_id']} is unknown to notify (no contact yet)")
    params = {"first_name": member.first_name, "participant_id": member.participant_id}
    if data.get("deadline") is not None:
        params["deadline"] = data["deadline"]
        # Sent after the deadline, the e-mail says it has passed instead of asking "by" it.
        params["overdue"] = date.fromisoformat(str(data["deadline"])[:10]) < clock.local(clock.now()).date()
    emails.queue(uow, config, template="esf_data_reminder", recipient=member.email,
                 recipient_name=member.full_name, language=member.language,
                 cause_key=f"esf_again:{member.participant_id}:{data['request_id']}",
                 personal_links=_esf_link(member.participant_id), params=params)
