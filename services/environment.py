"""The deal's environment (1C's "Окружение сделки", reference §3): its participants and, to a
chosen depth, their links and their other deals.

Participants are partners or contact persons with a role (client, competitor, subcontractor,
influencer, decision maker, other), an influence from 1 to 5 and an attitude (supporter /
neutral / opponent). As in 1C the role `client` belongs to the deal's client alone: the deal
service keeps that participant in step with `Deal.partner`, so here it can neither be given to
anyone else nor removed. (The model's `influence` defaults to 0: read as "not set".)

`deal_environment` walks the graph breadth first. Level 1 holds the deal's participants; every
further level holds what the previous one touches: partner-to-partner links, links between
contact persons, a contact's company and a company's contact persons, and the deals a partner
or a contact takes part in (as a participant or as the deal's client). Each level costs a
fixed handful of queries (one per kind of neighbour, for the whole level), never one per node.
A link reads from the side it is seen from: the link kind's `name` from its first partner,
its `reverse_name` from the second.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from core.errors import DuplicateFound, NotFound, ValidationFailed
from core.i18n import N_, register_messages
from models import ContactLink, ContactPerson, Deal, DealParticipant, Partner, PartnerLink
from models.base import Attitude, ParticipantRole
from services.audit import claim_deal, record_event
from services.validation import check_choice, check_positive_int, check_text

INFLUENCE_MIN, INFLUENCE_MAX = 1, 5
DEFAULT_INFLUENCE = 3
MAX_DEPTH = 5
COMMENT_MAX = 2000

EXTRA_FIELD_NAMES = {
    "participant": N_("Participant"),
    "influence": N_("Influence"),
    "attitude": N_("Attitude"),
    "depth": N_("Depth"),
}
EXTRA_REASONS = {
    "partner_or_contact": N_("choose either a partner or a contact person"),
    "client_role": N_("only the deal's client has the role of client"),
    "deal_client_fixed": N_("the deal's client stays a participant; change the deal's client"),
}

register_messages(fields=EXTRA_FIELD_NAMES, reasons=EXTRA_REASONS)


# --- data handed back -------------------------------------------------------------------------


@dataclass(frozen=True)
class ParticipantView:
    id: int
    deal_id: int
    partner_id: int | None
    contact_id: int | None
    name: str  # the partner's name or the contact person's full name
    company: str  # a contact person's partner, "" for partners
    role: str
    influence: int | None  # 1..5, None when never set
    attitude: str
    won_the_deal: bool
    comment: str


@dataclass(frozen=True)
class EnvNode:
    key: str  # "deal:12", "partner:5", "contact:7"
    kind: str  # "deal" | "partner" | "contact"
    id: int
    label: str  # a deal's number, a partner's name, a contact person's full name
    depth: int  # 0 for the deal itself, 1 for its participants, ...
    detail: str = ""  # a deal's title, a contact person's position
    status: str | None = None  # deals: open / won / lost
    role: str | None = None  # participants of the deal: their role
    influence: int | None = None  # participants of the deal: 1..5 (None: not set)
    attitude: str | None = None  # participants of the deal
    won_the_deal: bool = False


@dataclass(frozen=True)
class EnvEdge:
    source: str  # node keys; a participation goes from the deal to the participant
    target: str
    kind: str  # "participant" | "partner_link" | "contact_link" | "works_at"
    label: str = ""  # a link kind's name as read from `source` (user data, not translated)
    role: str | None = None  # participations: the role in that deal
    attitude: str | None = None
    influence: int | None = None
    comment: str = ""


@dataclass(frozen=True)
class Environment:
    deal_id: int
    depth: int
    nodes: tuple[EnvNode, ...]  # breadth-first order: the deal first
    edges: tuple[EnvEdge, ...]

    @property
    def root(self) -> EnvNode:
        return self.nodes[0]

    def node(self, key: str) -> EnvNode | None:
        return next((node for node in self.nodes if node.key == key), None)

    def at_depth(self, depth: int) -> tuple[EnvNode, ...]:
        return tuple(node for node in self.nodes if node.depth == depth)

    def edges_of(self, key: str) -> tuple[EnvEdge, ...]:
        return tuple(edge for edge in self.edges if key in (edge.source, edge.target))


# --- participants -----------------------------------------------------------------------------


def _influence(value: int) -> int | None:
    return value if INFLUENCE_MIN <= value <= INFLUENCE_MAX else None


def _view(row: dict[str, Any]) -> ParticipantView:
    is_contact = row["contact_id"] is not None
    return ParticipantView(
        id=row["id"],
        deal_id=row["deal_id"],
        partner_id=row["partner_id"],
        contact_id=row["contact_id"],
        name=(row["contact_name"] if is_contact else row["partner_name"]) or "",
        company=(row["contact_company"] or "") if is_contact else "",
        role=str(row["role"]),
        influence=_influence(row["influence"]),
        attitude=str(row["attitude"]),
        won_the_deal=bool(row["won_the_deal"]),
        comment=row["comment"],
    )


_PARTICIPANT_COLUMNS = (
    "deal_id", "partner_id", "contact_id", "role", "influence", "attitude", "won_the_deal",
    "comment",
)  # fmt: skip
_PARTICIPANT_FIELDS = {
    "partner_name": "partner__name",
    "contact_name": "contact__full_name",
    "contact_company": "contact__partner__name",
}
_ROLE_ORDER = {role.value: index for index, role in enumerate(ParticipantRole)}


async def _participant_views(participants: QuerySet[DealParticipant]) -> list[ParticipantView]:
    rows = await participants.values("id", *_PARTICIPANT_COLUMNS, **_PARTICIPANT_FIELDS)
    return [_view(row) for row in rows]


async def list_participants(deal_id: int) -> list[ParticipantView]:
    """The deal's participants: the client first, then by role, the most influential first."""
    if not await Deal.filter(id=deal_id).exists():
        raise NotFound("not_found", what="deal")
    views = await _participant_views(DealParticipant.filter(deal_id=deal_id))
    return sorted(
        views, key=lambda v: (_ROLE_ORDER.get(v.role, 99), -(v.influence or 0), v.name, v.id)
    )


