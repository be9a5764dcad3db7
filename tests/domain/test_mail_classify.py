"""The step a council's reply suggests (#16): worked examples in councils' own wording, the
boilerplate that must suggest nothing, and every suggestion's details passing check_details."""

from datetime import date

import pytest

from fointracker.domain.event_details import EXEMPTIONS, check_details
from fointracker.domain.lifecycle import EventKind
from fointracker.domain.mail.citations import cited_exemptions
from fointracker.domain.mail.classify import suggest_step
from fointracker.domain.mail.parsing import parse_message
from tests.mail_samples import sample

RECEIVED_ON = date(2026, 3, 3)  # the day the replies below arrive

# (name, regime, subject, text, kind, details, a phrase that must be among those found)
EXAMPLES = [
    (
        "acknowledgement",
        "foia",
        "Acknowledgement - FOI/2026/0412",
        "Dear Care Campaign,\nThank you for your request for information which was received on 2 March 2026. "
        "Your request is being processed under the Freedom of Information Act 2000 and we will respond within "
        "20 working days.\nIf you have any queries please contact us.",
        "acknowledged",
        {},
        "will respond within 20 working days",
    ),
    (
        "clarification",
        "foia",
        "FOI/2026/0412",
        "Thank you for your request. In order to locate the information, could you please clarify what you mean "
        "by 'care at home'? Please note the 20 working day time limit has been paused until we receive your reply.",
        "clarification_requested",
        {},
        "could you please clarify",
    ),
    (
        "fees notice",
        "foia",
        "FOI/2026/0412",
        "We estimate that the cost of photocopying and postage is £120.00. This is a fees notice under section 9 "
        "of the Freedom of Information Act 2000. Please make payment within three months.",
        "fee_notice",
        {},
        "fees notice",
    ),
    (
        "public-interest extension",
        "foia",
        "FOI/2026/0412",
        "We received your request on 2 March 2026. We need more time to consider the public interest test in "
        "relation to section 43 of the Act. Under section 10(3) we now expect to respond by 14 April 2026.",
        "extension_claimed",
        {"reason": "public_interest", "new_date": "2026-04-14"},
        "section 10(3)",
    ),
    (
        "EIR extension",
        "eir",
        "EIR/2026/0099",
        "Due to the complexity and volume of the information requested, we are extending the time for our "
        "response under regulation 7(1) of the Environmental Information Regulations 2004 to 40 working days.",
        "extension_claimed",
        {"reason": "eir_complex"},
        "regulation 7(1)",
    ),
    (
        "review extension",
        "foia",
        "Internal review",
        "We are sorry, but the internal review will take longer than usual: we will extend it to 40 working days.",
        "extension_claimed",
        {"reason": "review"},
        "40 working days",
    ),
    (
        "s.12 refusal",
        "foia",
        "Response",
        "The Council estimates that the cost of complying with your request would exceed the appropriate limit of "
        "£450. We are therefore refusing your request under section 12 of the Freedom of Information Act. Under "
        "section 16 we can advise you to narrow your request.",
        "response_received",
        {"outcome": "refused", "exemptions": ["s12"]},
        "section 12",
    ),
    (
        "s.14 refusal",
        "foia",
        "Response",
        "The Council considers this request vexatious and is refusing the request under s.14(1) of the Act.",
        "response_received",
        {"outcome": "refused", "exemptions": ["s14"]},
        "s.14(1)",
    ),
    (
        "s.21 and s.22",
        "foia",
        "Response",
        "The information is exempt under section 21, as it is reasonably accessible to you on our website, and "
        "the 2025 figures are exempt under s.22 as they are intended for future publication.",
        "response_received",
        {"outcome": "refused", "exemptions": ["s21", "s22"]},
        "section 21",
    ),
    (
        "s.40(2), s.41 and s.43 refusal",
        "foia",
        "Response",
        "The information you requested is exempt under sections 40(2), 41 and 43(2) of the Act and is therefore "
        "withheld in full. This letter is a refusal notice under section 17.",
        "response_received",
        {"outcome": "refused", "exemptions": ["s40", "s41", "s43"]},
        "sections 40(2), 41 and 43(2)",
    ),
    (
        "redacted: partly successful",
        "foia",
        "Response FOI/0412",
        "Please find attached the information you requested. Some of the information has been redacted under "
        "section 40(2) of the Act, as it is the personal data of third parties. If you are dissatisfied you may "
        "ask for an internal review, and then complain to the Information Commissioner under section 50.",
        "response_received",
        {"outcome": "partially_successful", "exemptions": ["s40"]},
        "redacted",
    ),
    (
        "full answer with boilerplate",
        "foia",
        "Response FOI/0412",
        "Please find below our response to your request.\n1. 1,234 adults received care at home in 2025.\n"
        "2. £12.3m.\nIf you are unhappy with this response you can ask for an internal review within 40 working "
        "days. If you require any clarification please contact us.",
        "response_received",
        {"outcome": "successful"},
        "Please find below",
    ),
    (
        "not held",
        "foia",
        "Response",
        "I can confirm that the Council does not hold the information you have requested, as the service is "
        "provided by the NHS trust.",
        "response_received",
        {"outcome": "not_held"},
        "does not hold the information",
    ),
    (
        "neither confirm nor deny",
        "foia",
        "Response",
        "The Council can neither confirm nor deny whether it holds the information, under section 40(5) of the Act.",
        "response_received",
        {"outcome": "ncnd", "exemptions": ["s40"]},
        "neither confirm nor deny",
    ),
    (
        "EIR 12(4)(b)",
        "eir",
        "EIR response",
        "We are refusing your request under regulation 12(4)(b) of the Environmental Information Regulations 2004 "
        "as manifestly unreasonable.",
        "response_received",
        {"outcome": "refused", "exemptions": ["eir_12_4_b"]},
        "regulation 12(4)(b)",
    ),
    (
        "EIR 12(5)(e)",
        "eir",
        "EIR response",
        "The contract prices are withheld in full under reg. 12(5)(e), commercial confidentiality.",
        "response_received",
        {"outcome": "refused", "exemptions": ["eir_12_5_e"]},
        "reg. 12(5)(e)",
    ),
    (
        "FOISA s.25 and s.33",
        "foisa",
        "FOISA response",
        "We are refusing your request. Part of the information is otherwise accessible (section 25 of FOISA), "
        "and the rest is exempt under section 33(1)(b).",
        "response_received",
        {"outcome": "refused", "exemptions": ["foisa_s25", "foisa_s33"]},
        "section 33(1)(b)",
    ),
    (
        "partial response",
        "foia",
        "Partial response",
        "Please find attached a partial response to your request covering questions 1 to 3. The remaining "
        "questions will be answered by 20 March 2026.",
        "partial_response",
        {},
        "a partial response",
    ),
    (
        "review upheld",
        "foia",
        "Internal review FOI/0412",
        "I have now completed the internal review of the Council's response. I have decided to uphold the "
        "original decision: the information remains exempt under section 43(2).",
        "review_outcome",
        {"outcome": "refused", "exemptions": ["s43"]},
        "uphold the original decision",
    ),
    (
        "review overturned",
        "foia",
        "Internal review outcome",
        "I have completed an internal review. I have decided to overturn the original decision and please find "
        "attached the information requested.",
        "review_outcome",
        {"outcome": "successful"},
        "overturn the original decision",
    ),
]


