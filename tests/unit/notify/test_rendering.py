import copy
import re
from datetime import UTC, date, datetime

import jinja2
import jinja2.meta
import pytest
from jinja2 import nodes

from services.notify.domain import rendering
from services.notify.domain.rendering import (
    COMMON_VARIABLES,
    SAMPLE_CONTEXTS,
    TEMPLATE_DIR,
    TEMPLATES,
    VARIABLES,
    RenderError,
    render,
)

FILES = {f"{part}.{lang}.{ext}" for lang in ("et", "en") for part, ext in
         (("subject", "txt"), ("body", "txt"), ("body", "html"))}


def sample(template, **changes):
    return {**copy.deepcopy(SAMPLE_CONTEXTS[template]), **changes}


@pytest.mark.parametrize("language", ["et", "en"])
@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_renders_its_sample(template, language):
    email = render(template, language, SAMPLE_CONTEXTS[template])
    assert email.subject and "\n" not in email.subject and "\r" not in email.subject
    assert email.subject == email.subject.strip()
    assert email.text.strip() and email.html.strip()
    assert email.html.lstrip().startswith("<!DOCTYPE html>")
    assert f'<html lang="{language}">' in email.html
    for output in (email.subject, email.text, email.html):
        assert "{{" not in output and "{%" not in output
    # Every e-mail tells people whom to ask.
    assert SAMPLE_CONTEXTS[template]["contact_email"] in email.text


def test_templates_on_disk_match_the_api():
    folders = {p.name for p in TEMPLATE_DIR.iterdir() if p.is_dir() and not p.name.startswith("_")}
    assert folders == set(TEMPLATES)
    for template in TEMPLATES:
        assert {p.name for p in (TEMPLATE_DIR / template).iterdir()} == FILES, template
    assert set(SAMPLE_CONTEXTS) == set(TEMPLATES)


def _used_variables(env, name):
    """Context variables a template reads, leaving out what it sets or imports itself."""
    tree = env.parse(env.loader.get_source(env, name)[0])
    own = {
        name.name
        for assign in tree.find_all(nodes.Assign)
        for name in [assign.target, *assign.target.find_all(nodes.Name)]
        if isinstance(name, nodes.Name)
    }
    for imported in tree.find_all(nodes.FromImport):
        own.update(alias if isinstance(alias, str) else alias[-1] for alias in imported.names)
    return jinja2.meta.find_undeclared_variables(tree) - own - {"lang", "subject"}


@pytest.mark.parametrize("template", TEMPLATES)
def test_declared_variables_are_exactly_those_the_templates_use(template):
    env = rendering.environment()
    used = set().union(*(_used_variables(env, f"{template}/{name}") for name in FILES))
    assert used - COMMON_VARIABLES == VARIABLES[template]
    assert set(SAMPLE_CONTEXTS[template]) == VARIABLES[template] | COMMON_VARIABLES


def test_layouts_need_only_the_common_variables():
    env = rendering.environment()
    for layout in ("_layout.txt", "_layout.html"):
        assert _used_variables(env, layout) <= COMMON_VARIABLES


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_missing_variable_is_an_error(template):
    for name in VARIABLES[template] | COMMON_VARIABLES:
        context = sample(template)
        del context[name]
        with pytest.raises(RenderError, match=name):
            render(template, "et", context)


def test_a_missing_nested_field_is_an_error():
    context = sample("application_accepted")
    del context["sessions"][0]["venue"]
    with pytest.raises(RenderError):
        render("application_accepted", "en", context)


def test_unknown_template_is_an_error():
    with pytest.raises(RenderError):
        render("welcome", "et", {})


def test_unknown_language_falls_back_to_estonian():
    context = SAMPLE_CONTEXTS["session_reminder"]
    assert render("session_reminder", "de", context) == render("session_reminder", "et", context)
    assert render("session_reminder", None, context) == render("session_reminder", "et", context)


def test_html_is_escaped_and_text_is_not():
    email = render("application_received", "et", sample(
        "application_received", team_name='<script>alert("x")</script>',
        member_groups=[{"kind": "ngo", "members": [{"name": "A & B", "organisation": "C & D"}]}]))
    assert "<script>" not in email.html
    assert "&lt;script&gt;" in email.html
    assert "A &amp; B, C &amp; D" in email.html
    assert '<script>alert("x")</script>' in email.text


