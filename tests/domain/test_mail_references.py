"""Our reference in subjects and the per-request reply address (#16)."""

import re

import pytest

from fointracker.domain.mail.references import (
    find_our_references,
    new_reply_token,
    our_mail_reference,
    reply_address,
    token_from_addresses,
)

TEMPLATE = "foi+{token}@example.org"


def test_our_reference_round_trips():
    assert our_mail_reference(123) == "FT-123"
    assert find_our_references(f"Re: Freedom of Information request {our_mail_reference(123)}") == [123]


@pytest.mark.parametrize(
    "text, ids",
    [
        ("RE: FW: [FT-123] care at home", [123]),
        ("ft-7 and FT-7 and FT–8 (Outlook's en dash)", [7, 8]),
        ("Your ref FT-45; our ref FOI/2026/0412", [45]),
        ("SOFT-123, FT-12x, FT-, FT 12, LOFT-9", []),
        ("FT-0 and FT-99999999999", []),  # no request has id 0 or an id past PostgreSQL's integers
        ("", []),
    ],
)
def test_find_our_references(text, ids):
    assert find_our_references(text) == ids


def test_reply_address_and_its_token():
    token = new_reply_token()
    address = reply_address(TEMPLATE, token)
    assert address == f"foi+{token}@example.org"
    assert token_from_addresses(TEMPLATE, ["someone@else.org", address.upper()]) == token
    assert token_from_addresses(TEMPLATE, ["foi@example.org", "foi+@example.org", "xfoi+abc@example.org"]) is None
    assert token_from_addresses(TEMPLATE, ["foi+abc@example.org.evil.com"]) is None
    assert token_from_addresses("", [address]) is None


def test_reply_address_needs_a_token_placeholder():
    with pytest.raises(ValueError, match="token"):
        reply_address("foi@example.org", "abc")


def test_tokens_are_unguessable_and_mail_safe():
    tokens = {new_reply_token() for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        assert re.fullmatch(r"[a-z2-7]{32}", token)  # base32: 160 bits, lower case letters and digits
