"""Every message of the third-party corpus (../shared/data/email-corpus, 150 real messages from
14 mail projects' test suites) goes through the real IMAP path and ends attached, unsorted or
set aside with a reason: none is dropped and none stops the worker."""

from __future__ import annotations

import asyncio
import csv
from collections import Counter

import pytest

from models import ContactInfo, EmailMessage
from models.base import ContactKind, EmailState
from tests.factories import load_default_kinds, make_contact, make_deal, make_partner
from tests.ingest.conftest import CORPUS, ingest_once, options

pytestmark = pytest.mark.skipif(
    not (CORPUS / "MANIFEST.tsv").exists(),
    reason=f"the e-mail corpus is not at {CORPUS} (set CRM_EMAIL_CORPUS to its folder)",
)


def _manifest() -> list[dict[str, str]]:
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


async def test_every_corpus_message_ends_somewhere_with_a_reason(
    mailbox, account, files_dir, notifier, capsys
):
    rows = _manifest()
    # one real deal, so that the corpus' known senders have somewhere to land
    await load_default_kinds()
    partner = await make_partner(name="Doug Sauder's shop")
    contact = await make_contact(partner)
    await ContactInfo.create(
        contact=contact,
        kind=ContactKind.EMAIL,
        value="doug@example.com",
        normalized="doug@example.com",
    )
    deal = await make_deal(partner=partner)
    await asyncio.to_thread(account.append, *((CORPUS / r["file"]).read_bytes() for r in rows))

    _stored, log = await ingest_once(mailbox, options(files_dir, parse_workers=2), notifier)

    outcomes = [o for e in log.events if e.kind == "committed" for _, o in e.data["outcomes"]]
    assert len(outcomes) == len(rows) == 150
    assert "disconnected" not in log.kinds()
    counts = Counter(outcomes)
    messages = await EmailMessage.all()
    assert len(messages) + counts["duplicate"] == 150
    assert all(m.state_reason for m in messages)
    assert all(m.raw_file_id for m in messages)
    assert not [m.state_reason for m in messages if m.state == EmailState.QUARANTINED]

    features = {r["file"]: set(r["features"].split(",")) for r in rows}
    bounces = {m.uid for m in messages if m.is_bounce}
    autos = {m.uid for m in messages if m.is_auto_reply}
    uid_of = {r["file"]: i for i, r in enumerate(rows, start=1)}
    assert bounces == {uid_of[f] for f, tags in features.items() if "bounce" in tags}
    assert {uid_of[f] for f, tags in features.items() if "autoreply" in tags} <= autos
    assert all(m.state != EmailState.UNSORTED for m in messages if m.is_bounce or m.is_auto_reply)
    assert await EmailMessage.filter(deal_id=deal.id).count() >= 3  # doug@example.com's mail

    texts = {m.uid: m for m in messages}
    assert texts[uid_of["mozilla-comm-central/sample04.eml"]].text_body == "Вопрос"  # koi8-r
    assert texts[uid_of["mimekit/tnef/ukr.eml"]].text_body.startswith("шостий")
    with capsys.disabled():
        states = Counter(m.state.value for m in messages)
        print(
            f"\ncorpus: {len(rows)} messages -> {dict(states)}, duplicates "
            f"{counts['duplicate']}, bounces {len(bounces)}, automatic {len(autos)}"
        )
