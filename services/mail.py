"""Incoming e-mail: store it exactly once, put it on the right deal, queue what needs a person.

The IMAP adapter (`ingest`) parses a message and extracts its matching clues (pure code), then
hands a batch to `record_incoming_batch`, which in ONE transaction per batch (a few queries for
the whole batch, then bulk inserts):

1. locks the folder's progress row, so a second worker on the same mailbox waits, then skips;
2. skips duplicates (same Message-ID with the same content, or the same raw bytes when the
   Message-ID is missing or reused by another message);
3. stores the raw message and the attachments (content-addressed, `services.files`);
4. holds mail from a sender over the loop-guard limit;
5. looks up the facts the clues point at and lets the adapter's pure `decide` function choose
   the deal (`lookup_match_facts` does the same for one message);
6. writes the `EmailMessage` (attached, unsorted, ignored, held or quarantined, with a reason),
   links its files to the deal and records the notifications to send (`SentNotification`);
7. advances the folder's progress (`MailboxFolderState.last_uid`): the progress commits with
   the messages, so a crash at any point neither loses nor repeats one.

What the CRM keeps beside the model's columns lives in `EmailMessage.headers["_crm"]`:
attachments (name, mime_type, size, inline, source, sha256, file_id, or skipped + limit),
rule, candidates (deal ids), bounce, auto_reason, tnef, forwarded, defects, raw_not_stored.

Notifications are built (`list_pending_email_notes`) and sent after the commit; the button
actions call `attach_email_to_deal`, `detach_email`, `ignore_email`.

Outgoing mail carries the deal in its Message-ID (`make_message_id`), so a reply finds its deal
even when the subject was changed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from core import clock
from core.errors import NotFound, ValidationFailed
from core.i18n import N_
from models import (
    ContactInfo,
    ContactPerson,
    Deal,
    EmailMessage,
    Employee,
    FileLink,
    MailboxFolderState,
    Partner,
    SentNotification,
    StoredFile,
)
from models.base import ContactKind, DealStatus, EmailState, Role
from services.audit import touch_deal_activity
from services.files import (
    attach_file,
    file_path,
    files_root,
    open_file,
    store_file,
    write_once,
)

META_KEY = "_crm"  # our own data inside EmailMessage.headers (see the report on models)
# For whoever shows an `EmailNote.skipped_attachments` entry (sizes formatted by the adapter):
SKIPPED_ATTACHMENT_NOTE = N_(
    "%(name)s (%(size)s) was not saved: files over %(limit)s are not kept."
)
EMPTY_ATTACHMENT_NOTE = N_("%(name)s is empty and was not saved.")
NOTE_ATTACHED = "mail_attached"
NOTE_UNSORTED = "mail_unsorted"
NOTE_MAX_ATTEMPTS = 5
DEFAULT_MAX_RAW_BYTES = 60 * 1024 * 1024

# Public mail services: a shared domain says nothing about the sender's company.
FREE_MAIL_DOMAINS = frozenset(
    (
        "gmail.com", "googlemail.com", "ukr.net", "i.ua", "meta.ua", "bigmir.net", "email.ua",
        "online.ua", "yahoo.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
        "icloud.com", "me.com", "mac.com", "aol.com", "gmx.net", "gmx.de", "gmx.com", "mail.com",
        "proton.me", "protonmail.com", "yandex.ru", "yandex.ua", "ya.ru", "mail.ru", "inbox.ru",
        "list.ru", "bk.ru", "rambler.ru", "tut.by", "zoho.com", "yahoo.co.uk", "web.de",
        "t-online.de",
    )
)  # fmt: skip

# --- deal numbers in Message-IDs, plus-addresses and subjects ----------------------------------

_DEAL_NUMBER = re.compile(r"^[DdДд]-?\s*0*(\d{1,9})(?:-(\d{1,3}))?$")
_OUR_MESSAGE_ID = re.compile(r"\.crm-([Dd]-\d{1,9}(?:-\d{1,3})?)@", re.IGNORECASE)
_SUBJECT_TAG = re.compile(r"\[\s*([DdДд]\s*-?\s*\d{1,9}(?:-\d{1,3})?)\s*\]")
_DOMAIN = re.compile(r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


def normalise_deal_number(text: str) -> str | None:
    """'D123', 'd-000123', 'Д-123' -> 'D-000123' (the form `services.deals` gives numbers)."""
    found = _DEAL_NUMBER.match((text or "").strip().replace(" ", ""))
    if not found:
        return None
    number = f"D-{int(found.group(1)):06d}"
    return f"{number}-{found.group(2)}" if found.group(2) else number


def make_message_id(deal_number: str, domain: str) -> str:
    """A Message-ID for mail the CRM sends about a deal: '<k3x9.a1b2c3d4.crm-D-000123@firm.ua>'.

    A reply quotes it in In-Reply-To/References, and ingest reads the deal back from it
    (`deal_number_from_message_id`), whatever the subject became meanwhile.
    """
    number = normalise_deal_number(deal_number)
    if number is None:
        raise ValidationFailed("invalid", field="deal", reason="bad_deal_number")
    domain = (domain or "").strip().lower()
    if not _DOMAIN.match(domain):
        raise ValidationFailed("invalid", field="domain", reason="bad_domain")
    stamp = _base36(int(clock.now().timestamp() * 1000))
    return f"<{stamp}.{secrets.token_hex(4)}.crm-{number}@{domain}>"


def deal_number_from_message_id(message_id: str) -> str | None:
    found = _OUR_MESSAGE_ID.search(message_id or "")
    return normalise_deal_number(found.group(1)) if found else None


def deal_numbers_in_subject(subject: str) -> list[str]:
    numbers = [normalise_deal_number(tag) for tag in _SUBJECT_TAG.findall(subject or "")]
    return list(dict.fromkeys(n for n in numbers if n))


def _base36(value: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while value:
        value, rest = divmod(value, 36)
        out = digits[rest] + out
    return out or "0"


def email_domain(address: str) -> str:
    """The sender's company domain, or '' for public mail services and odd addresses."""
    domain = (address or "").rpartition("@")[2].strip().lower()
    if not domain or domain in FREE_MAIL_DOMAINS or not _DOMAIN.match(domain):
        return ""
    return domain


