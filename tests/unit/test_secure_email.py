"""Secure email domains (guidance Diagram 2): whole-label matching and normalisation."""

from datetime import date

import pytest

from prevent_ig.domain.config import AccreditedDomain, EngineConfig
from prevent_ig.domain.transmit.secure_email import (
    MalformedAddressError,
    check_email,
    domain_is_within,
    parse_address,
)


@pytest.mark.parametrize(
    "address",
    [
        "jo.bloggs@nhs.net",
        "Prevent.Lead@NHS.NET",
        "channel@leeds.gov.uk",
        "x@gov.uk",
        "officer@northshire.pnn.police.uk",
        "clerk@cjsm.net",
        "desk@army.mod.uk",
        "office@parliament.uk",
        "x@nhs.net.",
        "x@Deep.Sub.Leeds.Gov.UK.",
    ],
)
def test_nationally_secure_domains_and_their_subdomains(address: str) -> None:
    result = check_email(address)
    assert result.secure
    assert not result.requires_secure_tag


@pytest.mark.parametrize(
    "address",
    [
        "x@nhs.uk",
        "x@example-trust.nhs.uk",
        "x@gov.uk.example.com",
        "x@evilgov.uk",
        "x@nhs.net.example.com",
        "x@mynhs.net",
        "x@police.uk",
        "x@pnn.police.uk.attacker.org",
        "x@example.org",
    ],
)
def test_look_alikes_and_other_domains_need_the_secure_tag(address: str) -> None:
    result = check_email(address)
    assert not result.secure
    assert result.requires_secure_tag


def test_accredited_domain_is_secure_only_when_configured() -> None:
    assert not check_email("a@example-trust.nhs.uk").secure
    assert check_email("a@example-trust.nhs.uk", accredited_domains=["example-trust.nhs.uk"]).secure
    assert check_email("a@ward.example-trust.nhs.uk", accredited_domains=["example-trust.nhs.uk"]).secure
    assert not check_email("a@other-trust.nhs.uk", accredited_domains=["example-trust.nhs.uk"]).secure


def test_domain_is_normalised_to_lower_case_ascii_without_trailing_dot() -> None:
    result = check_email("Someone@Bücher.Example.")
    assert result.domain == "xn--bcher-kva.example"
    assert result.address == "Someone@bücher.example"


@pytest.mark.parametrize(
    ("given", "idna"),
    [
        ("Prevent.Lead@xn--trst-0ra.example.nhs.uk", "Prevent.Lead@xn--trst-0ra.example.nhs.uk"),
        ("Prevent.Lead@XN--TRST-0RA.Example.NHS.uk.", "Prevent.Lead@xn--trst-0ra.example.nhs.uk"),
        ("Someone@Bücher.Example", "Someone@xn--bcher-kva.example"),
        ("jo.bloggs@NHS.net", "jo.bloggs@nhs.net"),
    ],
)
def test_an_address_is_also_given_with_its_domain_in_the_form_smtp_carries(given: str, idna: str) -> None:
    # The normalised address spells an xn-- domain in Unicode again, which no secure relay carries:
    # the xn-- form a person gave must be what a message is addressed to.
    assert parse_address(given).idna_address == idna


def test_internationalised_lookalike_is_not_secure() -> None:
    # A Cyrillic "е" in place of the Latin "e": the IDNA form differs from nhs.net's labels.
    assert not check_email("x@nhs.nеt").secure


@pytest.mark.parametrize(
    "address",
    ["not-an-address", "a@", "@nhs.net", "a b@nhs.net", "a@@nhs.net", "", " a@nhs.net", "a@nhs.net\n"],
)
def test_malformed_addresses_are_refused(address: str) -> None:
    with pytest.raises(MalformedAddressError):
        check_email(address)


@pytest.mark.parametrize(
    ("domain", "parent", "within"),
    [
        ("gov.uk", "gov.uk", True),
        ("a.gov.uk", "gov.uk", True),
        ("agov.uk", "gov.uk", False),
        ("gov.uk.a", "gov.uk", False),
        ("uk", "gov.uk", False),
    ],
)
def test_domain_matching_is_label_by_label(domain: str, parent: str, within: bool) -> None:
    assert domain_is_within(domain, parent) is within


def test_configured_domains_are_normalised_however_the_configuration_is_built() -> None:
    config = EngineConfig(accredited_domains=(AccreditedDomain("Example-Trust.NHS.uk.", date(2027, 3, 31)),))
    accredited = config.accredited_on(date(2027, 3, 31))
    assert accredited == ("example-trust.nhs.uk",)
    assert check_email("a@example-trust.nhs.uk", accredited_domains=accredited).secure
    assert config.accredited_on(date(2027, 4, 1)) == ()