async def get_participant(participant_id: int) -> ParticipantView:
    views = await _participant_views(DealParticipant.filter(id=participant_id))
    if not views:
        raise NotFound("not_found", what="participant")
    return views[0]


def _check_influence(value: object) -> int:
    return check_positive_int(value, "influence", maximum=INFLUENCE_MAX)


async def add_participant(
    deal_id: int,
    *,
    partner_id: int | None = None,
    contact_id: int | None = None,
    role: str,
    influence: int = DEFAULT_INFLUENCE,
    attitude: str = Attitude.NEUTRAL.value,
    comment: str = "",
    actor_id: int | None = None,
    expected_version: int | None = None,
) -> ParticipantView:
    """Add a partner or a contact person (exactly one of them) to the deal's participants."""
    if (partner_id is None) == (contact_id is None):
        raise ValidationFailed("invalid", field="participant", reason="partner_or_contact")
    role = check_choice(role, ParticipantRole, "role")
    level = _check_influence(influence)
    attitude = check_choice(attitude, Attitude, "attitude")
    comment = check_text(comment, "comment", max_len=COMMENT_MAX)
    async with in_transaction():
        deal = await claim_deal(deal_id, expected_version)
        if partner_id is not None:
            names = await Partner.filter(id=partner_id).values_list("name", flat=True)
            name = names[0] if names else None
            if name is None:
                raise NotFound("not_found", what="partner")
            taken = DealParticipant.filter(deal_id=deal.id, partner_id=partner_id)
        else:
            names = await ContactPerson.filter(id=contact_id).values_list("full_name", flat=True)
            name = names[0] if names else None
            if name is None:
                raise NotFound("not_found", what="contact")
            taken = DealParticipant.filter(deal_id=deal.id, contact_id=contact_id)
        if role == ParticipantRole.CLIENT and (partner_id is None or partner_id != deal.partner_id):
            raise ValidationFailed("invalid", field="role", reason="client_role")
        if await taken.exists():
            raise DuplicateFound("duplicate", existing=name)
        participant = await DealParticipant.create(
            deal_id=deal.id,
            partner_id=partner_id,
            contact_id=contact_id,
            role=role,
            influence=level,
            attitude=attitude,
            comment=comment,
        )
        await record_event(
            deal.id,
            "participant_added",
            actor_id=actor_id,
            data={
                "participant_id": participant.id,
                "partner_id": partner_id,
                "contact_id": contact_id,
                "role": role,
                "influence": level,
                "attitude": attitude,
            },
        )
    return await get_participant(participant.id)


