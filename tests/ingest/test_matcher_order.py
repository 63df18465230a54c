"""The matching order (pure): our Message-ID, plus-address, subject tag, the sender's contact,
the sender's domain; one candidate attaches, several or none go to a person."""

from __future__ import annotations

import pytest

from ingest.matcher import decide, default_plus_pattern, extract_clues
from ingest.parser import parse_message
from services.mail import (
    DealRef,
    MatchClues,
    MatchFacts,
    deal_number_from_message_id,
    make_message_id,
    normalise_deal_number,
)
from tests.ingest.conftest import fixture_bytes


def deal(number: int, *, partner: int = 1, status: str = "open") -> DealRef:
    return DealRef(number, f"D-{number:06d}", f"Deal {number}", 10 + number, status, partner)


D1, D2, D3, D4, D5 = (deal(n) for n in range(1, 6))
BY_NUMBER = {d.number: d for d in (D1, D2, D3)}


def test_our_message_id_wins_over_every_other_clue():
    clues = MatchClues(
        thread_ids=("<a.b.crm-D-000001@firm.test>",),
        our_deal_numbers=("D-000001",),
        plus_deal_numbers=("D-000002",),
        subject_deal_numbers=("D-000003",),
        sender="olena@zirka.test",
    )
    facts = MatchFacts(deals_by_number=BY_NUMBER, contact_open_deals=(D4,))
    decision = decide(clues, facts)
    assert (decision.rule, decision.deal) == ("message_id", D1)


def test_a_stored_message_of_the_thread_counts_like_our_own_id():
    clues = MatchClues(thread_ids=("<reply1@outlook.test>",), subject_deal_numbers=("D-000003",))
    facts = MatchFacts(deals_by_number=BY_NUMBER, deals_by_thread_id={"<reply1@outlook.test>": D2})
    assert decide(clues, facts).deal == D2


def test_in_reply_to_comes_before_older_references():
    clues = MatchClues(thread_ids=("<new@x>", "<old@x>"))
    facts = MatchFacts(deals_by_thread_id={"<old@x>": D1, "<new@x>": D2})
    assert decide(clues, facts).deal == D2


def test_plus_address_before_subject_tag_before_sender():
    facts = MatchFacts(deals_by_number=BY_NUMBER, contact_open_deals=(D4,))
    plus = MatchClues(plus_deal_numbers=("D-000002",), subject_deal_numbers=("D-000003",))
    tag = MatchClues(subject_deal_numbers=("D-000003",))
    assert (decide(plus, facts).rule, decide(plus, facts).deal) == ("plus_address", D2)
    assert (decide(tag, facts).rule, decide(tag, facts).deal) == ("subject_tag", D3)


def test_unknown_deal_numbers_fall_through_to_the_sender():
    clues = MatchClues(plus_deal_numbers=("D-000999",), subject_deal_numbers=("D-000998",))
    decision = decide(clues, MatchFacts(deals_by_number=BY_NUMBER, contact_open_deals=(D4,)))
    assert (decision.rule, decision.deal) == ("contact", D4)


def test_contact_with_several_open_deals_waits_for_a_person_with_candidates():
    facts = MatchFacts(
        contact_id=7,
        contact_partner_ids=(1,),
        contact_open_deals=(D4, D5),
        domain_open_deals=(D1,),
    )
    decision = decide(MatchClues(sender="olena@zirka.test"), facts)
    assert decision.deal is None
    assert (decision.rule, decision.candidates) == ("contact", (D4, D5))
    assert (decision.partner_id, decision.contact_id) == (1, 7)


def test_domain_partner_when_the_sender_is_unknown():
    facts = MatchFacts(domain_partner_ids=(3,), domain_open_deals=(D5,))
    decision = decide(MatchClues(sender="new@zirka.test", sender_domain="zirka.test"), facts)
    assert (decision.rule, decision.deal) == ("domain", D5)


def test_nothing_known_leaves_no_deal_and_no_candidates():
    decision = decide(MatchClues(sender="x@gmail.com"), MatchFacts(domain_partner_ids=(3,)))
    assert (decision.rule, decision.deal, decision.candidates) == ("none", None, ())
    assert decision.partner_id == 3


def test_bounce_only_follows_the_original_message():
    clues = MatchClues(
        thread_ids=("<orig.crm-D-000002@firm.test>",),
        is_bounce=True,
        sender="mailer-daemon@mx.test",
    )
    facts = MatchFacts(deals_by_number=BY_NUMBER, contact_open_deals=(D4,))
    assert decide(clues, facts).deal == D2
    lost = MatchClues(thread_ids=("<unknown@x>",), is_bounce=True)
    assert decide(lost, facts).deal is None


def test_message_ids_carry_the_deal_number_back():
    made = make_message_id("D-000123", "firm.test")
    assert made.startswith("<") and made.endswith("@firm.test>")
    assert deal_number_from_message_id(made) == "D-000123"
    assert deal_number_from_message_id("<random@gmail.com>") is None
    assert make_message_id("D-000123", "firm.test") != made


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("D123", "D-000123"),
        ("d-000123", "D-000123"),
        ("Д-45", "D-000045"),
        ("D-7-2", "D-000007-2"),
        ("X123", None),
        ("", None),
    ],
)
def test_deal_numbers_are_normalised(text, number):
    assert normalise_deal_number(text) == number


def test_clues_from_real_fixtures():
    plus = parse_message(fixture_bytes("plus-address.eml", deal_tag="D42"))
    clues = extract_clues(plus, plus_pattern="sales+{tag}@firm.test")
    assert clues.plus_deal_numbers == ("D-000042",)
    assert clues.sender_domain == ""  # gmail.com says nothing about a company

    tagged = parse_message(fixture_bytes("subject-tag.eml", deal_number="D-000042"))
    assert extract_clues(tagged).subject_deal_numbers == ("D-000042",)

    ours = "<k.1.crm-D-000042@firm.test>"
    reply = parse_message(
        fixture_bytes("outlook-changed-subject.eml", our_message_id=ours, deal_number="D-000042")
    )
    reply_clues = extract_clues(reply)
    assert reply_clues.our_deal_numbers == ("D-000042",)
    assert reply_clues.sender_domain == "zirka-agro.test"


def test_default_plus_pattern_comes_from_the_mailbox_address():
    assert default_plus_pattern("Sales@Firm.ua") == "sales+{tag}@firm.ua"
    assert default_plus_pattern("sales") == ""
