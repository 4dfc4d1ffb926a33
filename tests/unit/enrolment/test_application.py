"""Application validation: each rule passing and failing, and all problems reported at once."""

from dataclasses import replace

import pytest
from stdnum.ee import registrikood

from services.enrolment.domain.application import (
    MAX_LONG_TEXT,
    MAX_SHORT_TEXT,
    MIN_NGO_EXPERIENCE_CHARS,
    ServiceIdea,
    check_registry_code,
    normalised,
    validate_application,
    validate_new_member,
)
from services.enrolment.domain.problems import Problem, errors_as_json

from .builders import (
    CITIES_2019,
    bad_checksum,
    codes,
    member,
    organisation,
    registry_code,
    valid_application,
)


def validate(app):
    return validate_application(app, CITIES_2019)


def test_the_builder_application_is_valid():
    assert validate(valid_application()) == {}


# --- registry codes ---------------------------------------------------------------------


@pytest.mark.parametrize("digit", ["7", "8", "9", "1"])
def test_test_helper_builds_valid_codes_with_each_first_digit(digit):
    for serial in range(50):
        code = registry_code(digit, serial)
        assert registrikood.is_valid(code) and code[0] == digit and len(code) == 8


@pytest.mark.parametrize("kind, digit", [("local_government", "7"), ("ngo", "8"), ("ngo", "9")])
def test_registry_code_matching_the_kind_passes(kind, digit):
    assert check_registry_code(registry_code(digit, 123), kind) == []


@pytest.mark.parametrize(
    "kind, digit",
    [
        ("local_government", "8"),
        ("local_government", "9"),
        ("local_government", "1"),
        ("ngo", "7"),
        ("ngo", "1"),
    ],
)
def test_a_valid_code_of_the_wrong_kind_is_a_kind_mismatch(kind, digit):
    code = registry_code(digit, 123)
    assert registrikood.is_valid(code)
    assert [p.code for p in check_registry_code(code, kind)] == ["registry_code_kind_mismatch"]


def test_kind_mismatch_texts_name_the_expected_digits():
    (kov,) = check_registry_code(registry_code("8"), "local_government")
    (ngo,) = check_registry_code(registry_code("7"), "ngo")
    assert "7" in kov.et and "7" in kov.en
    assert "8 või 9" in ngo.et and "8 or 9" in ngo.en


@pytest.mark.parametrize("digit", ["7", "8", "9"])
def test_a_wrong_check_digit_is_refused(digit):
    code = bad_checksum(registry_code(digit, 4567))
    assert not registrikood.is_valid(code)
    kind = "local_government" if digit == "7" else "ngo"
    assert [p.code for p in check_registry_code(code, kind)] == ["registry_code_checksum"]


def test_a_bad_checksum_and_the_wrong_kind_are_both_reported():
    code = bad_checksum(registry_code("1", 42))
    assert [p.code for p in check_registry_code(code, "ngo")] == [
        "registry_code_checksum",
        "registry_code_kind_mismatch",
    ]


@pytest.mark.parametrize(
    "code, expected",
    [
        ("", ["required"]),
        ("   ", ["required"]),
        ("7500000X", ["registry_code_format"]),
        ("7500000", ["registry_code_length"]),
        ("750000061", ["registry_code_length"]),
        ("25000002", ["registry_code_prefix", "registry_code_kind_mismatch"]),
    ],
)
def test_malformed_registry_codes(code, expected):
    assert [p.code for p in check_registry_code(code, "local_government")] == expected


def test_registry_code_with_spaces_is_accepted_and_normalised_compact():
    code = registry_code("7", 5)
    spaced = f"{code[:4]} {code[4:]}"
    assert check_registry_code(spaced, "local_government") == []
    app = valid_application()
    app.organisations[0] = replace(app.organisations[0], registry_code=spaced)
    assert normalised(app).organisations[0].registry_code == code


def test_the_application_reports_registry_code_problems_per_organisation():
    app = valid_application()
    app.organisations[1] = replace(app.organisations[1], registry_code=registry_code("7", 9))
    errors = validate(app)
    assert codes(errors, "organisations.1.registry_code") == ["registry_code_kind_mismatch"]
    assert "organisations.0.registry_code" not in errors


