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
PostgreSQL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tortoise.expressions import Q
from tortoise.functions import Count

from core import clock
from core.errors import NotFound, ValidationFailed
from core.i18n import N_, register_messages
from models import Deal, DealStageLog, Stage
from models.base import DealStatus

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
class _StageCounts:
    stage: Rate  # finished deals that reached the stage
    owner: Rate  # ... of them, the owner's
    partner: Rate | None  # ... of them, the client's


async def _stage_counts(stage_id: int, owner_id: int, partner_id: int | None) -> _StageCounts:
    won, lost = DealStatus.WON, DealStatus.LOST

    def count(**where: object) -> Count:
        return Count("deal_id", distinct=True, _filter=Q(**where))

    rows = (
        await DealStageLog.filter(stage_id=stage_id, deal__status__in=DECIDED)
        .annotate(
            won=count(deal__status=won),
            lost=count(deal__status=lost),
            owner_won=count(deal__status=won, deal__owner_id=owner_id),
            owner_lost=count(deal__status=lost, deal__owner_id=owner_id),
            partner_won=count(deal__status=won, deal__partner_id=partner_id or 0),
            partner_lost=count(deal__status=lost, deal__partner_id=partner_id or 0),
        )
        .group_by("stage_id")
        .values("won", "lost", "owner_won", "owner_lost", "partner_won", "partner_lost")
    )
    r = {key: int(value) for key, value in rows[0].items()} if rows else {}
    return _StageCounts(
        stage=Rate(r.get("won", 0), r.get("lost", 0)),
        owner=Rate(r.get("owner_won", 0), r.get("owner_lost", 0)),
        partner=Rate(r.get("partner_won", 0), r.get("partner_lost", 0)) if partner_id else None,
    )


@dataclass(frozen=True)
class _KindCounts:
    kind: Rate
    owner: Rate
    partner: Rate | None
    owners: int  # distinct owners among the kind's finished deals
    partners: int  # distinct clients among them
    with_partner: Rate  # finished deals of the kind that have a client


async def _kind_counts(kind_id: int, owner_id: int, partner_id: int | None) -> _KindCounts:
    won, lost = DealStatus.WON, DealStatus.LOST
    has_partner = Q(partner_id__isnull=False)
    rows = (
        await Deal.filter(kind_id=kind_id, status__in=DECIDED)
        .annotate(
            won=Count("id", _filter=Q(status=won)),
            lost=Count("id", _filter=Q(status=lost)),
            owner_won=Count("id", _filter=Q(status=won, owner_id=owner_id)),
            owner_lost=Count("id", _filter=Q(status=lost, owner_id=owner_id)),
            partner_won=Count("id", _filter=Q(status=won, partner_id=partner_id or 0)),
            partner_lost=Count("id", _filter=Q(status=lost, partner_id=partner_id or 0)),
            owners=Count("owner_id", distinct=True),
            partners=Count("partner_id", distinct=True),
            won_with_partner=Count("id", _filter=Q(has_partner, status=won)),
            lost_with_partner=Count("id", _filter=Q(has_partner, status=lost)),
        )
        .group_by("kind_id")
        .values(
            "won",
            "lost",
            "owner_won",
            "owner_lost",
            "partner_won",
            "partner_lost",
            "owners",
            "partners",
            "won_with_partner",
            "lost_with_partner",
        )
    )
    r = {key: int(value) for key, value in rows[0].items()} if rows else {}
    return _KindCounts(
        kind=Rate(r.get("won", 0), r.get("lost", 0)),
        owner=Rate(r.get("owner_won", 0), r.get("owner_lost", 0)),
        partner=Rate(r.get("partner_won", 0), r.get("partner_lost", 0)) if partner_id else None,
        owners=r.get("owners", 0),
        partners=r.get("partners", 0),
        with_partner=Rate(r.get("won_with_partner", 0), r.get("lost_with_partner", 0)),
    )


async def _company_rate() -> Rate:
    rows = (
        await Deal.filter(status__in=DECIDED)
        .annotate(n=Count("id"))
        .group_by("status")
        .values("status", "n")
    )
    by_status = {str(row["status"]): int(row["n"]) for row in rows}
    return Rate(by_status.get(DealStatus.WON.value, 0), by_status.get(DealStatus.LOST.value, 0))


async def _lost_at_or_after(kind_id: int, order: int) -> int:
    return await Deal.filter(
        kind_id=kind_id, status=DealStatus.LOST, stage__order__gte=order
    ).count()


# --- the explanation --------------------------------------------------------------------------


async def explain_deal_probability(
    deal_id: int, method: str | None = None, *, prior_deals: float = DEFAULT_PRIOR_DEALS
) -> ProbabilityExplanation:
    """A deal's win probability with every component that went into it."""
    method = configured_method(method)
    deal = await Deal.filter(id=deal_id).select_related("stage").first()
    if deal is None:
        raise NotFound("not_found", what="deal")
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
    stage: Stage | None = deal.stage
    base = (stage.default_probability / 100) if stage and stage.default_probability > 0 else None
    counts = await _kind_counts(deal.kind_id, deal.owner_id, deal.partner_id)
    if method == "shrunk":
        components, p, note = await _shrunk(deal, stage, base, counts, prior_deals)
    else:
        components, p, note = await _bayes(deal, stage, base, counts)
    staleness = await _staleness(deal, stage)
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


def _manual(deal: Deal, weight: float, note: str) -> ProbabilityComponent | None:
    if deal.manual_probability is None:
        return None
    value = float(min(100, max(0, deal.manual_probability)))
    return ProbabilityComponent(
        "manual", COMPONENT_NAMES["manual"], value, weight=weight, note=note
    )


async def _shrunk(
    deal: Deal, stage: Stage | None, base: float | None, counts: _KindCounts, k: float
) -> tuple[tuple[ProbabilityComponent, ...], float, str]:
    company = await _company_rate()
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
        here = await _stage_counts(stage.id, deal.owner_id, deal.partner_id)
        p_stage = here.stage.shrunk(p_kind, k)
        components.append(rate("stage", here.stage, p_kind, "shrunk"))
        components.append(rate("owner", here.owner, p_stage, "shrunk_to_stage"))
        if here.partner is not None:
            components.append(rate("partner", here.partner, p_stage, "shrunk_to_stage"))
    else:
        components.append(rate("owner", counts.owner, p_kind, "shrunk"))
        if counts.partner is not None:
            components.append(rate("partner", counts.partner, p_kind, "shrunk"))
    components.append(rate("kind", counts.kind, p_company, "shrunk_to_company"))
    total = sum(c.weight for c in components)
    p = sum(c.value * c.weight for c in components) / total / 100
    return tuple(components), p, note


async def _bayes(
    deal: Deal, stage: Stage | None, base: float | None, counts: _KindCounts
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

    lost_here = await _lost_at_or_after(deal.kind_id, stage.order)
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


async def _staleness(deal: Deal, stage: Stage | None) -> ProbabilityComponent | None:
    if stage is None or not stage.rot_days or stage.rot_days <= 0:
        return None
    entered = (
        await DealStageLog.filter(deal_id=deal.id, stage_id=stage.id, left_at__isnull=True)
        .order_by("-entered_at")
        .values_list("entered_at", flat=True)
    )
    moments = [m for m in (deal.last_activity_at, deal.started_at, *entered[:1]) if m is not None]
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