# --- what the adapter hands in, and what the matching works with --------------------------------


@dataclass(frozen=True)
class DealRef:
    id: int
    number: str
    title: str
    owner_id: int
    status: str
    partner_id: int | None


@dataclass(frozen=True)
class MatchClues:
    """What a message says about its deal, in the order the matching tries them."""

    thread_ids: tuple[str, ...] = ()  # In-Reply-To first, then References newest first
    our_deal_numbers: tuple[str, ...] = ()  # read from our own Message-IDs among thread_ids
    plus_deal_numbers: tuple[str, ...] = ()  # sales+D123@...
    subject_deal_numbers: tuple[str, ...] = ()  # [D-123]
    sender: str = ""
    sender_domain: str = ""  # '' for public mail services
    is_bounce: bool = False
    is_auto: bool = False


@dataclass(frozen=True)
class MatchFacts:
    """What the database knows about the clues."""

    deals_by_number: Mapping[str, DealRef] = field(default_factory=dict)
    deals_by_thread_id: Mapping[str, DealRef] = field(default_factory=dict)
    contact_id: int | None = None
    contact_partner_ids: tuple[int, ...] = ()
    contact_open_deals: tuple[DealRef, ...] = ()
    domain_partner_ids: tuple[int, ...] = ()
    domain_open_deals: tuple[DealRef, ...] = ()


@dataclass(frozen=True)
class MatchDecision:
    """`deal` set: attach there. Otherwise `candidates` (maybe none) go to a person."""

    rule: str  # message_id, plus_address, subject_tag, contact, domain, bounce, none
    deal: DealRef | None = None
    candidates: tuple[DealRef, ...] = ()
    partner_id: int | None = None
    contact_id: int | None = None


Decide = Callable[[MatchClues, MatchFacts], MatchDecision]


@dataclass(frozen=True)
class LoopGuard:
    """More than `max_messages` from one sender within `minutes`: hold the rest."""

    max_messages: int = 20
    minutes: int = 60


@dataclass
class IncomingAttachment:
    name: str
    mime_type: str
    size: int
    data: bytes | None  # None: not stored (see `skipped`)
    inline: bool = False
    skipped: str = ""  # "", "too_large", "empty"
    source: str = "part"  # part, tnef, forward
    limit: int = 0  # the size limit that applied
    sha256: str = ""

    def __post_init__(self) -> None:
        if self.data is not None and not self.sha256:
            self.sha256 = hashlib.sha256(self.data).hexdigest()


@dataclass
class IncomingEmail:
    raw: bytes
    raw_sha256: str
    received_at: dt.datetime
    clues: MatchClues
    uid: int | None = None
    message_id: str | None = None
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    from_address: str = ""
    from_name: str = ""
    to: list[dict[str, str]] = field(default_factory=list)
    cc: list[dict[str, str]] = field(default_factory=list)
    subject: str = ""
    sent_at: dt.datetime | None = None
    text: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    attachments: list[IncomingAttachment] = field(default_factory=list)
    is_bounce: bool = False
    bounce: dict[str, Any] | None = None
    is_auto: bool = False
    auto_reason: str = ""
    meta: dict[str, Any] = field(default_factory=dict)  # tnef listing, forwards, defects
    problem: str = ""  # set when the message could not be read: it is quarantined


@dataclass(frozen=True)
class RecordedEmail:
    uid: int | None
    email_id: int | None
    outcome: str  # attached, unsorted, ignored, held, quarantined, duplicate
    reason: str = ""
    rule: str = ""
    deal_id: int | None = None
    note_ids: tuple[int, ...] = ()  # notifications to send once the batch has committed


@dataclass(frozen=True)
class SkippedAttachment:
    name: str
    size: int
    reason: str  # too_large, empty
    limit: int


@dataclass(frozen=True)
class EmailNote:
    """A Telegram notification about one e-mail, for one employee (built after the commit).

    kind "attached": the deal's owner; buttons: open the deal, reply later (a task), not this
    deal (`detach_email`). kind "unsorted": the partner's main manager or the heads of sales;
    buttons: attach to one of `candidates` (`attach_email_to_deal`), create a deal, ignore
    (`ignore_email`).
    """

    notification_id: int
    kind: str  # attached, unsorted
    email_id: int
    recipient_id: int
    recipient_telegram_id: int | None
    locale: str
    sender_name: str
    sender_address: str
    subject: str
    preview: str
    attachment_count: int
    skipped_attachments: tuple[SkippedAttachment, ...]
    received_at: dt.datetime
    deal: DealRef | None
    candidates: tuple[DealRef, ...]
    partner_id: int | None
    partner_name: str
    is_bounce: bool
    rule: str


@dataclass(frozen=True)
class EmailRow:
    id: int
    state: str
    state_reason: str
    subject: str
    sender_name: str
    sender_address: str
    received_at: dt.datetime
    deal_id: int | None
    partner_id: int | None
    is_bounce: bool
    is_auto_reply: bool
    attachment_count: int


# --- folder progress ---------------------------------------------------------------------------


async def start_folder(mailbox_id: int, folder: str, uidvalidity: int) -> int:
    """The last UID done in this folder under this UIDVALIDITY (0 for a new one).

    A UIDVALIDITY never seen before starts from 0: the folder is read again and the duplicate
    check (`record_incoming_batch`) keeps what is already stored from being stored twice.
    """
    state, _ = await MailboxFolderState.get_or_create(
        mailbox_id=mailbox_id, folder=folder, uidvalidity=uidvalidity
    )
    return state.last_uid