def test_the_same_organisation_twice_is_refused():
    app = valid_application()
    twin = replace(app.organisations[1], key="mtu2")
    app.organisations.append(twin)
    assert codes(validate(app), "organisations.2.registry_code") == ["duplicate_registry_code"]


# --- organisations ----------------------------------------------------------------------


def test_a_foundation_counts_as_an_ngo():
    app = valid_application()
    app.organisations[1] = replace(app.organisations[1], registry_code=registry_code("9", 77))
    assert validate(app) == {}


def test_at_least_one_organisation_of_each_kind():
    app = valid_application()
    app.organisations[1] = replace(
        app.organisations[1], kind="local_government", registry_code=registry_code("7", 3)
    )
    assert "no_ngo_organisation" in codes(validate(app), "organisations")

    app = valid_application(organisations=[])
    assert codes(validate(app), "organisations") == [
        "no_local_government_organisation",
        "no_ngo_organisation",
    ]


def test_unknown_organisation_kind():
    app = valid_application()
    app.organisations[1] = replace(app.organisations[1], kind="company")
    errors = validate(app)
    assert codes(errors, "organisations.1.kind") == ["invalid_choice"]
    # No kind: no claim about which digit the code should start with.
    assert "organisations.1.registry_code" not in errors


@pytest.mark.parametrize("email", ["", "arved", "arved@", "@example.ee", "arved@example", "a b@example.ee"])
def test_billing_email_must_be_valid(email):
    app = valid_application()
    app.organisations[0] = replace(app.organisations[0], billing_email=email)
    expected = ["required"] if not email else ["invalid_email"]
    assert codes(validate(app), "organisations.0.billing_email") == expected


def test_organisation_name_address_and_key_are_required():
    app = valid_application()
    app.organisations[0] = replace(app.organisations[0], name=" ", address="")
    errors = validate(app)
    assert codes(errors, "organisations.0.name") == ["required"]
    assert codes(errors, "organisations.0.address") == ["required"]


def test_organisation_keys_are_unique():
    app = valid_application()
    app.organisations.append(organisation("kov", "local_government", 99))
    assert codes(validate(app), "organisations.2.key") == ["duplicate_organisation_key"]


# --- members --------------------------------------------------------------------------


def test_a_bigger_mixed_team_passes():
    app = valid_application()
    app.members += [member(5, "kov"), member(6, "mtu")]
    assert validate(app) == {}


@pytest.mark.parametrize(
    "keys, expected",
    [
        (["kov", "kov", "mtu"], ["too_few_members", "too_few_ngo_members"]),
        (["kov", "kov", "mtu", "ghost"], ["too_few_ngo_members"]),
        (["kov", "mtu", "mtu", "mtu"], ["too_few_local_government_members"]),
        (["kov", "kov", "kov", "mtu"], ["too_few_ngo_members"]),
        (["kov", "mtu"], ["too_few_members", "too_few_local_government_members", "too_few_ngo_members"]),
        ([], ["too_few_members", "too_few_local_government_members", "too_few_ngo_members"]),
    ],
)
def test_composition_problems_are_reported_on_members(keys, expected):
    app = valid_application(members=[member(i, key) for i, key in enumerate(keys)])
    assert codes(validate(app), "members") == expected


def test_duplicate_email_differing_in_case_is_refused_on_the_later_member():
    app = valid_application()
    app.members[3] = replace(app.members[3], email="Liige1@Example.EE")
    errors = validate(app)
    assert codes(errors, "members.3.email") == ["duplicate_email"]
    assert "members.0.email" not in errors


def test_member_referencing_a_missing_organisation():
    app = valid_application()
    app.members[2] = replace(app.members[2], organisation_key="ghost")
    errors = validate(app)
    assert codes(errors, "members.2.organisation_key") == ["unknown_organisation"]
    # The member's kind is unknown, so the NGO side is now one short.
    assert codes(errors, "members") == ["too_few_ngo_members"]


def test_member_names_and_email_are_required_and_checked():
    app = valid_application()
    app.members[0] = replace(
        app.members[0], first_name="", last_name="  ", email="not-an-address", organisation_key=""
    )
    errors = validate(app)
    assert codes(errors, "members.0.first_name") == ["required"]
    assert codes(errors, "members.0.last_name") == ["required"]
    assert codes(errors, "members.0.email") == ["invalid_email"]
    assert codes(errors, "members.0.organisation_key") == ["required"]