async def _own_participant(deal_id: int, participant_id: int) -> DealParticipant:
    participant = await DealParticipant.get_or_none(id=participant_id, deal_id=deal_id)
    if participant is None:
        raise NotFound("not_found", what="participant")
    return participant


async def update_participant(
    deal_id: int,
    participant_id: int,
    *,
    role: str | None = None,
    influence: int | None = None,
    attitude: str | None = None,
    comment: str | None = None,
    actor_id: int | None = None,
    expected_version: int | None = None,
) -> ParticipantView:
    """Change a participant's role, influence, attitude or comment (None: unchanged)."""
    changes: dict[str, Any] = {}
    if role is not None:
        changes["role"] = check_choice(role, ParticipantRole, "role")
    if influence is not None:
        changes["influence"] = _check_influence(influence)
    if attitude is not None:
        changes["attitude"] = check_choice(attitude, Attitude, "attitude")
    if comment is not None:
        changes["comment"] = check_text(comment, "comment", max_len=COMMENT_MAX)
    async with in_transaction():
        deal = await claim_deal(deal_id, expected_version)
        participant = await _own_participant(deal.id, participant_id)
        new_role = changes.get("role", participant.role)
        was_client = participant.role == ParticipantRole.CLIENT
        if new_role == ParticipantRole.CLIENT and not was_client:
            if participant.partner_id is None or participant.partner_id != deal.partner_id:
                raise ValidationFailed("invalid", field="role", reason="client_role")
            if await DealParticipant.filter(deal_id=deal.id, role=ParticipantRole.CLIENT).exists():
                raise ValidationFailed("invalid", field="role", reason="client_role")
        if was_client and new_role != ParticipantRole.CLIENT:
            raise ValidationFailed("invalid", field="role", reason="deal_client_fixed")
        if changes:
            await DealParticipant.filter(id=participant.id).update(**changes)
            await record_event(
                deal.id,
                "participant_changed",
                actor_id=actor_id,
                data={"participant_id": participant.id, **changes},
            )
    return await get_participant(participant_id)


async def remove_participant(
    deal_id: int,
    participant_id: int,
    *,
    actor_id: int | None = None,
    expected_version: int | None = None,
) -> None:
    """Remove a participant; the deal's client cannot be removed here (change the deal's
    client instead)."""
    async with in_transaction():
        deal = await claim_deal(deal_id, expected_version)
        participant = await _own_participant(deal.id, participant_id)
        if participant.role == ParticipantRole.CLIENT and participant.partner_id == deal.partner_id:
            raise ValidationFailed("invalid", field="role", reason="deal_client_fixed")
        await DealParticipant.filter(id=participant.id).delete()
        await record_event(
            deal.id,
            "participant_removed",
            actor_id=actor_id,
            data={
                "participant_id": participant.id,
                "partner_id": participant.partner_id,
                "contact_id": participant.contact_id,
                "role": str(participant.role),
            },
        )


# --- the environment --------------------------------------------------------------------------


def _key(kind: str, ident: int) -> str:
    return f"{kind}:{ident}"