async def _claim_progress(mailbox_id: int, folder: str, uidvalidity: int) -> int:
    """Lock the folder's progress row for this transaction and read it.

    The write comes first on purpose: it takes the row lock on PostgreSQL and the write lock
    on SQLite, so a second worker on the same mailbox waits here, then sees what the first
    committed and skips it.
    """
    filters = {"mailbox_id": mailbox_id, "folder": folder, "uidvalidity": uidvalidity}
    if not await MailboxFolderState.filter(**filters).update(updated_at=clock.now()):
        await MailboxFolderState.create(**filters, last_uid=0)
        return 0
    return (await MailboxFolderState.get(**filters)).last_uid


async def _advance(mailbox_id: int, folder: str, uidvalidity: int, last_uid: int) -> None:
    updated = await MailboxFolderState.filter(
        mailbox_id=mailbox_id, folder=folder, uidvalidity=uidvalidity, last_uid__lt=last_uid
    ).update(last_uid=last_uid)
    if (
        not updated
        and not await MailboxFolderState.filter(
            mailbox_id=mailbox_id, folder=folder, uidvalidity=uidvalidity
        ).exists()
    ):
        await MailboxFolderState.create(
            mailbox_id=mailbox_id, folder=folder, uidvalidity=uidvalidity, last_uid=last_uid
        )


# --- matching facts ----------------------------------------------------------------------------

_DEAL_FIELDS = ("id", "number", "title", "owner_id", "status", "partner_id")
_OPEN_DEALS_SHOWN = 20


def _deal_ref(row: Mapping[str, Any]) -> DealRef:
    status = row["status"]
    return DealRef(
        id=row["id"],
        number=row["number"],
        title=row["title"],
        owner_id=row["owner_id"],
        status=getattr(status, "value", status),
        partner_id=row["partner_id"],
    )


class _MatchIndex:
    """What the database knows about the clues of a whole batch, read in a few queries; the
    facts of each message are then cut out of it (`facts`). Messages stored earlier in the same
    batch join the thread index (`remember`), so a reply to them finds their deal."""

    def __init__(self) -> None:
        self.deals_by_number: dict[str, DealRef] = {}
        self.deals_by_thread_id: dict[str, DealRef] = {}
        self.infos_by_email: dict[str, list[tuple[int | None, int | None]]] = {}
        self.infos_by_domain: dict[str, list[tuple[int | None, int | None]]] = {}
        self.partner_of_contact: dict[int, int] = {}
        self.active_partners: set[int] = set()
        self.open_deals: dict[int, list[DealRef]] = {}

    @classmethod
    async def load(cls, all_clues: list[MatchClues]) -> _MatchIndex:
        index = cls()
        numbers = sorted(
            {
                n
                for c in all_clues
                for n in c.our_deal_numbers + c.plus_deal_numbers + c.subject_deal_numbers
            }
        )
        if numbers:
            for row in await Deal.filter(number__in=numbers).values(*_DEAL_FIELDS):
                index.deals_by_number[row["number"]] = _deal_ref(row)
        thread_ids = sorted({i for c in all_clues for i in c.thread_ids})
        if thread_ids:
            rows = (
                await EmailMessage.filter(message_id__in=thread_ids, deal_id__isnull=False)
                .order_by("id")
                .values("message_id", "deal_id")
            )
            deals = await index._deals_by_id({r["deal_id"] for r in rows})
            for row in rows:
                if row["deal_id"] in deals:
                    index.deals_by_thread_id[row["message_id"]] = deals[row["deal_id"]]
        people = [c for c in all_clues if not c.is_bounce]
        senders = sorted({c.sender for c in people if c.sender})
        domains = sorted({c.sender_domain for c in people if c.sender_domain})
        infos: list[dict[str, Any]] = []
        if senders:
            infos += await ContactInfo.filter(
                kind=ContactKind.EMAIL, normalized__in=senders
            ).values("normalized", "partner_id", "contact_id")
        if domains:
            condition = Q(*[Q(normalized__endswith="@" + d) for d in domains], join_type="OR")
            infos += (
                await ContactInfo.filter(condition, kind=ContactKind.EMAIL)
                .limit(500 * len(domains))
                .values("normalized", "partner_id", "contact_id")
            )
        for info in infos:
            pair = (info["partner_id"], info["contact_id"])
            address = info["normalized"]
            if address in senders:
                index.infos_by_email.setdefault(address, []).append(pair)
            index.infos_by_domain.setdefault(address.rpartition("@")[2], []).append(pair)
        contact_ids = {c for _, c in (p for v in index.infos_by_domain.values() for p in v) if c}
        if contact_ids:
            index.partner_of_contact = dict(
                await ContactPerson.filter(id__in=sorted(contact_ids)).values_list(
                    "id", "partner_id"
                )
            )
        partner_ids = {p for v in index.infos_by_domain.values() for p, _ in v if p}
        partner_ids |= set(index.partner_of_contact.values())
        if partner_ids:
            index.active_partners = set(
                await Partner.filter(id__in=sorted(partner_ids), active=True).values_list(
                    "id", flat=True
                )
            )
            rows = (
                await Deal.filter(
                    partner_id__in=sorted(index.active_partners), status=DealStatus.OPEN
                )
                .order_by("-started_at", "-id")
                .values(*_DEAL_FIELDS)
            )
            for row in rows:
                index.open_deals.setdefault(row["partner_id"], []).append(_deal_ref(row))
        return index

    async def _deals_by_id(self, ids: set[int]) -> dict[int, DealRef]:
        if not ids:
            return {}
        return {
            r["id"]: _deal_ref(r)
            for r in await Deal.filter(id__in=sorted(ids)).values(*_DEAL_FIELDS)
        }

    def _partners(self, pairs: list[tuple[int | None, int | None]]) -> list[int]:
        found = {p for p, _ in pairs if p} | {
            self.partner_of_contact[c] for _, c in pairs if c in self.partner_of_contact
        }
        return sorted(found & self.active_partners)

    def _deals_of(self, partner_ids: list[int]) -> tuple[DealRef, ...]:
        deals = [d for p in partner_ids for d in self.open_deals.get(p, [])]
        return tuple(deals[:_OPEN_DEALS_SHOWN])

    def facts(self, clues: MatchClues) -> MatchFacts:
        by_number = {
            n: self.deals_by_number[n]
            for n in clues.our_deal_numbers + clues.plus_deal_numbers + clues.subject_deal_numbers
            if n in self.deals_by_number
        }
        by_thread = {
            i: self.deals_by_thread_id[i] for i in clues.thread_ids if i in self.deals_by_thread_id
        }
        if clues.is_bounce:
            return MatchFacts(deals_by_number=by_number, deals_by_thread_id=by_thread)
        own = self.infos_by_email.get(clues.sender, []) if clues.sender else []
        contact_ids = sorted(c for _, c in own if c)
        contact_partners = self._partners(own)
        domain_partners = (
            [
                p
                for p in self._partners(self.infos_by_domain.get(clues.sender_domain, []))
                if p not in contact_partners
            ]
            if clues.sender_domain
            else []
        )
        return MatchFacts(
            deals_by_number=by_number,
            deals_by_thread_id=by_thread,
            contact_id=contact_ids[0] if contact_ids else None,
            contact_partner_ids=tuple(contact_partners),
            contact_open_deals=self._deals_of(contact_partners),
            domain_partner_ids=tuple(domain_partners),
            domain_open_deals=self._deals_of(domain_partners),
        )

    def remember(self, message_id: str | None, deal: DealRef | None) -> None:
        if message_id and deal is not None:
            self.deals_by_thread_id[message_id] = deal