def test_subject_is_one_line_whatever_the_data():
    email = render("application_rejected", "en", sample(
        "application_rejected", team_name="Evil\r\nBcc: evil@example.com\nTeam"))
    assert "\n" not in email.subject and "\r" not in email.subject
    assert email.subject == "Decision on the application of team “Evil Bcc: evil@example.com Team”"


def test_only_web_links_become_buttons():
    with pytest.raises(RenderError):
        render("esf_data_request", "et", sample("esf_data_request", esf_url="javascript:alert(1)"))


def test_confirmation_request_states_the_conditions():
    et = render("member_confirmation_request", "et", SAMPLE_CONTEXTS["member_confirmation_request"])
    en = render("member_confirmation_request", "en", SAMPLE_CONTEXTS["member_confirmation_request"])
    for email in (et, en):
        assert SAMPLE_CONTEXTS["member_confirmation_request"]["confirm_url"] in email.text
        assert 'href="https://arenguprogramm.example.org/enrolment/p/' in email.html
        assert "10:00–17:00" in email.text or "10:00 to 17:00" in email.text
    assert "kõigil kolmel koolituspäeval" in et.text
    assert "kuni 768,00 € ulatuses koos käibemaksuga" in et.text
    assert "01.03.2019 kell 23:59" in et.text
    assert "all three workshop days" in en.text
    assert "up to €768.00 including VAT" in en.text
    assert "1 March 2019 at 23:59" in en.text


def test_acceptance_lists_the_three_days_in_tallinn_time():
    et = render("application_accepted", "et", SAMPLE_CONTEXTS["application_accepted"])
    en = render("application_accepted", "en", SAMPLE_CONTEXTS["application_accepted"])
    assert "I päev: teisipäev, 09.04.2019, kell 10:00–17:00" in et.text
    assert "II päev: teisipäev, 30.04.2019" in et.text
    assert "III päev: kolmapäev, 22.05.2019" in et.text
    assert "Day 1: Tuesday, 9 April 2019, 10:00–17:00" in en.text
    assert "Day 3: Wednesday, 22 May 2019" in en.text
    assert "Pärnu Keskraamatukogu" in et.html


def test_sessions_are_listed_in_day_order():
    context = sample("application_accepted")
    context["sessions"].reverse()
    text = render("application_accepted", "en", context).text
    assert text.index("Day 1") < text.index("Day 2") < text.index("Day 3")


def test_session_reminder_without_venue_says_it_is_to_be_confirmed_in_its_language():
    context = sample("session_reminder", venue="",
                     starts_at=datetime(2019, 4, 9, 7, tzinfo=UTC), ends_at=datetime(2019, 4, 9, 14, tzinfo=UTC))
    email = render("session_reminder", "et", context)
    assert "Toimumiskoht: täpsustamisel\n" in email.text and "Toimumiskoht" in email.html
    assert "täpsustamisel</td>" in email.html
    english = render("session_reminder", "en", context)
    assert "Venue: to be confirmed\n" in english.text and "to be confirmed</td>" in english.html
    assert "täpsustamisel" not in english.text + english.html
    assert "Aeg: 10:00–17:00" in email.text
    assert email.subject == "Meeldetuletus: II koolituspäev 09.04.2019 kell 10:00, Pärnu"


@pytest.mark.parametrize(("days", "et", "en"), [
    (7, "on jäänud 7 päeva", "There are 7 days left"),
    (1, "tähtaeg on homme", "deadline is tomorrow"),
    (0, "tähtaeg on täna", "deadline is today"),
])
def test_deadline_reminder_counts_days(days, et, en):
    context = sample("deadline_reminder", days_left=days)
    assert et in render("deadline_reminder", "et", context).text
    assert en in render("deadline_reminder", "en", context).text
    assert "Toomas Saar" in render("deadline_reminder", "en", context).html


def test_absence_without_make_up_options():
    context = sample("absence_make_up", make_up_sessions=[], day_number=3, missed_date=date(2019, 6, 6))
    et = render("absence_make_up", "et", context)
    assert "ei toimu seda koolituspäeva enam üheski teises linnas" in et.text
    assert et.subject == "Puudumine III koolituspäevalt (06.06.2019)"


def test_absence_lists_make_up_sessions_by_date():
    text = render("absence_make_up", "en", SAMPLE_CONTEXTS["absence_make_up"]).text
    assert "Thursday, 11 April 2019 – Tartu" in text
    assert text.index("Tartu") < text.index("Rakvere") < text.index("Tallinn")