@dataclass
class _Walk:
    """The graph being built: nodes by key (with their depth) and edges by identity."""

    nodes: dict[str, EnvNode] = field(default_factory=dict)
    edges: dict[tuple[Any, ...], EnvEdge] = field(default_factory=dict)
    fresh: dict[str, EnvNode] = field(default_factory=dict)  # found at the current level
    level: int = 0

    def reach(self, kind: str, ident: int, label: str, **extra: Any) -> str:
        key = _key(kind, ident)
        if key not in self.nodes and key not in self.fresh:
            self.fresh[key] = EnvNode(key, kind, ident, label, self.level, **extra)
        return key

    def link(self, identity: tuple[Any, ...], edge: EnvEdge) -> None:
        self.edges.setdefault(identity, edge)

    def frontier(self, kind: str) -> list[int]:
        return [
            node.id
            for node in self.nodes.values()
            if node.kind == kind and node.depth == self.level - 1
        ]


async def deal_environment(deal_id: int, depth: int = 2) -> Environment:
    """The deal, its participants and, level by level up to `depth`, their links and deals."""
    if isinstance(depth, bool) or not isinstance(depth, int) or not 1 <= depth <= MAX_DEPTH:
        raise ValidationFailed(
            "invalid", field="depth", reason="out_of_range", min=1, max=MAX_DEPTH
        )
    root = await Deal.filter(id=deal_id).values("id", "number", "title", "status")
    if not root:
        raise NotFound("not_found", what="deal")
    walk = _Walk()
    row = root[0]
    walk.nodes[_key("deal", deal_id)] = EnvNode(
        _key("deal", deal_id),
        "deal",
        deal_id,
        row["number"],
        0,
        detail=row["title"],
        status=str(row["status"]),
    )
    for level in range(1, depth + 1):
        walk.level = level
        deals = walk.frontier("deal")
        partners = walk.frontier("partner")
        contacts = walk.frontier("contact")
        if not (deals or partners or contacts):
            break
        await _participations(walk, deals, partners, contacts, deal_id)
        await _clients(walk, deals, partners, deal_id)
        await _partner_links(walk, partners)
        await _contact_links(walk, contacts)
        await _companies(walk, partners, contacts)
        for key in sorted(walk.fresh, key=lambda k: (walk.fresh[k].kind, walk.fresh[k].label)):
            walk.nodes[key] = walk.fresh[key]
        walk.fresh = {}
    return Environment(deal_id, depth, tuple(walk.nodes.values()), tuple(walk.edges.values()))


_DEAL_FIELDS = {
    "deal_number": "deal__number",
    "deal_title": "deal__title",
    "deal_status": "deal__status",
}


async def _participations(
    walk: _Walk, deals: list[int], partners: list[int], contacts: list[int], root_id: int
) -> None:
    """Participant rows of the frontier's deals, and of the frontier's partners and contacts."""
    where = Q(deal_id__in=deals) | Q(partner_id__in=partners) | Q(contact_id__in=contacts)
    rows = await DealParticipant.filter(where).values(
        *_PARTICIPANT_COLUMNS,
        "contact__position",
        "contact__partner_id",
        **_PARTICIPANT_FIELDS,
        **_DEAL_FIELDS,
    )
    for row in rows:
        deal_key = walk.reach(
            "deal",
            row["deal_id"],
            row["deal_number"],
            detail=row["deal_title"],
            status=str(row["deal_status"]),
        )
        influence = _influence(row["influence"])
        in_root = row["deal_id"] == root_id
        extra: dict[str, Any] = {}
        if in_root:
            extra = {
                "role": str(row["role"]),
                "influence": influence,
                "attitude": str(row["attitude"]),
                "won_the_deal": row["won_the_deal"],
            }
        if row["contact_id"] is not None:
            person = walk.reach(
                "contact",
                row["contact_id"],
                row["contact_name"],
                detail=row["contact__position"] or "",
                **extra,
            )
        elif row["partner_id"] is not None:
            person = walk.reach("partner", row["partner_id"], row["partner_name"], **extra)
        else:
            continue
        walk.link(
            ("participant", deal_key, person),
            EnvEdge(
                deal_key,
                person,
                "participant",
                role=str(row["role"]),
                attitude=str(row["attitude"]),
                influence=influence,
                comment=row["comment"],
            ),
        )