async def lookup_match_facts(clues: MatchClues) -> MatchFacts:
    """Everything in the database the clues of one message point at."""
    return (await _MatchIndex.load([clues])).facts(clues)


# --- recording ---------------------------------------------------------------------------------


def _body_of(raw: bytes) -> bytes:
    """The bytes after the header block (transport headers differ between copies)."""
    ends = [(raw.find(sep), len(sep)) for sep in (b"\r\n\r\n", b"\n\n") if sep in raw]
    if not ends:
        return b""
    at, size = min(ends)
    return raw[at + size :]


class _Batch:
    """One batch written in a few statements.

    `load` reads up front what the batch needs (duplicates, stored files, matching facts,
    loop-guard counts); `plan` decides each message in order, in memory, so that a message sees
    the ones planned before it (a reply to a message of the same batch finds its deal, a flood
    inside one batch counts); `write` then stores the files and inserts the messages, their
    file links and their notifications in bulk.
    """

    def __init__(self, emails: list[IncomingEmail], guard: LoopGuard, files_dir: Any) -> None:
        self.emails = emails
        self.guard = guard
        self.files_dir = files_dir
        self.by_message_id: dict[str, list[dict[str, Any]]] = {}
        self.by_raw_sha: dict[str, int | None] = {}
        self.file_ids: dict[str, int] = {}
        self.new_files: dict[str, tuple[bytes, str, str]] = {}
        self.sender_counts: dict[str, int] = {}
        self.recipients: dict[int | None, list[int]] = {}
        self.planned: list[_Planned] = []
        self.match = _MatchIndex()

    async def load(self) -> _Batch:
        emails = self.emails
        message_ids = sorted({m.message_id for m in emails if m.message_id})
        if message_ids:
            for row in await EmailMessage.filter(message_id__in=message_ids).values(
                "id", "message_id", "raw_sha256", "raw_file_id"
            ):
                self.by_message_id.setdefault(row["message_id"], []).append(row)
        shas = sorted({m.raw_sha256 for m in emails if not m.message_id})
        if shas:
            for row_id, sha in await EmailMessage.filter(raw_sha256__in=shas).values_list(
                "id", "raw_sha256"
            ):
                self.by_raw_sha.setdefault(sha, row_id)
        file_shas = {m.raw_sha256 for m in emails} | {
            a.sha256 for m in emails for a in m.attachments if a.data is not None
        }
        if file_shas:
            self.file_ids = dict(
                await StoredFile.filter(sha256__in=sorted(file_shas)).values_list("sha256", "id")
            )
        people = [m for m in emails if m.from_address and not m.is_bounce and not m.is_auto]
        if people:
            since = min(m.received_at for m in people) - dt.timedelta(minutes=self.guard.minutes)
            rows = (
                await EmailMessage.filter(
                    from_address__in=sorted({m.from_address for m in people}),
                    received_at__gte=since,
                    is_bounce=False,
                    is_auto_reply=False,
                )
                .annotate(n=Count("id"))
                .group_by("from_address")
                .values_list("from_address", "n")
            )
            self.sender_counts = dict(rows)
        self.match = await _MatchIndex.load([m.clues for m in emails])
        return self

    async def duplicate_of(self, mail: IncomingEmail) -> int | bool | None:
        """The id of this message if it is already stored (True: earlier in this batch).

        By Message-ID when it has one: the same ID with the same raw bytes, or with the same
        body (the copy that came through another mailbox, with other transport headers). An ID
        reused by a different message does not count. Without a Message-ID: by the raw bytes.
        """
        if not mail.message_id:
            if mail.raw_sha256 in self.by_raw_sha:
                return self.by_raw_sha[mail.raw_sha256] or True
            return None
        rows = self.by_message_id.get(mail.message_id, [])
        for row in rows:
            if row["raw_sha256"] == mail.raw_sha256:
                return row["id"] or True
        body = hashlib.sha256(_body_of(mail.raw)).digest()
        for row in rows:
            if row.get("body") is None:
                row["body"] = await self._stored_body(row["raw_file_id"])
            if row["body"] == body:
                return row["id"] or True
        return None

    async def _stored_body(self, raw_file_id: int | None) -> bytes:
        stored = await StoredFile.get_or_none(id=raw_file_id or 0)
        if stored is None:
            return b""
        try:
            other = await open_file(stored, files_dir=self.files_dir)
        except NotFound:
            return b""
        return hashlib.sha256(_body_of(other)).digest()

    def remember(self, mail: IncomingEmail) -> None:
        if mail.message_id:
            self.by_message_id.setdefault(mail.message_id, []).append(
                {
                    "id": None,
                    "raw_sha256": mail.raw_sha256,
                    "body": hashlib.sha256(_body_of(mail.raw)).digest(),
                }
            )
        else:
            self.by_raw_sha.setdefault(mail.raw_sha256, None)
        if not mail.is_bounce and not mail.is_auto and mail.from_address:
            self.sender_counts[mail.from_address] = self.sender_counts.get(mail.from_address, 0) + 1

    def keep_file(self, data: bytes, sha256: str, name: str, mime_type: str) -> str:
        if sha256 not in self.file_ids:
            self.new_files.setdefault(sha256, (data, name, mime_type))
        return sha256

    def over_loop_limit(self, mail: IncomingEmail) -> bool:
        if mail.is_bounce or mail.is_auto or not mail.from_address:
            return False
        return self.sender_counts.get(mail.from_address, 0) >= self.guard.max_messages

    async def recipients_for(self, partner_id: int | None) -> list[int]:
        if partner_id not in self.recipients:
            self.recipients[partner_id] = await _unsorted_recipients(partner_id)
        return self.recipients[partner_id]

    async def write(self, mailbox_id: int | None, folder: str) -> list[RecordedEmail]:
        """Store the new files, then insert everything planned; returns the outcomes."""
        # the bytes go to disk in a thread while the rows are inserted; both end before commit
        writing = asyncio.ensure_future(asyncio.to_thread(self._write_files))
        try:
            return await self._insert(mailbox_id, folder)
        finally:
            await writing

    def _write_files(self) -> None:
        for sha256, data in self._bytes_needed().items():  # known rows: rewritten if missing
            write_once(file_path(sha256, self.files_dir), data)

    async def _insert(self, mailbox_id: int | None, folder: str) -> list[RecordedEmail]:
        if self.new_files:
            await StoredFile.bulk_create(
                [
                    StoredFile(
                        sha256=sha,
                        original_name=(name or "file")[:500],
                        mime_type=(mime or "application/octet-stream")[:200],
                        size=len(data),
                    )
                    for sha, (data, name, mime) in self.new_files.items()
                ]
            )
            self.file_ids.update(
                await StoredFile.filter(sha256__in=sorted(self.new_files)).values_list(
                    "sha256", "id"
                )
            )
        rows = [p for p in self.planned if p.row is not None]
        if rows:
            await EmailMessage.bulk_create(
                [p.email(self.file_ids, mailbox_id, folder) for p in rows]
            )
            ids = dict(
                await EmailMessage.filter(raw_sha256__in=[p.mail.raw_sha256 for p in rows])
                .order_by("id")
                .values_list("raw_sha256", "id")
            )
            for planned in rows:
                planned.email_id = ids[planned.mail.raw_sha256]
        await self._link_files(rows)
        notes = [
            SentNotification(
                key=f"{kind}:{p.email_id}:{employee}", kind=kind, recipient_id=employee, period=""
            )
            for p in rows
            for kind, employee in p.notes
        ]
        note_ids: dict[str, int] = {}
        if notes:
            await SentNotification.bulk_create(notes)
            note_ids = dict(
                await SentNotification.filter(key__in=[n.key for n in notes]).values_list(
                    "key", "id"
                )
            )
        touched: dict[int, dt.datetime] = {}
        for planned in rows:
            if planned.deal is not None:
                at = min(planned.mail.received_at, clock.now())
                touched[planned.deal.id] = max(at, touched.get(planned.deal.id, at))
        for deal_id, at in touched.items():
            await touch_deal_activity(deal_id, at)
        return [p.result(note_ids) for p in self.planned]

    def _bytes_needed(self) -> dict[str, bytes]:
        needed: dict[str, bytes] = {}
        for planned in self.planned:
            if planned.row is None:
                continue
            needed[planned.mail.raw_sha256] = planned.mail.raw
            for attachment in planned.mail.attachments:
                if attachment.data is not None:
                    needed[attachment.sha256] = attachment.data
        return needed

    async def _link_files(self, rows: list[_Planned]) -> None:
        wanted: dict[tuple[int, int], str] = {}
        for planned in rows:
            if planned.deal is None:
                continue
            for entry in planned.attachments:
                if entry.get("sha256") and not entry.get("inline"):
                    wanted.setdefault(
                        (self.file_ids[entry["sha256"]], planned.deal.id), entry["name"]
                    )
        if not wanted:
            return
        existing = set(
            await FileLink.filter(
                file_id__in=sorted({f for f, _ in wanted}),
                deal_id__in=sorted({d for _, d in wanted}),
                interaction_id=None,
                claim_id=None,
                partner_id=None,
                kind_id=None,
            ).values_list("file_id", "deal_id")
        )
        await FileLink.bulk_create(
            [
                FileLink(file_id=file_id, deal_id=deal_id, name=name[:500])
                for (file_id, deal_id), name in wanted.items()
                if (file_id, deal_id) not in existing
            ]
        )


