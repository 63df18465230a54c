"""Which deal an incoming message belongs to (pure: clues and facts in, a decision out).

`extract_clues` reads what the message says about its deal; the service layer looks up the
facts those clues point at (`services.mail.lookup_match_facts`); `decide` picks, in order:

1. our own Message-ID in In-Reply-To / References (mail sent from the CRM carries the deal
   number, `services.mail.make_message_id`), or a stored message of that thread that is on a
   deal: a reply whose subject was changed still lands on its deal;
2. a plus-address: `sales+D123@firm.ua`;
3. a subject tag: `[D-123]`;
4. the sender's address -> contact person -> that partner's single open deal (Pipedrive's rule:
   only when there is exactly one);
5. the sender's company domain -> partner -> its single open deal (public mail services such as
   gmail.com or ukr.net never count).

Rules 1-3 name a deal explicitly and may attach to a closed one; 4-5 only see open deals.
Several candidates, or none: no deal, and the candidates go to a person (the unsorted queue).
A delivery report only follows rule 1, using the Message-IDs of the returned original.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ingest.parser import ParsedMessage
from services.mail import (
    DealRef,
    MatchClues,
    MatchDecision,
    MatchFacts,
    deal_number_from_message_id,
    deal_numbers_in_subject,
    email_domain,
    normalise_deal_number,
)


def default_plus_pattern(username: str) -> str:
    """'sales@firm.ua' -> 'sales+{tag}@firm.ua' (when a mailbox sets no pattern of its own)."""
    local, at, domain = (username or "").strip().lower().partition("@")
    if not at or not local or not domain:
        return ""
    return f"{local}+{{tag}}@{domain}"


@lru_cache(maxsize=64)
def _plus_regex(pattern: str) -> re.Pattern[str] | None:
    if not pattern or pattern.count("{tag}") != 1:
        return None
    head, tail = pattern.lower().split("{tag}")
    return re.compile(re.escape(head) + r"(?P<tag>[a-zа-яіїєґ0-9][\w.-]{0,30})" + re.escape(tail))


def plus_deal_numbers(recipients: list[str], pattern: str) -> list[str]:
    regex = _plus_regex(pattern)
    if regex is None:
        return []
    numbers: list[str] = []
    for address in recipients:
        found = regex.fullmatch(address.lower())
        if found:
            number = normalise_deal_number(found.group("tag"))
            if number and number not in numbers:
                numbers.append(number)
    return numbers


def extract_clues(message: ParsedMessage, *, plus_pattern: str = "") -> MatchClues:
    if message.is_bounce:
        thread = list(message.original_message_ids)
    else:
        thread = list(message.in_reply_to) + list(reversed(message.references))
    thread_ids = tuple(dict.fromkeys(i for i in thread if i))
    ours = tuple(
        dict.fromkeys(n for n in (deal_number_from_message_id(i) for i in thread_ids) if n)
    )
    return MatchClues(
        thread_ids=thread_ids,
        our_deal_numbers=ours,
        plus_deal_numbers=tuple(plus_deal_numbers(message.all_recipients, plus_pattern)),
        subject_deal_numbers=tuple(deal_numbers_in_subject(message.subject)),
        sender=message.from_address,
        sender_domain=email_domain(message.from_address),
        is_bounce=message.is_bounce,
        is_auto=message.is_auto,
    )


def _unique(deals: list[DealRef]) -> tuple[DealRef, ...]:
    seen: dict[int, DealRef] = {}
    for deal in deals:
        seen.setdefault(deal.id, deal)
    return tuple(seen.values())


def _thread_deal(clues: MatchClues, facts: MatchFacts) -> DealRef | None:
    for message_id in clues.thread_ids:
        number = deal_number_from_message_id(message_id)
        deal = facts.deals_by_number.get(number) if number else None
        deal = deal or facts.deals_by_thread_id.get(message_id)
        if deal is not None:
            return deal
    return None


def decide(clues: MatchClues, facts: MatchFacts) -> MatchDecision:
    if clues.is_bounce:
        return MatchDecision("bounce", _thread_deal(clues, facts))
    contact_partner = facts.contact_partner_ids[0] if len(facts.contact_partner_ids) == 1 else None
    domain_partner = facts.domain_partner_ids[0] if len(facts.domain_partner_ids) == 1 else None
    partner_id = contact_partner or domain_partner
    found = _thread_deal(clues, facts)
    if found is not None:
        return MatchDecision(
            "message_id", found, partner_id=found.partner_id, contact_id=facts.contact_id
        )
    for rule, numbers in (
        ("plus_address", clues.plus_deal_numbers),
        ("subject_tag", clues.subject_deal_numbers),
    ):
        deals = _unique([facts.deals_by_number[n] for n in numbers if n in facts.deals_by_number])
        if len(deals) == 1:
            return MatchDecision(
                rule, deals[0], partner_id=deals[0].partner_id, contact_id=facts.contact_id
            )
        if deals:
            return MatchDecision(rule, None, deals, partner_id, facts.contact_id)
    for rule, deals in (
        ("contact", facts.contact_open_deals),
        ("domain", facts.domain_open_deals),
    ):
        deals = _unique(list(deals))
        if len(deals) == 1:
            return MatchDecision(
                rule, deals[0], partner_id=deals[0].partner_id, contact_id=facts.contact_id
            )
        if deals:
            return MatchDecision(rule, None, deals, partner_id, facts.contact_id)
    return MatchDecision("none", None, (), partner_id, facts.contact_id)