async def _clients(walk: _Walk, deals: list[int], partners: list[int], root_id: int) -> None:
    """A deal's client is part of its environment even without a participant row (imported
    history), and a partner's deals include those where it is the client."""
    if not deals and not partners:
        return
    rows = await Deal.filter(
        Q(id__in=deals, partner_id__isnull=False) | Q(partner_id__in=partners)
    ).values("id", "number", "title", "status", "partner_id", partner_name="partner__name")
    client = ParticipantRole.CLIENT.value
    for row in rows:
        deal_key = walk.reach(
            "deal", row["id"], row["number"], detail=row["title"], status=str(row["status"])
        )
        extra = {"role": client} if row["id"] == root_id else {}
        person = walk.reach("partner", row["partner_id"], row["partner_name"], **extra)
        walk.link(
            ("participant", deal_key, person), EnvEdge(deal_key, person, "participant", role=client)
        )


def _link_edge(
    kind: str, row: dict[str, Any], first: str, second: str, from_first: bool
) -> EnvEdge:
    """A link read from the side the walk came from: the first's side names it by the link
    kind's name, the second's by its reverse name (or the name when it has none)."""
    if from_first:
        return EnvEdge(first, second, kind, row["name"], comment=row["comment"])
    return EnvEdge(second, first, kind, row["reverse_name"] or row["name"], comment=row["comment"])


async def _partner_links(walk: _Walk, partners: list[int]) -> None:
    if not partners:
        return
    rows = await PartnerLink.filter(
        Q(from_partner_id__in=partners) | Q(to_partner_id__in=partners)
    ).values(
        "id",
        "from_partner_id",
        "to_partner_id",
        "comment",
        from_name="from_partner__name",
        to_name="to_partner__name",
        name="kind__name",
        reverse_name="kind__reverse_name",
    )
    seen = set(partners)
    for row in rows:
        first = walk.reach("partner", row["from_partner_id"], row["from_name"])
        second = walk.reach("partner", row["to_partner_id"], row["to_name"])
        edge = _link_edge("partner_link", row, first, second, row["from_partner_id"] in seen)
        walk.link(("partner_link", row["id"]), edge)


async def _contact_links(walk: _Walk, contacts: list[int]) -> None:
    if not contacts:
        return
    rows = await ContactLink.filter(
        Q(from_contact_id__in=contacts) | Q(to_contact_id__in=contacts)
    ).values(
        "id",
        "from_contact_id",
        "to_contact_id",
        "comment",
        from_name="from_contact__full_name",
        to_name="to_contact__full_name",
        from_position="from_contact__position",
        to_position="to_contact__position",
        name="kind__name",
        reverse_name="kind__reverse_name",
    )
    seen = set(contacts)
    for row in rows:
        first = walk.reach(
            "contact", row["from_contact_id"], row["from_name"], detail=row["from_position"] or ""
        )
        second = walk.reach(
            "contact", row["to_contact_id"], row["to_name"], detail=row["to_position"] or ""
        )
        edge = _link_edge("contact_link", row, first, second, row["from_contact_id"] in seen)
        walk.link(("contact_link", row["id"]), edge)


async def _companies(walk: _Walk, partners: list[int], contacts: list[int]) -> None:
    """A contact person's company, and a company's contact persons."""
    if not partners and not contacts:
        return
    rows = await ContactPerson.filter(Q(id__in=contacts) | Q(partner_id__in=partners)).values(
        "id", "full_name", "position", "partner_id", partner_name="partner__name"
    )
    for row in rows:
        person = walk.reach("contact", row["id"], row["full_name"], detail=row["position"] or "")
        company = walk.reach("partner", row["partner_id"], row["partner_name"])
        walk.link(("works_at", person), EnvEdge(person, company, "works_at"))