def test_absence_states_each_options_own_hours_and_none_where_unknown():
    options = sample("absence_make_up")["make_up_sessions"]
    options[0].update(starts_at=datetime(2019, 4, 11, 6, tzinfo=UTC), ends_at=datetime(2019, 4, 11, 13, tzinfo=UTC))
    options[1].update(starts_at=None, ends_at=None, venue="")  # not in notify's schedule
    context = sample("absence_make_up", make_up_sessions=options)
    et, en = render("absence_make_up", "et", context), render("absence_make_up", "en", context)
    assert "- neljapäev, 11.04.2019 – Tartu, kell 09:00–16:00\n  Toimumiskoht: Tartu Loomemajanduskeskus" in et.text
    assert "- teisipäev, 16.04.2019 – Rakvere\n  Toimumiskoht: täpsustamisel\n- kolmapäev" in et.text
    assert "<li>teisipäev, 16.04.2019 – Rakvere<br>Toimumiskoht: täpsustamisel</li>" in et.html
    assert "- Thursday, 11 April 2019 – Tartu, 09:00–16:00\n  Venue: Tartu Loomemajanduskeskus" in en.text
    assert "- Tuesday, 16 April 2019 – Rakvere\n  Venue: to be confirmed\n- Wednesday" in en.text
    assert "<li>Tuesday, 16 April 2019 – Rakvere<br>Venue: to be confirmed</li>" in en.html
    assert "Wednesday, 17 April 2019 – Tallinn, 10:00–17:00" in en.text


def test_dropout_by_withdrawal():
    email = render("dropout_notice", "et", sample("dropout_notice", reason="withdrawal"))
    assert "loobumisest arenguprogrammist" in email.text
    assert "768,00 €" in email.text


def test_invoice_amounts_and_reference():
    et = render("invoice_issued", "et", SAMPLE_CONTEXTS["invoice_issued"])
    en = render("invoice_issued", "en", SAMPLE_CONTEXTS["invoice_issued"])
    assert "Summa koos käibemaksuga: 512,00 €" in et.text
    assert "Maksetähtaeg: 14.06.2019" in et.text
    assert "Viitenumber: 20190013" in et.text
    assert "Amount including VAT: €512.00" in en.text
    assert "Due date: 14 June 2019" in en.text


def test_sample_reference_number_has_a_valid_check_digit():
    number = SAMPLE_CONTEXTS["invoice_issued"]["reference_number"]
    body, check = number[:-1], int(number[-1])
    total = sum(int(digit) * (7, 3, 1)[i % 3] for i, digit in enumerate(reversed(body)))
    assert check == (10 - total % 10) % 10


@pytest.mark.parametrize(("stage", "en_subject"), [
    ("due_soon", "Reminder: invoice 2019-0001 is due on 14 June 2019"),
    ("overdue_1", "Invoice 2019-0001 is overdue (it was due on 14 June 2019)"),
    ("overdue_14", "Second reminder: invoice 2019-0001 is still unpaid (it was due on 14 June 2019)"),
])
def test_payment_reminder_stages(stage, en_subject):
    context = sample("payment_reminder", stage=stage)
    assert render("payment_reminder", "en", context).subject == en_subject
    et = render("payment_reminder", "et", context)
    assert ("maksetähtaeg on 14.06.2019" in et.text) == (stage == "due_soon")


def test_money_must_not_be_a_float():
    with pytest.raises(TypeError):
        render("invoice_issued", "et", sample("invoice_issued", amount_gross=512.0))


# -- the Estonian wording: the form's "taotlus" and its formal address ---------------------------
# Informal second person singular (sina) and its imperatives/verb forms the e-mails used to carry.
_INFORMAL = re.compile(
    r"\b(sa|sina|sind|sinu|sinule|sul|sulle|sinult|sinuga|oled|osaled|osalesid|arvad|arendad|jääd|saad|"
    r"katkestad|kinnitasid|võid|ava|anna|kirjuta|loe|kinnita|täida|esita|võta|ära|skaneeri)\b",
    re.IGNORECASE)