@pytest.mark.parametrize("example", EXAMPLES, ids=[example[0] for example in EXAMPLES])
def test_worked_examples(example):
    _, regime, subject, text, kind, details, phrase = example
    suggestion = suggest_step(subject, text, regime)
    assert suggestion is not None
    assert (suggestion.kind, suggestion.details) == (kind, details)
    assert any(phrase in found for found in suggestion.phrases)
    assert all(found in f"{subject}. {' '.join(text.split())}" for found in suggestion.phrases)  # exact words
    assert check_details(EventKind(suggestion.kind), RECEIVED_ON, suggestion.details) == []


@pytest.mark.parametrize(
    "subject, text, regime",
    [
        ("Re: FOI", "Thank you.", "foia"),
        ("Automatic reply: FOI", "I am out of the office until 9 March with limited access to email.", "foia"),
        ("Re: FOI", "If you require any clarification or wish to request an internal review, contact us.", "foia"),
        ("Re: FOI", "We will look into this and come back to you.", "foia"),
        # a public-interest extension that names no new date: nothing a person could confirm as it is
        ("FOI", "We need further time to consider the public interest in disclosure.", "foia"),
        # FOISA has no extension: a council claiming one needs a person's eye, not a suggestion
        ("FOI", "We are extending the time to respond to 40 working days under regulation 7.", "foisa"),
        ("FOI", "We need more time to consider the public interest; we will respond by 14 April 2026.", "foisa"),
        # exemptions cited, no word of refusing or disclosing: unclear
        ("FOI", "Your request engages section 43 of the Act.", "foia"),
        ("", "", "foia"),
    ],
)
def test_unclear_text_suggests_nothing(subject, text, regime):
    assert suggest_step(subject, text, regime) is None


def test_quoted_history_is_not_read():
    """Intake passes the new text only: the council's answer, not our request quoted under it."""
    message = parse_message(sample("alternative.eml"))
    suggestion = suggest_step(message.subject, message.text, "foia")
    assert suggestion is not None and suggestion.kind == "acknowledged"
    assert suggest_step(message.subject, message.quoted, "foia") is None


def test_samples_suggest_their_steps():
    expected = {
        "auto_acknowledgement.eml": "acknowledged",
        "html_only.eml": "response_received",
        "windows_1252_qp.eml": "fee_notice",
        "iso_8859_1_8bit.eml": "clarification_requested",
        "base64_attachment.eml": "response_received",
        "out_of_office.eml": None,
    }
    for name, kind in expected.items():
        message = parse_message(sample(name))
        suggestion = suggest_step(message.subject, message.text, "foia")
        assert (suggestion.kind if suggestion else None) == kind, name


def test_citations_in_each_regime():
    assert cited_exemptions("s.12 applies, and s40(2)", "foia")[0] == ["s12", "s40"]
    assert cited_exemptions("sections 12 and 16", "foia")[0] == ["s12"]  # s.16 is advice, not an exemption
    assert cited_exemptions("s12 and s14(1)", "foia")[0] == ["s12", "s14"]
    assert cited_exemptions("section 1(1)(a), section 10 and section 17", "foia")[0] == []
    assert cited_exemptions("section 38 of FOISA", "foisa")[0] == ["foisa_s38"]
    assert cited_exemptions("regulation 10(4)(b) and 10(5)(f)", "eisr")[0] == ["eisr_10_4_b", "eisr_10_5_f"]
    assert cited_exemptions("EIR 12(4)(d)", "foia")[0] == ["eir_12_4_d"]  # answered under the EIR instead
    assert cited_exemptions("within 12 months, as 40 people", "foia")[0] == []
    codes, words = cited_exemptions("s.40, s.41, s.42, s.43 and s.44", "foia")
    assert codes == ["s40", "s41", "s42", "s43", "s44"] and set(codes) <= EXEMPTIONS.keys() and words