@dataclass
class _Planned:
    mail: IncomingEmail
    row: dict[str, Any] | None  # None: a duplicate
    duplicate_of: int | None = None
    deal: DealRef | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    notes: list[tuple[str, int]] = field(default_factory=list)
    email_id: int | None = None

    def email(self, file_ids: dict[str, int], mailbox_id: int | None, folder: str) -> EmailMessage:
        assert self.row is not None
        for entry in self.attachments:
            if entry.get("sha256"):
                entry["file_id"] = file_ids[entry["sha256"]]
        raw_sha = self.row.pop("raw_file_sha", None)
        return EmailMessage(
            mailbox_id=mailbox_id,
            folder=_clip(folder, 255),
            raw_file_id=file_ids[raw_sha] if raw_sha else None,
            **self.row,
        )

    def result(self, note_ids: dict[str, int]) -> RecordedEmail:
        if self.row is None:
            return RecordedEmail(
                self.mail.uid,
                self.duplicate_of,
                "duplicate",
                f"duplicate of #{self.duplicate_of}"
                if self.duplicate_of
                else "duplicate in the same batch",
            )
        keys = [f"{kind}:{self.email_id}:{employee}" for kind, employee in self.notes]
        return RecordedEmail(
            self.mail.uid,
            self.email_id,
            EmailState(self.row["state"]).value,
            self.row["state_reason"],
            self.row["headers"][META_KEY]["rule"],
            self.deal.id if self.deal else None,
            tuple(note_ids[k] for k in keys if k in note_ids),
        )