@pytest.mark.parametrize(
    "phone, ok",
    [
        ("", True),
        ("+372 5123 4567", True),
        ("5123456", True),
        ("(06) 123-4567", True),
        ("12345", False),
        ("call me", False),
        ("+372 5123 4567 ext 9", False),
    ],
)
def test_phone_is_optional_but_plausible(phone, ok):
    app = valid_application()
    app.members[0] = replace(app.members[0], phone=phone)
    assert codes(validate(app), "members.0.phone") == ([] if ok else ["invalid_phone"])


# --- idea, delegation, experience -------------------------------------------------------


@pytest.mark.parametrize("kind", ["new", "existing"])
def test_idea_kinds(kind):
    assert validate(valid_application(idea=ServiceIdea("Öömaja", "Majutus.", kind))) == {}


def test_idea_fields_required_and_kind_checked():
    errors = validate(valid_application(idea=ServiceIdea("", " ", "maybe")))
    assert codes(errors, "idea.title") == ["required"]
    assert codes(errors, "idea.description") == ["required"]
    assert codes(errors, "idea.kind") == ["invalid_choice"]


@pytest.mark.parametrize("value", [False, None, "yes", 1])
def test_intention_to_delegate_must_be_confirmed_true(value):
    assert codes(validate(valid_application(intends_to_delegate=value)), "intends_to_delegate") == [
        "delegation_not_confirmed"
    ]


def test_ngo_experience_required_with_a_minimum_length():
    assert codes(validate(valid_application(ngo_experience="   ")), "ngo_experience") == ["required"]
    short = "x" * (MIN_NGO_EXPERIENCE_CHARS - 1)
    assert codes(validate(valid_application(ngo_experience=short)), "ngo_experience") == ["too_short"]
    just = "x" * MIN_NGO_EXPERIENCE_CHARS
    assert "ngo_experience" not in validate(valid_application(ngo_experience=just))
    # Padding does not count towards the minimum.
    padded = " " * 40 + "x" * (MIN_NGO_EXPERIENCE_CHARS - 1) + " " * 40
    assert codes(validate(valid_application(ngo_experience=padded)), "ngo_experience") == ["too_short"]


def test_overlong_texts_are_refused():
    app = valid_application(team_name="T" * (MAX_SHORT_TEXT + 1), ngo_experience="x" * (MAX_LONG_TEXT + 1))
    errors = validate(app)
    assert codes(errors, "team_name") == ["too_long"]
    assert codes(errors, "ngo_experience") == ["too_long"]


# --- cities, team name, contact ---------------------------------------------------------


def test_preferred_cities_in_any_allowed_order_pass_and_keep_their_order():
    app = valid_application(preferred_cities=["Tallinn", "Pärnu", "Rakvere"])
    assert validate(app) == {}
    assert normalised(app).preferred_cities == ["Tallinn", "Pärnu", "Rakvere"]


def test_preferred_cities_problems():
    assert codes(validate(valid_application(preferred_cities=[])), "preferred_cities") == [
        "no_preferred_city"
    ]
    errors = validate(valid_application(preferred_cities=["Tartu", "Narva", "Tartu"]))
    assert codes(errors, "preferred_cities.1") == ["unknown_city"]
    assert codes(errors, "preferred_cities.2") == ["duplicate_city"]
    assert "preferred_cities.0" not in errors


def test_cities_are_matched_exactly_against_the_edition():
    errors = validate_application(valid_application(preferred_cities=["Pärnu"]), allowed_cities=["Tartu"])
    assert codes(errors, "preferred_cities.0") == ["unknown_city"]


def test_team_name_and_contact_email():
    errors = validate(valid_application(team_name="", contact_email="kontakt@"))
    assert codes(errors, "team_name") == ["required"]
    assert codes(errors, "contact_email") == ["invalid_email"]


# --- everything at once ---------------------------------------------------------------


