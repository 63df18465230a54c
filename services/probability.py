"""Win probability of deals: stage rates and a deal's probability with its explanation.

Two methods, picked by configuration (`CRM_PROBABILITY_METHOD`, see `configured_method`):

``shrunk`` -- 1C's components (reference §5), repaired.
    1C averages the manager's estimate with four raw rates: the stage's, the owner's, the
    client's and the deal kind's (won / decided over finished deals). A raw rate of one won deal
    out of one is 100 %, a zero rate is skipped as if it were missing, and the owner's, the
    client's and the kind's rates ignore how far the deal has got, so a deal at the last stage is
    dragged toward the average. Here:
    - every rate is shrunk toward a prior worth ``k`` deals, ``(won + k * prior) / (decided + k)``,
      in a hierarchy: the company's rate toward the stage's default probability (50 % when the
      stage has none), the kind's rate toward the company's, the stage's rate toward the kind's.
      With no history a deal gets its stage's default probability; with much history the
      observed rates;
    - the owner's and the client's rates count their finished deals that reached the deal's
      current stage (1C: all their deals), shrunk toward the stage's rate: they then say how
      this owner or client does from here on, compared with everyone at this stage;
    - the result is a weighted mean (``SHRUNK_WEIGHTS``): the manager's estimate when set, the
      stage's, the owner's and the client's rates with equal weights; the kind's rate is listed
      with weight 0 (it enters through the stage's prior). On the backtest
      (``bench/bench_probability.py``) adding the kind's rate to the mean, or giving the stage
      more weight, made both the Brier score and the log loss worse (less weight on the stage
      was about 1 % better: equal weights are kept as simpler to explain and less fitted to the
      generator); ``k`` between 2 and 5 was best and 5 is kept because real histories are
      smaller.

``bayes`` -- Odoo's predictive lead scoring (peer-crms §2.1), per deal kind (Odoo's team).
    Frequencies of won and lost deals per value of the stage, the owner and the client, each
    seen value starting at 0.1 on both counts. A won deal counts for every stage of its kind; a
    lost deal counts for the stages up to (by order) the one where it was lost, so the stage
    term measures "reached this stage". Score = P(won) * prod P(value | won) against the same
    for lost, P(stage | .) over the kind's won or lost total, other values over their variable's
    total; a value without history is skipped. A kind without both won and lost deals has no
    score: the stage's default probability is used instead.

Both methods then apply the same staleness penalty: once an open deal has had no activity
(the later of ``last_activity_at`` and the entry into its current stage) for longer than its
stage's ``rot_days``, the probability is halved for every further ``rot_days`` idle
(``factor = 0.5 ** (overdue_days / rot_days)``). A won deal is 100 %, a lost one 0 %; an open
deal is kept within 1..99 % so that no figure reads as already decided (Odoo's PR #128237).

Every count is an SQL aggregation (COUNT with CASE, GROUP BY), the same on SQLite and
PostgreSQL. A deal's explanation reads the deal (unless the caller passes it) and then every
count in one plain-SQL statement: the card is shown on every button press, and building a
query through the ORM costs more than running a small one.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.models import Model

from core import clock
from core.errors import NotFound, ValidationFailed
from core.i18n import N_, register_messages
from models import Deal, DealStageLog, Stage
from models.base import DealStatus
from services.analytics.common import fetch

METHODS = ("shrunk", "bayes")
DEFAULT_METHOD = "shrunk"  # better Brier score and log loss on the backtest (bench/)
DEFAULT_PRIOR_DEALS = 5.0
BAYES_SMOOTHING = 0.1  # Odoo's +0.1 per frequency row ("+1 weights too much on small sets")
NEUTRAL_PRIOR = 0.5
DECIDED = (DealStatus.WON.value, DealStatus.LOST.value)

# Weight of each component in the shrunk method's weighted mean (0: listed, not averaged).
SHRUNK_WEIGHTS = {"manual": 1.0, "stage": 1.0, "owner": 1.0, "partner": 1.0, "kind": 0.0}

METHOD_NAMES = {
    "shrunk": N_("Statistics with shrinkage"),
    "bayes": N_("Naive Bayes"),
}

COMPONENT_NAMES = {
    "manual": N_("Manager's estimate"),
    "stage": N_("Stage rate"),
    "owner": N_("Owner's rate"),
    "partner": N_("Client's rate"),
    "kind": N_("Deal kind's rate"),
    "prior": N_("Base rate of the deal kind"),
    "stage_factor": N_("Stage factor"),
    "owner_factor": N_("Owner factor"),
    "partner_factor": N_("Client factor"),
    "staleness": N_("Staleness penalty"),
}

# Note codes of the components; texts take %(won)s, %(lost)s, %(decided)s, %(days)s
# (`ProbabilityComponent.note_params`), written "label: number" so no plural forms are needed.
NOTES = {
    "set_by_owner": N_("set by the deal's owner"),
    "not_used": N_("shown for reference; this method does not use it"),
    "shrunk": N_("closed: %(decided)s, won: %(won)s; pulled toward the deal kind's rate"),
    "shrunk_to_stage": N_(
        "closed after reaching this stage: %(decided)s, won: %(won)s; "
        "pulled toward the stage's rate"
    ),
    "shrunk_to_company": N_("closed: %(decided)s, won: %(won)s; pulled toward the company's rate"),
    "default_probability": N_("no closed deals yet: the stage's default probability"),
    "counts": N_("won: %(won)s, lost: %(lost)s"),
    "stage_reached": N_(
        "won deals count for every stage, lost ones up to the stage where they were lost"
    ),
    "overdue": N_("days without activity beyond the stage's limit: %(days)s"),
    "won": N_("the deal is won"),
    "lost": N_("the deal is lost"),
    "no_history": N_("not enough closed deals: the stage's default probability"),
}

EXTRA_FIELD_NAMES = {"probability_method": N_("Probability method")}

register_messages(fields=EXTRA_FIELD_NAMES)


@dataclass(frozen=True)
class Rate:
    """won / (won + lost) among finished deals, with its sample."""

    won: int
    lost: int

    @property
    def decided(self) -> int:
        return self.won + self.lost

    @property
    def value(self) -> float | None:
        """The raw rate (0..1), or None without any finished deal."""
        return self.won / self.decided if self.decided else None

    def shrunk(self, prior: float, k: float = DEFAULT_PRIOR_DEALS) -> float:
        """The rate pulled toward `prior` with the weight of `k` deals."""
        if self.decided + k <= 0:
            return prior
        return (self.won + k * prior) / (self.decided + k)


@dataclass(frozen=True)
class ProbabilityComponent:
    code: str  # key of COMPONENT_NAMES
    name: str  # English msgid; translate at the edge with gettext
    value: float  # percent 0..100 (for "staleness": the multiplier in percent)
    won: int | None = None
    decided: int | None = None  # won + lost
    weight: float = 1.0  # in the shrunk mean; for bayes 1 = a factor, 0 = shown only
    note: str = ""  # key of NOTES
    days: int | None = None  # overdue days, for the staleness note

    @property
    def lost(self) -> int | None:
        if self.won is None or self.decided is None:
            return None
        return self.decided - self.won

    def note_params(self) -> dict[str, object]:
        return {"won": self.won, "lost": self.lost, "decided": self.decided, "days": self.days}


@dataclass(frozen=True)
class ProbabilityExplanation:
    deal_id: int
    percent: int  # 0..100, what is written to Deal.computed_probability
    method: str  # "shrunk" | "bayes"
    components: tuple[ProbabilityComponent, ...]
    status: str = DealStatus.OPEN.value
    note: str = ""  # key of NOTES for the result as a whole
    before_penalty: float | None = None  # percent before the staleness penalty
    prior_deals: float = DEFAULT_PRIOR_DEALS

    @property
    def method_name(self) -> str:
        return METHOD_NAMES[self.method]

    def component(self, code: str) -> ProbabilityComponent | None:
        return next((c for c in self.components if c.code == code), None)


# --- configuration ----------------------------------------------------------------------------


def configured_method(value: str | None = None) -> str:
    """The method to use: `value`, else the setting CRM_PROBABILITY_METHOD, else DEFAULT_METHOD."""
    if value is None:
        value = _setting_method() or DEFAULT_METHOD
    value = value.strip().lower()
    if value not in METHODS:
        raise ValidationFailed(
            "invalid", field="probability_method", reason="bad_choice", choices=", ".join(METHODS)
        )
    return value


def _setting_method() -> str | None:
    from core.config import ConfigError, get_settings

    try:
        return get_settings().probability_method
    except ConfigError:  # a broken .env is reported at start-up, not here
        return None


# --- queries ----------------------------------------------------------------------------------


async def stage_rates(kind_id: int) -> dict[int, Rate]:
    """Per stage of the kind: won and lost among finished deals that reached it (have a log row
    for it). Every stage of the kind is present, with zero counts when no deal reached it."""
    stage_ids = await Stage.filter(kind_id=kind_id).order_by("order").values_list("id", flat=True)
    rows = (
        await DealStageLog.filter(deal__kind_id=kind_id, deal__status__in=DECIDED)
        .annotate(
            won=Count("deal_id", distinct=True, _filter=Q(deal__status=DealStatus.WON)),
            lost=Count("deal_id", distinct=True, _filter=Q(deal__status=DealStatus.LOST)),
        )
        .group_by("stage_id")
        .values("stage_id", "won", "lost")
    )
    counted = {row["stage_id"]: Rate(int(row["won"]), int(row["lost"])) for row in rows}
    return {stage_id: counted.get(stage_id, Rate(0, 0)) for stage_id in stage_ids}


@dataclass(frozen=True)
class _DealFacts:
    """What the explanation reads of a deal (from a loaded `Deal` or one plain-SQL row)."""

    id: int
    status: DealStatus
    kind_id: int
    owner_id: int
    partner_id: int | None
    stage_id: int | None
    manual_probability: int | None
    last_activity_at: dt.datetime | None
    started_at: dt.datetime | None

    @classmethod
    def of(cls, deal: Deal) -> _DealFacts:
        return cls(
            id=deal.id,
            status=DealStatus(deal.status),
            kind_id=deal.kind_id,
            owner_id=deal.owner_id,
            partner_id=deal.partner_id,
            stage_id=deal.stage_id,
            manual_probability=deal.manual_probability,
            last_activity_at=deal.last_activity_at,
            started_at=deal.started_at,
        )


@dataclass(frozen=True)
class _StageFacts:
    id: int
    order: int
    default_probability: int
    rot_days: int | None


@dataclass(frozen=True)
class _Counts:
    """Everything the methods count, read by one statement (`_read_counts`)."""

    kind: Rate  # the kind's finished deals
    owner: Rate  # ... of them, the owner's
    partner: Rate | None  # ... of them, the client's
    owners: int  # distinct owners among the kind's finished deals
    partners: int  # distinct clients among them
    with_partner: Rate  # finished deals of the kind that have a client
    stage: _StageFacts | None  # the deal's stage
    company: Rate  # all finished deals (shrunk only)
    at_stage: Rate  # finished deals that reached the deal's stage (shrunk only)
    owner_at_stage: Rate  # ... of them, the owner's
    partner_at_stage: Rate | None  # ... of them, the client's
    lost_here: int  # the kind's lost deals lost at or after the deal's stage (bayes only)
    entered: dt.datetime | None  # when the deal entered its current stage (open log row)


def _when(model: type[Model], field: str, value: object) -> Any:
    """A column as Tortoise reads it (aware datetimes from SQLite's text, too)."""
    return model._meta.fields_map[field].to_python_value(value)


_DEAL_SQL = (
    "SELECT id, status, kind_id, owner_id, partner_id, stage_id, manual_probability,"
    " last_activity_at, started_at FROM deal WHERE id = ?"
)


async def _read_deal(deal_id: int) -> _DealFacts | None:
    rows = await fetch(_DEAL_SQL, [deal_id])
    if not rows:
        return None
    row = rows[0]
    return _DealFacts(
        id=int(row["id"]),
        status=DealStatus(row["status"]),
        kind_id=int(row["kind_id"]),
        owner_id=int(row["owner_id"]),
        partner_id=row["partner_id"],
        stage_id=row["stage_id"],
        manual_probability=row["manual_probability"],
        last_activity_at=_when(Deal, "last_activity_at", row["last_activity_at"]),
        started_at=_when(Deal, "started_at", row["started_at"]),
    )


async def _read_counts(deal: _DealFacts, method: str) -> _Counts:
    """One statement: conditional COUNTs over the kind's finished deals, and for the deal's
    stage its row and what the method needs (the same on SQLite and PostgreSQL)."""
    won, lost = DealStatus.WON.value, DealStatus.LOST.value
    owner, partner = deal.owner_id, deal.partner_id or 0
    columns = ["k.*"]
    sources = [
        "(SELECT COUNT(CASE WHEN status = ? THEN 1 END) AS won,"
        " COUNT(CASE WHEN status = ? THEN 1 END) AS lost,"
        " COUNT(CASE WHEN status = ? AND owner_id = ? THEN 1 END) AS owner_won,"
        " COUNT(CASE WHEN status = ? AND owner_id = ? THEN 1 END) AS owner_lost,"
        " COUNT(CASE WHEN status = ? AND partner_id = ? THEN 1 END) AS partner_won,"
        " COUNT(CASE WHEN status = ? AND partner_id = ? THEN 1 END) AS partner_lost,"
        " COUNT(DISTINCT owner_id) AS owners, COUNT(DISTINCT partner_id) AS partners,"
        " COUNT(CASE WHEN status = ? AND partner_id IS NOT NULL THEN 1 END) AS won_wp,"
        " COUNT(CASE WHEN status = ? AND partner_id IS NOT NULL THEN 1 END) AS lost_wp"
        " FROM deal WHERE kind_id = ? AND status IN (?, ?)) k"
    ]
    args: list[object] = [won, lost, won, owner, lost, owner, won, partner, lost, partner]
    args += [won, lost, deal.kind_id, won, lost]
    if method == "shrunk":
        columns.append("c.*")
        sources.append(
            "(SELECT COUNT(CASE WHEN status = ? THEN 1 END) AS c_won,"
            " COUNT(CASE WHEN status = ? THEN 1 END) AS c_lost"
            " FROM deal WHERE status IN (?, ?)) c"
        )
        args += [won, lost, won, lost]
    if deal.stage_id is not None:
        columns.append("e.*")
        sources.append(
            "(SELECT MAX(entered_at) AS entered FROM deal_stage_log"
            " WHERE deal_id = ? AND stage_id = ? AND left_at IS NULL) e"
        )
        args += [deal.id, deal.stage_id]
        if method == "shrunk":
            columns.append("s.*")
            sources.append(
                "(SELECT COUNT(DISTINCT CASE WHEN d.status = ? THEN d.id END) AS s_won,"
                " COUNT(DISTINCT CASE WHEN d.status = ? THEN d.id END) AS s_lost,"
                " COUNT(DISTINCT CASE WHEN d.status = ? AND d.owner_id = ? THEN d.id END)"
                " AS s_owner_won,"
                " COUNT(DISTINCT CASE WHEN d.status = ? AND d.owner_id = ? THEN d.id END)"
                " AS s_owner_lost,"
                " COUNT(DISTINCT CASE WHEN d.status = ? AND d.partner_id = ? THEN d.id END)"
                " AS s_partner_won,"
                " COUNT(DISTINCT CASE WHEN d.status = ? AND d.partner_id = ? THEN d.id END)"
                " AS s_partner_lost"
                " FROM deal_stage_log l JOIN deal d ON d.id = l.deal_id"
                " WHERE l.stage_id = ? AND d.status IN (?, ?)) s"
            )
            args += [won, lost, won, owner, lost, owner, won, partner, lost, partner]
            args += [deal.stage_id, won, lost]
        else:
            columns.append("b.*")
            sources.append(
                "(SELECT COUNT(*) AS lost_here FROM deal d JOIN stage ds ON ds.id = d.stage_id"
                " WHERE d.kind_id = ? AND d.status = ?"
                ' AND ds."order" >= (SELECT "order" FROM stage WHERE id = ?)) b'
            )
            args += [deal.kind_id, lost, deal.stage_id]
        columns += [
            'st.id AS st_id, st."order" AS st_order, st.default_probability AS st_default,'
            " st.rot_days AS st_rot_days"
        ]
        join = " LEFT JOIN stage st ON st.id = ?"
        args.append(deal.stage_id)
    else:
        join = ""
    sql = f"SELECT {', '.join(columns)} FROM {' CROSS JOIN '.join(sources)}{join}"
    r = (await fetch(sql, args))[0]

    def n(key: str) -> int:
        return int(r.get(key) or 0)

    def rate(prefix: str) -> Rate:
        return Rate(n(f"{prefix}won"), n(f"{prefix}lost"))

    stage = None
    if r.get("st_id") is not None:
        stage = _StageFacts(
            id=int(r["st_id"]),
            order=int(r["st_order"]),
            default_probability=int(r["st_default"]),
            rot_days=r["st_rot_days"],
        )
    entered = r.get("entered")
    return _Counts(
        kind=rate(""),
        owner=rate("owner_"),
        partner=rate("partner_") if deal.partner_id else None,
        owners=n("owners"),
        partners=n("partners"),
        with_partner=Rate(n("won_wp"), n("lost_wp")),
        stage=stage,
        company=rate("c_"),
        at_stage=rate("s_"),
        owner_at_stage=rate("s_owner_"),
        partner_at_stage=rate("s_partner_") if deal.partner_id else None,
        lost_here=n("lost_here"),
        entered=_when(DealStageLog, "entered_at", entered) if entered is not None else None,
    )


# --- the explanation --------------------------------------------------------------------------


async def explain_deal_probability(
    deal_id: int,
    method: str | None = None,
    *,
    prior_deals: float = DEFAULT_PRIOR_DEALS,
    deal: Deal | None = None,
) -> ProbabilityExplanation:
    """A deal's win probability with every component that went into it.

    `deal`: the deal with that id when the caller has just loaded it (saves reading it again).
    Two statements (one with `deal`, none for a finished deal given as `deal`)."""
    method = configured_method(method)
    deal_id = int(deal_id)
    if deal is not None:
        if deal.id != deal_id:
            raise ValueError("deal is not the deal with deal_id")
        facts: _DealFacts | None = _DealFacts.of(deal)
    else:
        facts = await _read_deal(deal_id)
    if facts is None:
        raise NotFound("not_found", what="deal")
    return await _explain(facts, method, prior_deals)


async def _explain(deal: _DealFacts, method: str, prior_deals: float) -> ProbabilityExplanation:
    if deal.status != DealStatus.OPEN:
        won = deal.status == DealStatus.WON
        return ProbabilityExplanation(
            deal_id=deal.id,
            percent=100 if won else 0,
            method=method,
            components=(),
            status=str(deal.status),
            note="won" if won else "lost",
            prior_deals=prior_deals,
        )
    counts = await _read_counts(deal, method)
    stage = counts.stage
    base = (stage.default_probability / 100) if stage and stage.default_probability > 0 else None
    if method == "shrunk":
        components, p, note = _shrunk(deal, stage, base, counts, prior_deals)
    else:
        components, p, note = _bayes(deal, stage, base, counts)
    staleness = _staleness(deal, stage, counts.entered)
    before = p
    if staleness is not None:
        p *= staleness.value / 100
        components = (*components, staleness)
    return ProbabilityExplanation(
        deal_id=deal.id,
        percent=min(99, max(1, round(p * 100))),
        method=method,
        components=components,
        note=note,
        before_penalty=round(before * 100, 2) if staleness is not None else None,
        prior_deals=prior_deals,
    )


def _percent(p: float) -> float:
    return round(p * 100, 2)


def _manual(deal: _DealFacts, weight: float, note: str) -> ProbabilityComponent | None:
    if deal.manual_probability is None:
        return None
    value = float(min(100, max(0, deal.manual_probability)))
    return ProbabilityComponent(
        "manual", COMPONENT_NAMES["manual"], value, weight=weight, note=note
    )


def _shrunk(
    deal: _DealFacts, stage: _StageFacts | None, base: float | None, counts: _Counts, k: float
) -> tuple[tuple[ProbabilityComponent, ...], float, str]:
    company = counts.company
    p_company = company.shrunk(base if base is not None else NEUTRAL_PRIOR, k)
    p_kind = counts.kind.shrunk(p_company, k)
    note = "" if counts.kind.decided or company.decided else "default_probability"

    def rate(code: str, r: Rate, prior: float, how: str) -> ProbabilityComponent:
        return ProbabilityComponent(
            code,
            COMPONENT_NAMES[code],
            _percent(r.shrunk(prior, k)),
            won=r.won,
            decided=r.decided,
            weight=SHRUNK_WEIGHTS[code],
            note=how,
        )

    components: list[ProbabilityComponent] = []
    manual = _manual(deal, SHRUNK_WEIGHTS["manual"], "set_by_owner")
    if manual is not None:
        components.append(manual)
    if stage is not None:
        p_stage = counts.at_stage.shrunk(p_kind, k)
        components.append(rate("stage", counts.at_stage, p_kind, "shrunk"))
        components.append(rate("owner", counts.owner_at_stage, p_stage, "shrunk_to_stage"))
        if counts.partner_at_stage is not None:
            components.append(rate("partner", counts.partner_at_stage, p_stage, "shrunk_to_stage"))
    else:
        components.append(rate("owner", counts.owner, p_kind, "shrunk"))
        if counts.partner is not None:
            components.append(rate("partner", counts.partner, p_kind, "shrunk"))
    components.append(rate("kind", counts.kind, p_company, "shrunk_to_company"))
    total = sum(c.weight for c in components)
    p = sum(c.value * c.weight for c in components) / total / 100
    return tuple(components), p, note


def _bayes(
    deal: _DealFacts, stage: _StageFacts | None, base: float | None, counts: _Counts
) -> tuple[tuple[ProbabilityComponent, ...], float, str]:
    a = BAYES_SMOOTHING
    kind = counts.kind
    manual = _manual(deal, 0.0, "not_used")
    shown = (manual,) if manual is not None else ()
    if kind.won == 0 or kind.lost == 0 or stage is None:
        p = base if base is not None else NEUTRAL_PRIOR
        prior = ProbabilityComponent(
            "prior", COMPONENT_NAMES["prior"], _percent(p), kind.won, kind.decided, 0.0, "counts"
        )
        return (*shown, prior), p, "no_history"

    # The stage's frequency row; the first stage's row gives the kind's totals (Odoo reads its
    # prior there): every won deal counts for every stage, every lost one for the first stage.
    team_won, team_lost = kind.won + a, kind.lost + a
    p_won = team_won / (team_won + team_lost)
    log_won, log_lost = math.log(p_won), math.log(1 - p_won)
    components = [
        ProbabilityComponent(
            "prior",
            COMPONENT_NAMES["prior"],
            _percent(p_won),
            kind.won,
            kind.decided,
            1.0,
            "counts",
        )
    ]

    def factor(
        code: str,
        won: float,
        lost: float,
        won_total: float,
        lost_total: float,
        sample: Rate,
        note: str,
    ) -> None:
        nonlocal log_won, log_lost
        if not won_total or not lost_total:
            return
        pw, pl = won / won_total, lost / lost_total
        log_won += math.log(pw)
        log_lost += math.log(pl)
        components.append(
            ProbabilityComponent(
                code,
                COMPONENT_NAMES[code],
                _percent(pw / (pw + pl)),
                sample.won,
                sample.decided,
                1.0,
                note,
            )
        )

    lost_here = counts.lost_here
    factor(
        "stage_factor",
        kind.won + a,
        lost_here + a,
        team_won,
        team_lost,
        Rate(kind.won, lost_here),
        "stage_reached",
    )
    if counts.owner.decided:
        factor(
            "owner_factor",
            counts.owner.won + a,
            counts.owner.lost + a,
            kind.won + a * counts.owners,
            kind.lost + a * counts.owners,
            counts.owner,
            "counts",
        )
    partner = counts.partner
    if partner is not None and partner.decided:
        wp = counts.with_partner
        factor(
            "partner_factor",
            partner.won + a,
            partner.lost + a,
            wp.won + a * counts.partners,
            wp.lost + a * counts.partners,
            partner,
            "counts",
        )
    p = 1 / (1 + math.exp(log_lost - log_won))
    p = min(0.9999, max(0.0001, p))
    return (*shown, *components), p, ""


def _staleness(
    deal: _DealFacts, stage: _StageFacts | None, entered: dt.datetime | None
) -> ProbabilityComponent | None:
    if stage is None or not stage.rot_days or stage.rot_days <= 0:
        return None
    moments = [m for m in (deal.last_activity_at, deal.started_at, entered) if m is not None]
    idle_days = (clock.now() - max(moments)).total_seconds() / 86400
    overdue = idle_days - stage.rot_days
    if overdue <= 0:
        return None
    factor = 0.5 ** (overdue / stage.rot_days)
    return ProbabilityComponent(
        "staleness",
        COMPONENT_NAMES["staleness"],
        round(factor * 100, 2),
        weight=0.0,
        note="overdue",
        days=int(overdue),
    )


# --- command ----------------------------------------------------------------------------------


async def recompute_probability(deal_id: int, method: str | None = None) -> int:
    """Compute the deal's probability and store it in Deal.computed_probability."""
    explanation = await explain_deal_probability(deal_id, method)
    await Deal.filter(id=deal_id).update(computed_probability=explanation.percent)
    return explanation.percent