def _attachment_entries(mail: IncomingEmail, batch: _Batch) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = []
    for attachment in mail.attachments:
        entry: dict[str, Any] = {
            "name": attachment.name,
            "mime_type": attachment.mime_type,
            "size": attachment.size,
            "inline": attachment.inline,
            "source": attachment.source,
        }
        if attachment.data is not None:
            entry["sha256"] = batch.keep_file(
                attachment.data, attachment.sha256, attachment.name, attachment.mime_type
            )
        else:
            entry["skipped"] = attachment.skipped or "not_stored"
            entry["limit"] = attachment.limit
        listed.append(entry)
    return listed


async def _unsorted_recipients(partner_id: int | None) -> list[int]:
    """The partner's main manager, else the heads of sales, else the administrators."""
    if partner_id is not None:
        manager = await Partner.filter(id=partner_id).values_list("main_manager_id", flat=True)
        if manager and manager[0] and await Employee.filter(id=manager[0], active=True).exists():
            return [manager[0]]
    for role in (Role.HEAD, Role.ADMIN):
        ids = (
            await Employee.filter(role=role, active=True)
            .order_by("id")
            .values_list("id", flat=True)
        )
        if ids:
            return list(ids)
    return []


async def _link_files_to_deal(
    attachments: list[dict[str, Any]], deal_id: int, actor_id: int | None = None
) -> None:
    for entry in attachments:
        if entry.get("file_id") and not entry.get("inline"):
            await attach_file(
                entry["file_id"], deal_id=deal_id, name=entry["name"], added_by_id=actor_id
            )


def _clip(value: str | None, limit: int) -> str:
    return (value or "")[:limit]


async def _plan_one(
    mail: IncomingEmail, batch: _Batch, *, decide: Decide, max_raw_bytes: int
) -> _Planned:
    duplicate = await batch.duplicate_of(mail)
    if duplicate is not None:
        return _Planned(mail, None, duplicate_of=duplicate if duplicate is not True else None)

    meta: dict[str, Any] = dict(mail.meta)
    raw_sha = None
    if len(mail.raw) <= max_raw_bytes:
        raw_sha = batch.keep_file(
            mail.raw, mail.raw_sha256, f"{mail.uid or 'message'}.eml", "message/rfc822"
        )
    else:
        meta["raw_not_stored"] = {"size": len(mail.raw), "limit": max_raw_bytes}
    attachments = _attachment_entries(mail, batch)
    meta["attachments"] = attachments
    if mail.bounce:
        meta["bounce"] = mail.bounce
    if mail.auto_reason:
        meta["auto_reason"] = mail.auto_reason

    decision = MatchDecision(rule="none")
    if mail.problem:
        state, reason = EmailState.QUARANTINED, f"unreadable: {mail.problem}"
    elif batch.over_loop_limit(mail):
        state = EmailState.HELD
        reason = (
            f"loop guard: more than {batch.guard.max_messages} messages from "
            f"{mail.from_address} in {batch.guard.minutes} min"
        )
    else:
        decision = decide(mail.clues, batch.match.facts(mail.clues))
        if decision.deal is not None:
            state, reason = EmailState.ATTACHED, decision.rule
        elif mail.is_bounce:
            state, reason = EmailState.IGNORED, "bounce: original message not found"
        elif mail.is_auto:
            state, reason = EmailState.IGNORED, f"automatic reply ({mail.auto_reason})"
        else:
            state = EmailState.UNSORTED
            reason = "several deals" if decision.candidates else "no deal found"
    meta["rule"] = decision.rule
    meta["candidates"] = [d.id for d in decision.candidates]
    headers = dict(mail.headers)
    headers[META_KEY] = meta
    deal = decision.deal if state == EmailState.ATTACHED else None
    partner_id = (deal.partner_id if deal else None) or decision.partner_id
    notes: list[tuple[str, int]] = []
    if deal is not None:
        batch.match.remember(mail.message_id, deal)
        bounce_kind = (mail.bounce or {}).get("kind", "failed")
        if not mail.is_auto and (not mail.is_bounce or bounce_kind == "failed"):
            notes.append((NOTE_ATTACHED, deal.owner_id))
    elif state == EmailState.UNSORTED:
        notes = [(NOTE_UNSORTED, e) for e in await batch.recipients_for(partner_id)]
    batch.remember(mail)
    row = {
        "uid": mail.uid,
        "message_id": mail.message_id,
        "raw_sha256": mail.raw_sha256,
        "raw_file_sha": raw_sha,
        "in_reply_to": " ".join(mail.in_reply_to),
        "references": " ".join(mail.references),
        "from_address": _clip(mail.from_address, 320),
        "from_name": _clip(mail.from_name, 300),
        "to_addresses": mail.to,
        "cc_addresses": mail.cc,
        "subject": mail.subject,
        "sent_at": mail.sent_at,
        "received_at": mail.received_at,
        "text_body": mail.text,
        "headers": headers,
        "state": state,
        "state_reason": reason,
        "is_bounce": mail.is_bounce,
        "is_auto_reply": mail.is_auto,
        "deal_id": deal.id if deal else None,
        "partner_id": partner_id,
        "contact_id": decision.contact_id,
    }
    return _Planned(mail, row, deal=deal, attachments=attachments, notes=notes)


def _files_of(emails: list[IncomingEmail], max_raw_bytes: int) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for mail in emails:
        if len(mail.raw) <= max_raw_bytes:
            files[mail.raw_sha256] = mail.raw
        for attachment in mail.attachments:
            if attachment.data is not None:
                files[attachment.sha256] = attachment.data
    return files