def test_all_problems_are_reported_at_once_in_form_order():
    app = valid_application(
        team_name=" ",
        idea=ServiceIdea("", "", "other"),
        intends_to_delegate=False,
        ngo_experience="",
        preferred_cities=["Narva"],
        contact_email="",
    )
    app.organisations[0] = replace(
        app.organisations[0], registry_code=bad_checksum(app.organisations[0].registry_code)
    )
    app.organisations[1] = replace(app.organisations[1], registry_code=registry_code("1", 8))
    app.members[1] = replace(app.members[1], email="LIIGE1@example.ee")
    app.members[3] = replace(app.members[3], organisation_key="nobody")
    errors = validate(app)
    assert list(errors) == [
        "team_name",
        "organisations.0.registry_code",
        "organisations.1.registry_code",
        "members.1.email",
        "members.3.organisation_key",
        "members",
        "idea.title",
        "idea.description",
        "idea.kind",
        "intends_to_delegate",
        "ngo_experience",
        "preferred_cities.0",
        "contact_email",
    ]
    assert codes(errors, "organisations.0.registry_code") == ["registry_code_checksum"]
    assert codes(errors, "organisations.1.registry_code") == ["registry_code_kind_mismatch"]
    assert codes(errors, "members") == ["too_few_ngo_members"]


def test_every_problem_has_a_code_and_both_languages():
    app = valid_application(
        team_name="",
        members=[],
        organisations=[],
        preferred_cities=["X", "X"],
        idea=ServiceIdea("", "", ""),
        intends_to_delegate=False,
        ngo_experience="short",
    )
    errors = validate(app)
    problems = [p for ps in errors.values() for p in ps]
    assert len(problems) >= 10
    for problem in problems:
        assert isinstance(problem, Problem)
        assert problem.code and problem.et and problem.en and problem.et != problem.en
    assert problems[0].text("en") == problems[0].en and problems[0].text() == problems[0].et


def test_errors_serialise_for_the_json_api():
    errors = validate(valid_application(contact_email="x"))
    assert errors_as_json(errors) == {
        "contact_email": [
            {
                "code": "invalid_email",
                "et": "E-posti aadress ei ole korrektne.",
                "en": "This is not a valid e-mail address.",
            }
        ]
    }


def test_validation_does_not_change_the_application():
    app = valid_application(team_name="  padded  ")
    before = repr(app)
    validate(app)
    assert repr(app) == before


# --- normalisation and substitutes ------------------------------------------------------


def test_normalised_strips_whitespace_so_that_typical_input_validates():
    app = valid_application(contact_email="  kontakt@example.ee ", preferred_cities=[" Tartu"])
    app.members[0] = replace(app.members[0], email=" liige1@example.ee\n")
    assert set(validate(app)) == {"members.0.email", "preferred_cities.0", "contact_email"}
    clean = normalised(app)
    assert validate(clean) == {}
    assert clean.contact_email == "kontakt@example.ee" and clean.preferred_cities == ["Tartu"]


def test_new_member_validated_with_paths_without_position():
    app = valid_application()
    staying = app.members[:3]
    newcomer = member(9, "ghost", email="LIIGE2@example.ee")
    errors = validate_new_member(newcomer, app.organisations, staying)
    assert codes(errors, "email") == ["duplicate_email"]
    assert codes(errors, "organisation_key") == ["unknown_organisation"]
    assert "members" not in errors


def test_a_substitute_may_reuse_the_leaving_members_address():
    app = valid_application()
    leaving = app.members[3]
    staying = app.members[:3]
    assert validate_new_member(member(9, "mtu", email=leaving.email), app.organisations, staying) == {}


# --- the edition's first digits (policy) --------------------------------------------------

def test_an_editions_digits_replace_the_brochures():
    from services.enrolment.domain.application import RegistryCodeRule

    rule = RegistryCodeRule(local_government="17", ngo="")
    assert check_registry_code(registry_code("1", 3), "local_government", rule) == []
    (kov,) = check_registry_code(registry_code("8", 3), "local_government", rule)
    assert kov.et.endswith("numbriga 1 või 7.") and kov.en.endswith("starts with 1 or 7.")
    assert check_registry_code(registry_code("7", 3), "ngo", rule) == []  # not checked
    assert [p.code for p in check_registry_code(bad_checksum(registry_code("7", 3)), "ngo", rule)] == [
        "registry_code_checksum"]


@pytest.mark.parametrize(("value", "digits"), [
    ([7], "7"), (["9", "8", 8], "89"), ([], ""), (["10"], None), (["x"], None), ("89", None), ([True], None),
    ([-1], None), (None, None),
])
def test_digits_are_a_list_of_0_to_9(value, digits):
    from services.enrolment.domain.application import code_digits, code_digits_problems

    assert code_digits(value) == digits
    assert bool(code_digits_problems(value)) is (digits is None)