def _estonian_variants():
    """Every Estonian e-mail in each of its branches (sample data plus the other branches)."""
    yield "", SAMPLE_CONTEXTS
    yield "member", {"deadline_reminder": sample("deadline_reminder", first_name="Jaan",
                                                   confirm_url="https://arenguprogramm.example.org/enrolment/p/x")}
    yield "withdrawal", {"dropout_notice": sample("dropout_notice", reason="withdrawal")}
    yield "no make-up", {"absence_make_up": sample("absence_make_up", make_up_sessions=[])}
    yield "overdue", {"esf_data_reminder": sample("esf_data_reminder", overdue=True)}
    for stage in ("due_soon", "overdue_14"):
        yield stage, {"payment_reminder": sample("payment_reminder", stage=stage)}
    for days in (0, 1):
        yield f"{days} days", {"deadline_reminder": sample("deadline_reminder", days_left=days)}


def test_estonian_emails_address_people_formally_as_the_forms_do():
    for variant, contexts in _estonian_variants():
        for template, context in contexts.items():
            email = render(template, "et", context)
            for part in (email.subject, email.text, email.html):
                found = _INFORMAL.findall(part)
                assert not found, (template, variant, found)


def test_estonian_emails_call_the_application_taotlus_as_the_form_does():
    for variant, contexts in _estonian_variants():
        for template, context in contexts.items():
            email = render(template, "et", context)
            for part in (email.subject, email.text, email.html):
                assert "avaldus" not in part.lower(), (template, variant)
    assert render("application_received", "et", SAMPLE_CONTEXTS["application_received"]).subject \
        == "Taotlus on kätte saadud – meeskond „Pärnu eakate päevakeskus“"
    assert render("application_rejected", "et", SAMPLE_CONTEXTS["application_rejected"]).subject \
        == "Otsus meeskonna „Häädemeeste külaselts“ taotluse kohta"
    confirmation = render("member_confirmation_request", "et", SAMPLE_CONTEXTS["member_confirmation_request"])
    assert "on esitanud taotluse avalike teenuste" in confirmation.text
    assert "Taotlus on täielik alles siis, kui kõik liikmed on kinnitanud" in confirmation.text
    assert confirmation.subject == "Palun kinnitage oma osalemine arenguprogrammis (meeskond „Pärnu eakate päevakeskus“)"
    reminder = render("deadline_reminder", "et", SAMPLE_CONTEXTS["deadline_reminder"])
    assert "Taotluste tähtajani on jäänud 7 päeva" in reminder.text
    assert "Taotlus osaleb valikus ainult siis" in reminder.text


@pytest.mark.parametrize(("days_attended", "thanked"), [(0, False), (1, True), (2, True)])
def test_dropout_thanks_for_participation_only_when_there_was_some(days_attended, thanked):
    context = sample("dropout_notice", days_attended=days_attended)
    et, en = render("dropout_notice", "et", context), render("dropout_notice", "en", context)
    for email, thanks in ((et, "Täname teid senise osalemise eest!"), (en, "Thank you for taking part so far!")):
        assert (thanks in email.text) is thanked and (thanks in email.html) is thanked
    # No thanks leaves no gap: the last paragraph is followed by the signature's one blank line.
    assert "\n\n\n" not in et.text and "\n\n\n" not in en.text


@pytest.mark.parametrize("template", TEMPLATES)
def test_an_unset_contact_name_signs_in_the_emails_own_language(template):
    signed = {"et": "Parimate soovidega{}Programmi koordinaator", "en": "Kind regards,{}Programme coordinator"}
    for language in ("et", "en"):
        email = render(template, language, sample(template, contact_name=""))
        assert signed[language].format("\n") + "\n" in email.text
        assert signed[language].format("<br>\n") + "<br>" in email.html
        other = signed["en" if language == "et" else "et"].split("{}")[1]
        assert other not in email.text and other not in email.html
    # A name the operator set is the signature in both languages.
    for language, regards in (("et", "Parimate soovidega"), ("en", "Kind regards,")):
        email = render(template, language, sample(template, contact_name="Kadri Kask"))
        assert f"{regards}\nKadri Kask\n" in email.text and f"{regards}<br>\nKadri Kask<br>" in email.html


def test_an_acceptance_with_no_venue_booked_says_to_be_confirmed_in_each_language():
    context = sample("application_accepted")
    for session in context["sessions"]:
        session["venue"] = ""
    et, en = render("application_accepted", "et", context), render("application_accepted", "en", context)
    assert et.text.count("  Toimumiskoht: täpsustamisel\n") == 3 and et.html.count("<br>Toimumiskoht: täpsustamisel</li>") == 3
    assert en.text.count("  Venue: to be confirmed\n") == 3 and en.html.count("<br>Venue: to be confirmed</li>") == 3
    assert "täpsustamisel" not in en.text + en.html