async def prewrite_files(
    emails: list[IncomingEmail],
    *,
    files_dir: Path | str | None = None,
    max_raw_bytes: int = DEFAULT_MAX_RAW_BYTES,
) -> None:
    """Put a batch's raw messages and attachments on disk ahead of its transaction (in a
    thread), so that the writing overlaps with the previous batch's database work. Optional:
    `record_incoming_batch` writes whatever is still missing; a file whose batch never commits
    stays unreferenced and is reused when the same bytes come again."""
    files = _files_of(emails, max_raw_bytes)
    root = files_root(files_dir)

    def write_all() -> None:
        for sha256, data in files.items():
            write_once(file_path(sha256, root), data)

    await asyncio.to_thread(write_all)


async def record_incoming_batch(
    emails: list[IncomingEmail],
    *,
    mailbox_id: int | None,
    folder: str,
    uidvalidity: int | None,
    advance_to: int | None,
    decide: Decide,
    loop_guard: LoopGuard | None = None,
    files_dir: Path | str | None = None,
    max_raw_bytes: int = DEFAULT_MAX_RAW_BYTES,
) -> list[RecordedEmail]:
    """Store a batch and advance the folder's progress to `advance_to`, in one transaction.

    Either all of it commits (messages, files' records, notifications to send, progress) or
    none of it does; the caller then retries, or records the messages one by one.
    """
    guard = loop_guard or LoopGuard()
    tracked = mailbox_id is not None and uidvalidity is not None and advance_to is not None
    async with in_transaction():
        if tracked:
            done = await _claim_progress(mailbox_id, folder, uidvalidity)  # type: ignore[arg-type]
            if done >= advance_to:  # type: ignore[operator]
                return []  # another worker on the same mailbox got here first
            emails = [m for m in emails if m.uid is None or m.uid > done]
        batch = await _Batch(emails, guard, files_dir).load()
        for mail in emails:
            batch.planned.append(
                await _plan_one(mail, batch, decide=decide, max_raw_bytes=max_raw_bytes)
            )
        results = await batch.write(mailbox_id, folder)
        if tracked:
            await _advance(mailbox_id, folder, uidvalidity, advance_to)  # type: ignore[arg-type]
    return results


async def record_unreadable(
    raw: bytes,
    *,
    mailbox_id: int | None,
    folder: str,
    uidvalidity: int | None,
    uid: int | None,
    received_at: dt.datetime,
    problem: str,
    files_dir: Path | str | None = None,
) -> RecordedEmail:
    """Set a message aside (quarantined, raw kept) when even storing it failed; advance."""
    sha = hashlib.sha256(raw).hexdigest()
    async with in_transaction():
        stored = await store_file(
            raw,
            original_name=f"{uid or 'message'}.eml",
            mime_type="message/rfc822",
            files_dir=files_dir,
        )
        email = await EmailMessage.create(
            mailbox_id=mailbox_id,
            folder=_clip(folder, 255),
            uid=uid,
            raw_sha256=sha,
            received_at=received_at,
            raw_file_id=stored.id,
            state=EmailState.QUARANTINED,
            state_reason=_clip(f"could not be stored: {problem}", 2000),
        )
        if mailbox_id is not None and uidvalidity is not None and uid is not None:
            await _advance(mailbox_id, folder, uidvalidity, uid)
    return RecordedEmail(uid, email.id, EmailState.QUARANTINED.value, email.state_reason)


# --- notifications -----------------------------------------------------------------------------

_QUOTE_START = re.compile(
    r"^(>|-{2,}\s*(original message|forwarded message|пересланное сообщение|"
    r"переслане повідомлення|исходное сообщение|вихідне повідомлення)|"
    r"(on|в|у) .{4,80}(wrote|пише|написал|написав|написала)\s*:?\s*$|"
    r"from:\s|від:\s|от:\s|-- ?$|_{5,})",
    re.IGNORECASE,
)


def preview_text(text: str, *, lines: int = 3, chars: int = 280) -> str:
    """The first lines of the new text: quoted replies and signatures are cut."""
    kept: list[str] = []
    for line in (text or "").splitlines():
        stripped = line.strip()
        if _QUOTE_START.match(stripped):
            break
        if stripped:
            kept.append(stripped)
        if len(kept) >= lines:
            break
    preview = "\n".join(kept)
    return preview if len(preview) <= chars else preview[: chars - 1].rstrip() + "…"


def _meta(email: EmailMessage) -> dict[str, Any]:
    headers = email.headers or {}
    meta = headers.get(META_KEY) if isinstance(headers, dict) else None
    return meta if isinstance(meta, dict) else {}


def _attachment_summary(meta: dict[str, Any]) -> tuple[int, tuple[SkippedAttachment, ...]]:
    attachments = [a for a in meta.get("attachments", []) if not a.get("inline")]
    skipped = tuple(
        SkippedAttachment(a["name"], a.get("size", 0), a["skipped"], a.get("limit", 0))
        for a in attachments
        if a.get("skipped")
    )
    return len(attachments), skipped


async def _deal_refs(ids: list[int]) -> list[DealRef]:
    if not ids:
        return []
    rows = {r["id"]: _deal_ref(r) for r in await Deal.filter(id__in=ids).values(*_DEAL_FIELDS)}
    return [rows[i] for i in ids if i in rows]


async def _build_note(notification: SentNotification) -> EmailNote | None:
    try:
        _, email_id, _ = notification.key.split(":")
    except ValueError:
        return None
    email = await EmailMessage.get_or_none(id=int(email_id))
    employee = await Employee.get_or_none(id=notification.recipient_id or 0)
    if email is None or employee is None:
        return None
    meta = _meta(email)
    count, skipped = _attachment_summary(meta)
    deal = (await _deal_refs([email.deal_id]))[0] if email.deal_id else None
    candidates = tuple(await _deal_refs(list(meta.get("candidates", []))))
    partner_name = ""
    if email.partner_id:
        names = await Partner.filter(id=email.partner_id).values_list("name", flat=True)
        partner_name = names[0] if names else ""
    return EmailNote(
        notification_id=notification.id,
        kind="attached" if notification.kind == NOTE_ATTACHED else "unsorted",
        email_id=email.id,
        recipient_id=employee.id,
        recipient_telegram_id=employee.telegram_id,
        locale=employee.locale or "uk",
        sender_name=email.from_name,
        sender_address=email.from_address,
        subject=email.subject,
        preview=preview_text(email.text_body),
        attachment_count=count,
        skipped_attachments=skipped,
        received_at=email.received_at,
        deal=deal,
        candidates=candidates,
        partner_id=email.partner_id,
        partner_name=partner_name,
        is_bounce=email.is_bounce,
        rule=str(meta.get("rule", "")),
    )


