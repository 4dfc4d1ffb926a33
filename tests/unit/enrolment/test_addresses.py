"""E-mail and phone plausibility, and agreement with the bus schema's e-mail check."""

import pytest
from marshmallow import ValidationError
from marshmallow.validate import Email

from services.enrolment.domain.addresses import is_valid_email, is_valid_phone

GOOD = [
    "evelin@koosloome.ee",
    "Eesnimi.Perenimi@parnu.ee",
    "arved+mtu@example.com",
    "a@b.co",
    "o'neil@example.org",
    "kontakt@õun.ee",
    "info@sub.domain.example.ee",
    "x@xn--un-ufa.ee",
]
BAD = [
    "",
    "plain",
    "@example.ee",
    "user@",
    "user@example",
    "user@@example.ee",
    "two@at@example.ee",
    "user@.example.ee",
    "user@example..ee",
    "user@-example.ee",
    "user@example.ee.",
    ".user@example.ee",
    "user.@example.ee",
    "us..er@example.ee",
    "us er@example.ee",
    " user@example.ee",
    "user@example.ee ",
    "Name <user@example.ee>",
    "jüri@example.ee",
    "user@localhost",
    "user@[127.0.0.1]",
    "x" * 65 + "@example.ee",
    "user@" + "a" * 64 + ".ee",
    "user@" + ("a" * 60 + ".") * 5 + "ee",
    None,
    42,
]


@pytest.mark.parametrize("address", GOOD)
def test_plausible_addresses_pass(address):
    assert is_valid_email(address)


@pytest.mark.parametrize("address", BAD)
def test_implausible_addresses_fail(address):
    assert not is_valid_email(address)


@pytest.mark.parametrize("address", GOOD)
def test_whatever_we_accept_the_bus_schema_accepts(address):
    # Otherwise the application.submitted event would be dead-lettered after we said yes.
    Email()(address)


def test_the_bus_schema_is_indeed_laxer_somewhere():
    with pytest.raises(ValidationError):
        Email()("no-at-sign")
    assert not is_valid_email("jüri@example.ee")
    Email()("jüri@example.ee")


@pytest.mark.parametrize(
    "phone", ["+372 5123 4567", "51234567", "5123-4567", "(06) 612 3456", "+358 40 123 4567"]
)
def test_plausible_phones(phone):
    assert is_valid_phone(phone)


@pytest.mark.parametrize(
    "phone", ["", "123456", "+372 5123 4567 8901 23", "5123 4567a", "++372 5123456", None]
)
def test_implausible_phones(phone):
    assert not is_valid_phone(phone)