@pytest.mark.parametrize(("cities", "et_says", "en_says"), [
    (["Pärnu", "Tartu", "Rakvere", "Tallinn"], "rühma linnas (Pärnu, Tartu, Rakvere või Tallinn). Töötoad",
     "your team's group (Pärnu, Tartu, Rakvere or Tallinn). The workshops"),
    (["Viljandi", "Võru"], "rühma linnas (Viljandi või Võru). Töötoad", "your team's group (Viljandi or Võru). The"),
    (["Narva"], "rühma linnas (Narva). Töötoad", "your team's group (Narva). The workshops"),
    ([], "rühma linnas. Töötoad", "your team's group. The workshops"),  # none known: no parenthesis
])
def test_confirmation_request_names_the_editions_own_cities(cities, et_says, en_says):
    context = sample("member_confirmation_request", cities=cities)
    et, en = render("member_confirmation_request", "et", context), render("member_confirmation_request", "en", context)
    assert et_says in et.text and et_says in et.html
    assert en_says in en.html and en_says in en.text
    if "Rakvere" not in cities:  # no longer the brochure's four whatever the edition
        assert "Rakvere" not in et.text + en.text


@pytest.mark.parametrize("language, before, after", [
    ("et", "Palun täitke andmed hiljemalt 08.04.2019", "tähtaeg (08.04.2019) on möödas. Palun täitke andmed esimesel võimalusel"),
    ("en", "Please fill in your data by 8 April 2019", "deadline for the data (8 April 2019) has passed. Please fill in your data as soon as possible"),
])
def test_an_esf_reminder_sent_after_the_deadline_says_it_has_passed(language, before, after):
    """The coordinator's "send again" after the deadline must not ask for the data "by" a past date."""
    on_time = render("esf_data_reminder", language, sample("esf_data_reminder"))
    late = render("esf_data_reminder", language, sample("esf_data_reminder", overdue=True))
    assert before in on_time.text and after not in on_time.text
    assert after in late.text and before not in late.text
    assert "April 2019" in late.html or "08.04.2019" in late.html
    assert late.subject.endswith("on möödas)" if language == "et" else "has passed)")


@pytest.mark.parametrize("language, joined, missed, not_before", [
    ("et", "Liitusite meeskonnaga pärast 09.04.2019 toimunud I koolituspäeva.",
     "Meie andmetel ei osalenud te 09.04.2019 toimunud I koolituspäeval.",
     "Enne teie liitumist toimunud päevade eest hüvitist ei nõuta."),
    ("en", "You joined the team after workshop day 1 on 9 April 2019.",
     "According to our records you did not attend workshop day 1 on 9 April 2019.",
     "No costs are claimed for the days held before you joined."),
])
def test_a_newcomer_is_told_the_day_was_held_before_they_joined_not_that_they_missed_it(
        language, joined, missed, not_before):
    newcomer = render("absence_make_up", language, sample("absence_make_up", joined_after=True))
    member = render("absence_make_up", language, sample("absence_make_up"))
    for body in (newcomer.text, newcomer.html):
        assert joined in body and not_before in body and missed not in body
        assert "mistake" not in body and "ekslikult" not in body
    for body in (member.text, member.html):
        assert missed in body and joined not in body and not_before not in body


@pytest.mark.parametrize("language, none, claim", [
    ("et", "Korraldajad ei nõua teie tööandjalt (Pärnu Linnavalitsus) koolituskulude hüvitamist ja arvet ei esitata.",
     "kuni 768,00 € ulatuses"),
    ("en", "The organisers will not claim any training costs from your employer (Pärnu Linnavalitsus), "
           "and no invoice will be sent.", "up to €768.00"),
])
def test_a_dropout_notice_of_a_waived_claim_states_no_claim(language, none, claim):
    waived = render("dropout_notice", language, sample("dropout_notice", claim_waived=True, days_held=0))
    claimed = render("dropout_notice", language, sample("dropout_notice"))
    for body in (waived.text, waived.html):
        assert none in body and claim not in body and "768" not in body
    for body in (claimed.text, claimed.html):
        assert claim in body and none not in body