async def list_pending_email_notes(
    *, note_ids: list[int] | tuple[int, ...] | None = None, limit: int = 100
) -> list[EmailNote]:
    """Notifications recorded with the mail and not sent yet, oldest first (only `note_ids`
    when given: the ones a batch just committed)."""
    query = SentNotification.filter(
        kind__in=(NOTE_ATTACHED, NOTE_UNSORTED),
        sent_at__isnull=True,
        attempts__lt=NOTE_MAX_ATTEMPTS,
    )
    if note_ids is not None:
        if not note_ids:
            return []
        query = query.filter(id__in=list(note_ids))
    notes = []
    for row in await query.order_by("id").limit(limit if note_ids is None else len(note_ids)):
        note = await _build_note(row)
        if note is None:
            await SentNotification.filter(id=row.id).update(
                attempts=NOTE_MAX_ATTEMPTS, error="gone"
            )
        else:
            notes.append(note)
    return notes


async def mark_email_note_sent(notification_id: int) -> None:
    await SentNotification.filter(id=notification_id).update(sent_at=clock.now(), error="")


async def mark_email_note_failed(notification_id: int, error: str) -> None:
    row = await SentNotification.get_or_none(id=notification_id)
    if row is not None:
        row.attempts += 1
        row.error = error[:2000]
        await row.save(update_fields=["attempts", "error", "updated_at"])


# --- what a person does with a message -----------------------------------------------------------


def _row(email: EmailMessage) -> EmailRow:
    count, _ = _attachment_summary(_meta(email))
    return EmailRow(
        id=email.id,
        state=EmailState(email.state).value,
        state_reason=email.state_reason,
        subject=email.subject,
        sender_name=email.from_name,
        sender_address=email.from_address,
        received_at=email.received_at,
        deal_id=email.deal_id,
        partner_id=email.partner_id,
        is_bounce=email.is_bounce,
        is_auto_reply=email.is_auto_reply,
        attachment_count=count,
    )


async def get_email(email_id: int) -> EmailRow:
    email = await EmailMessage.get_or_none(id=email_id)
    if email is None:
        raise NotFound("not_found", what="email")
    return _row(email)


async def list_unsorted_emails(*, limit: int = 20, offset: int = 0) -> list[EmailRow]:
    rows = (
        await EmailMessage.filter(state=EmailState.UNSORTED)
        .order_by("-received_at", "-id")
        .offset(offset)
        .limit(limit)
    )
    return [_row(r) for r in rows]


async def list_deal_emails(deal_id: int, *, limit: int = 20, offset: int = 0) -> list[EmailRow]:
    rows = (
        await EmailMessage.filter(deal_id=deal_id)
        .order_by("-received_at", "-id")
        .offset(offset)
        .limit(limit)
    )
    return [_row(r) for r in rows]


async def attach_email_to_deal(
    email_id: int, deal_id: int, *, actor_id: int | None = None
) -> EmailRow:
    """Put a message on a deal (from the unsorted queue, or moved from another deal)."""
    async with in_transaction():
        email = await EmailMessage.select_for_update().get_or_none(id=email_id)
        if email is None:
            raise NotFound("not_found", what="email")
        deal = await Deal.get_or_none(id=deal_id)
        if deal is None:
            raise NotFound("not_found", what="deal")
        if email.deal_id and email.deal_id != deal_id:
            await _unlink_files(email, email.deal_id)
        meta = _meta(email)
        email.deal_id = deal_id
        email.partner_id = deal.partner_id or email.partner_id
        email.state = EmailState.ATTACHED
        email.state_reason = "by hand"
        await email.save(
            update_fields=["deal_id", "partner_id", "state", "state_reason", "updated_at"]
        )
        await _link_files_to_deal(meta.get("attachments", []), deal_id, actor_id)
        await touch_deal_activity(deal_id, min(email.received_at, clock.now()))
    return _row(email)


async def _unlink_files(email: EmailMessage, deal_id: int) -> None:
    file_ids = [a["file_id"] for a in _meta(email).get("attachments", []) if a.get("file_id")]
    if file_ids:
        await FileLink.filter(deal_id=deal_id, file_id__in=file_ids, interaction_id=None).delete()


async def detach_email(email_id: int, *, actor_id: int | None = None) -> EmailRow:
    """ "Not this deal": take the message off its deal, back to the unsorted queue."""
    async with in_transaction():
        email = await EmailMessage.select_for_update().get_or_none(id=email_id)
        if email is None:
            raise NotFound("not_found", what="email")
        if email.deal_id:
            await _unlink_files(email, email.deal_id)
        email.deal_id = None
        email.state = EmailState.UNSORTED
        email.state_reason = "not this deal"
        await email.save(update_fields=["deal_id", "state", "state_reason", "updated_at"])
    return _row(email)


async def ignore_email(email_id: int, *, actor_id: int | None = None) -> EmailRow:
    """Leave a message out of every deal; it stays stored."""
    async with in_transaction():
        email = await EmailMessage.select_for_update().get_or_none(id=email_id)
        if email is None:
            raise NotFound("not_found", what="email")
        if email.deal_id:
            await _unlink_files(email, email.deal_id)
        email.deal_id = None
        email.state = EmailState.IGNORED
        email.state_reason = "ignored by hand"
        await email.save(update_fields=["deal_id", "state", "state_reason", "updated_at"])
    return _row(email)
