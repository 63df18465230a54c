"""Report 2, the sales forecast: open deals, the weighted pipeline by expected close month with
best / expected / worst cases, and a backtest of the previous period's forecast.

Definitions
-----------
* Stage probability = 1C's "Вероятностный прогноз" (reference §4): won ÷ (won + lost) among the
  finished deals of all time that reached the stage; the stage's default probability while no
  deal that reached it has finished. (The same counts as `services.probability.stage_rates`,
  taken here in the same scan as the days to close.)
* Deal probability p = the owner's estimate (`manual_probability`) when set, else the computed
  one (`computed_probability`, services.probability), else the stage probability.
* Expected close date = the deal's own `expected_close_on` (a date already past counts as
  today, and the deal is "overdue"); otherwise 1C's: today + the average days from entering the
  deal's current stage to the deal's end over finished deals that reached that stage. Without
  such deals the date is unknown ("no estimate").
* Expected = Σ potential × p. Worst = Σ potential × p over the "likely" deals only
  (p ≥ threshold, 50 % by default, `-o threshold=N`), as if every other deal were lost.
  Best = the likely deals at their full potential + the others weighted, as if every likely deal
  were won. So worst ≤ expected ≤ best.
* The window = the report's period, whole months (by default this month and the next two).
* Backtest: the same length of time just before today. The pipeline open at its first moment
  is forecast the same way, from the stage each deal was in then (stage probability and 1C's
  close date from that moment; the deals' own dates and estimates of that time are not kept),
  and compared with what those deals really did within the backtest window.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from core import clock
from core.i18n import N_
from services.analytics import register_report
from services.analytics.common import (
    Column,
    ColumnKind,
    Money,
    Msg,
    Name,
    Period,
    Ratio,
    ReportParams,
    ReportResult,
    Scope,
    Table,
    add_months,
    days_between,
    dialect,
    fetch,
    int_option,
    make_period,
    month_key,
    ratio,
    resolve_scope,
    scope_clause,
)

DEFAULT_THRESHOLD = 50
DEFAULT_DEALS = 30
SOURCE_MANUAL, SOURCE_COMPUTED, SOURCE_STAGE = "manual", "computed", "stage"
CLOSE_DEAL, CLOSE_HISTORY, CLOSE_NONE = "deal", "history", "none"


@dataclass(frozen=True, slots=True)
class Cases:
    deals: int = 0
    potential_minor: int = 0
    expected_minor: int = 0
    best_minor: int = 0
    worst_minor: int = 0

    def __add__(self, other: Cases) -> Cases:
        return Cases(
            self.deals + other.deals,
            self.potential_minor + other.potential_minor,
            self.expected_minor + other.expected_minor,
            self.best_minor + other.best_minor,
            self.worst_minor + other.worst_minor,
        )


@dataclass(frozen=True, slots=True)
class ForecastMonth:
    month: dt.date | None  # first day; None = no estimate
    cases: Cases
    overdue: int = 0  # deals whose own date has passed (counted in the current month)


@dataclass(frozen=True, slots=True)
class ForecastStage:
    kind_id: int
    kind: Name
    stage_id: int
    name: Name
    order: int
    probability: int  # percent
    won: int  # finished deals that reached the stage
    lost: int
    days_to_close: float | None  # average, from entering the stage to the deal's end
    expected_close_on: dt.date | None  # today + days_to_close
    open_deals: int = 0
    open_minor: int = 0


@dataclass(frozen=True, slots=True)
class ForecastDeal:
    deal_id: int
    number: str
    title: str
    stage_id: int | None
    stage: Name | None
    owner_id: int
    owner_name: str
    partner_name: str | None
    potential_minor: int
    stage_probability: int
    probability: int
    probability_source: str
    weighted_minor: int
    expected_close_on: dt.date | None
    close_source: str
    overdue: bool


@dataclass(frozen=True, slots=True)
class Backtest:
    date_from: dt.date
    date_to: dt.date
    open_at_start: int
    open_minor: int
    forecast: Cases  # the deals expected then to close within the window
    won: int
    won_minor: int
    lost: int
    lost_minor: int
    still_open: int
    new_won: int  # deals started within the window and won in it
    new_won_minor: int

    @property
    def accuracy(self) -> float | None:
        """What was won from the pipeline ÷ what was expected."""
        return ratio(self.won_minor, self.forecast.expected_minor)


@dataclass(frozen=True, slots=True)
class ForecastData:
    today: dt.date
    date_from: dt.date
    date_to: dt.date
    currency: str
    threshold: int
    total: Cases
    window: Cases
    months: tuple[ForecastMonth, ...]
    stages: tuple[ForecastStage, ...]
    deals: tuple[ForecastDeal, ...]
    backtest: Backtest | None = None
    overdue: int = 0
    later: Cases = field(default_factory=Cases)
    unknown: Cases = field(default_factory=Cases)


def forecast_period(params: ReportParams) -> Period:
    """By default this month and the next two (from today)."""
    today = clock.today(params.tz)
    date_from = params.date_from or today
    date_to = params.date_to or add_months(date_from, 3) - dt.timedelta(days=1)
    return make_period(date_from, date_to, params.tz)


@dataclass(slots=True)
class _Sums:
    """Exact sums (potential x percent unrounded) so that every total is rounded once."""

    n: int = 0
    pot: int = 0
    wp: int = 0
    pot_hi: int = 0
    wp_hi: int = 0

    def add(self, other: _Sums) -> _Sums:
        return _Sums(self.n + other.n, self.pot + other.pot, self.wp + other.wp,
                     self.pot_hi + other.pot_hi, self.wp_hi + other.wp_hi)

    def cases(self) -> Cases:
        return Cases(
            deals=self.n,
            potential_minor=self.pot,
            expected_minor=round(self.wp / 100),
            best_minor=self.pot_hi + round((self.wp - self.wp_hi) / 100),
            worst_minor=round(self.wp_hi / 100),
        )


def _sums(row: dict) -> _Sums:
    return _Sums(int(row["n"]), int(row["pot"] or 0), int(row["wp"] or 0),
                 int(row["pot_hi"] or 0), int(row["wp_hi"] or 0))


def backtest_window(period: Period, today: dt.date, tz: str) -> Period:
    """The same number of days as the report's period, ending yesterday."""
    return make_period(today - dt.timedelta(days=period.days), today - dt.timedelta(days=1), tz)


async def stage_history(
    kind_id: int | None, window: Period, scope: Scope
) -> dict[int, dict]:
    """Per stage, in one statement of two grouped scans (UNION ALL):

    * won, lost, to_end: finished deals that reached the stage and the average days from
      entering it to the deal's end (all time, company-wide: statistics, not anyone's figures);
      the stage log's (stage_id, deal_id, entered_at) covering index is walked in stage order
      (no sort for the grouping), each row's deal read by its primary key;
    * bt_*: for the backtest, the viewer's deals that were in the stage at the window's start,
      their potential then, and those won or lost within the window: only the deals still open
      at that moment are read (by the ended_at index), their rows by the stage log's
      (deal_id, ...) covering index (`stage_id + 0` keeps SQLite from walking a stage_id index
      over the whole log instead).
    """
    db = dialect()
    kind, kind_args = ("AND d.kind_id = ?", [kind_id]) if kind_id is not None else ("", [])
    t0, end = window.start, window.end
    mine, ids = scope_clause("d.owner_id", scope)
    # SQLite: `+column` keeps the started_at index (nearly every deal) from being preferred to
    # the ended_at one (the few deals open at t0).
    plain = "+" if db == "sqlite" else ""
    rows = await fetch(
        f"""
        SELECT 'h' AS part, l.stage_id AS stage_id,
               SUM(CASE WHEN d.status = 'won' THEN 1 ELSE 0 END) AS won,
               SUM(CASE WHEN d.status = 'lost' THEN 1 ELSE 0 END) AS lost,
               AVG({days_between("d.ended_at", "l.entered_at", db)}) AS to_end,
               0 AS bt_n, 0 AS bt_pot, 0 AS bt_won, 0 AS bt_won_minor, 0 AS bt_lost,
               0 AS bt_lost_minor
        FROM deal_stage_log l JOIN deal d ON d.id = l.deal_id
        WHERE d.status IN ('won', 'lost') {kind}
        GROUP BY l.stage_id
        UNION ALL
        SELECT 'b', l.stage_id + 0, 0, 0, NULL,
               COUNT(*),
               SUM(l.potential_minor),
               SUM(CASE WHEN d.status = 'won' AND d.ended_at < ? THEN 1 ELSE 0 END),
               SUM(CASE WHEN d.status = 'won' AND d.ended_at < ? THEN d.potential_minor
                   ELSE 0 END),
               SUM(CASE WHEN d.status = 'lost' AND d.ended_at < ? THEN 1 ELSE 0 END),
               SUM(CASE WHEN d.status = 'lost' AND d.ended_at < ? THEN d.potential_minor
                   ELSE 0 END)
        FROM deal d JOIN deal_stage_log l ON l.deal_id = d.id
        WHERE (d.ended_at IS NULL OR d.ended_at > ?) AND {plain}d.started_at <= ?
          AND l.entered_at <= ? AND (l.left_at IS NULL OR l.left_at > ?) AND {mine} {kind}
        GROUP BY l.stage_id + 0
        """,
        [*kind_args, end, end, end, end, t0, t0, t0, t0, *ids, *kind_args],
    )
    out: dict[int, dict] = {}
    for row in rows:
        merged = out.setdefault(row["stage_id"], {
            "stage_id": row["stage_id"], "won": 0, "lost": 0, "to_end": None, "bt_n": 0,
            "bt_pot": 0, "bt_won": 0, "bt_won_minor": 0, "bt_lost": 0, "bt_lost_minor": 0,
        })
        if row["part"] == "h":
            merged.update(won=row["won"], lost=row["lost"], to_end=row["to_end"])
        else:
            merged.update({key: row[key] for key in (
                "bt_n", "bt_pot", "bt_won", "bt_won_minor", "bt_lost", "bt_lost_minor")})
    return out


def _probability_sql(stage_p: dict[int, int]) -> str:
    """COALESCE(manual, computed, the stage's probability): integers only, inlined."""
    whens = " ".join(f"WHEN {int(s)} THEN {int(p)}" for s, p in stage_p.items())
    stage = f"CASE d.stage_id {whens} ELSE 0 END" if whens else "0"
    return f"COALESCE(d.manual_probability, d.computed_probability, {stage})"


async def compute_forecast(
    params: ReportParams, period: Period, scope: Scope, currency: str = "UAH"
) -> ForecastData:
    from models import Stage

    db = dialect()
    today = clock.today(params.tz)
    threshold = int_option(params, "threshold", DEFAULT_THRESHOLD, 1, 100)
    limit = int_option(params, "deals", DEFAULT_DEALS, 0, 100_000)
    stage_query = Stage.all() if params.kind_id is None else Stage.filter(kind_id=params.kind_id)
    stage_rows = await stage_query.order_by("kind_id", "order", "id").values(
        "id", "kind_id", "name_uk", "name_en", "order", "default_probability",
        "kind__name_uk", "kind__name_en",
    )
    bt_window = backtest_window(period, today, params.tz)
    history = await stage_history(params.kind_id, bt_window, scope)
    stages: dict[int, ForecastStage] = {}
    for s in stage_rows:
        h = history.get(s["id"])
        won, lost = (int(h["won"]), int(h["lost"])) if h else (0, 0)
        to_end = float(h["to_end"]) if h and h["to_end"] is not None else None
        stages[s["id"]] = ForecastStage(
            kind_id=s["kind_id"],
            kind=Name(s["kind__name_uk"], s["kind__name_en"]),
            stage_id=s["id"],
            name=Name(s["name_uk"], s["name_en"]),
            order=s["order"],
            probability=round(100 * won / (won + lost)) if won + lost else s["default_probability"],
            won=won,
            lost=lost,
            days_to_close=to_end,
            expected_close_on=None if to_end is None else today + dt.timedelta(days=round(to_end)),
        )
    stage_p = {s.stage_id: s.probability for s in stages.values()}
    p_sql = _probability_sql(stage_p)
    where, args = ["d.status = 'open'"], []
    if params.kind_id is not None:
        where.append("d.kind_id = ?")
        args.append(params.kind_id)
    clause, ids = scope_clause("d.owner_id", scope)
    where.append(clause)
    args += ids
    where_sql = " AND ".join(where)
    month = month_key("t.expected_close_on", db)
    this_month = today.strftime("%Y-%m")
    rows = await fetch(
        f"""
        SELECT CASE WHEN t.expected_close_on IS NULL THEN NULL
                    WHEN t.expected_close_on < ? THEN ? ELSE {month} END AS month,
               t.stage_id AS stage_key,
               COUNT(*) AS n,
               SUM(t.potential_minor) AS pot,
               SUM(t.potential_minor * t.p) AS wp,
               SUM(CASE WHEN t.p >= ? THEN t.potential_minor ELSE 0 END) AS pot_hi,
               SUM(CASE WHEN t.p >= ? THEN t.potential_minor * t.p ELSE 0 END) AS wp_hi,
               SUM(CASE WHEN t.expected_close_on < ? THEN 1 ELSE 0 END) AS overdue
        FROM (SELECT d.expected_close_on, d.stage_id, d.potential_minor, {p_sql} AS p
              FROM deal d WHERE {where_sql}) t
        GROUP BY 1, 2
        """,
        [today, this_month, threshold, threshold, today, *args],
    )
    by_month: dict[dt.date | None, _Sums] = {}
    overdue_by_month: dict[dt.date | None, int] = {}
    open_by_stage: dict[int, tuple[int, int]] = {}
    for row in rows:
        sums = _sums(row)
        stage = stages.get(row["stage_key"]) if row["stage_key"] is not None else None
        if stage is not None:
            n, pot = open_by_stage.get(stage.stage_id, (0, 0))
            open_by_stage[stage.stage_id] = (n + sums.n, pot + sums.pot)
        if row["month"] is not None:
            year, mon = str(row["month"]).split("-")
            key: dt.date | None = dt.date(int(year), int(mon), 1)
        else:
            close = stage.expected_close_on if stage else None
            key = close.replace(day=1) if close else None
        by_month[key] = by_month.get(key, _Sums()).add(sums)
        overdue_by_month[key] = overdue_by_month.get(key, 0) + int(row["overdue"] or 0)
    stages = {
        sid: _with_open(s, *open_by_stage.get(sid, (0, 0))) for sid, s in stages.items()
    }
    first, last = period.date_from.replace(day=1), period.date_to.replace(day=1)
    months = tuple(
        ForecastMonth(key, sums.cases(), overdue_by_month.get(key, 0))
        for key, sums in sorted(by_month.items(), key=lambda kv: (kv[0] is None, kv[0]))
    )

    def total_of(keep: Callable[[dt.date | None], bool]) -> Cases:
        picked = [sums for key, sums in by_month.items() if keep(key)]
        return functools.reduce(_Sums.add, picked, _Sums()).cases()

    window = total_of(lambda m: m is not None and first <= m <= last)
    later = total_of(lambda m: m is not None and m > last)
    unknown = total_of(lambda m: m is None)
    total = total_of(lambda m: True)
    deals = await _top_deals(where_sql, args, p_sql, stages, today, limit) if limit else ()
    backtest = await _backtest(params, bt_window, scope, stages, history, threshold)
    return ForecastData(
        today=today,
        date_from=period.date_from,
        date_to=period.date_to,
        currency=currency,
        threshold=threshold,
        total=total,
        window=window,
        months=months,
        stages=tuple(s for s in stages.values() if s.open_deals or params.kind_id is not None),
        deals=deals,
        backtest=backtest,
        overdue=sum(overdue_by_month.values()),
        later=later,
        unknown=unknown,
    )


def _with_open(stage: ForecastStage, n: int, pot: int) -> ForecastStage:
    from dataclasses import replace

    return replace(stage, open_deals=n, open_minor=pot)


async def _top_deals(
    where_sql: str, args: list, p_sql: str, stages: dict[int, ForecastStage], today: dt.date,
    limit: int,
) -> tuple[ForecastDeal, ...]:
    rows = await fetch(
        f"""
        SELECT t.*, e.full_name AS owner_name, pa.name AS partner_name
        FROM (SELECT d.id, d.number, d.title, d.stage_id, d.owner_id, d.partner_id,
                     d.potential_minor, d.expected_close_on, d.manual_probability,
                     d.computed_probability, {p_sql} AS p
              FROM deal d WHERE {where_sql}
              ORDER BY d.potential_minor * {p_sql} DESC, d.id LIMIT ?) t
        LEFT JOIN employee e ON e.id = t.owner_id
        LEFT JOIN partner pa ON pa.id = t.partner_id
        ORDER BY t.potential_minor * t.p DESC, t.id
        """,
        [*args, limit],
    )
    out = []
    for row in rows:
        stage = stages.get(row["stage_id"]) if row["stage_id"] is not None else None
        own = row["expected_close_on"]
        if isinstance(own, str):
            own = dt.date.fromisoformat(own)
        if own is not None:
            close, source = max(own, today), CLOSE_DEAL
        elif stage is not None and stage.expected_close_on is not None:
            close, source = stage.expected_close_on, CLOSE_HISTORY
        else:
            close, source = None, CLOSE_NONE
        if row["manual_probability"] is not None:
            p_source = SOURCE_MANUAL
        elif row["computed_probability"] is not None:
            p_source = SOURCE_COMPUTED
        else:
            p_source = SOURCE_STAGE
        p = int(row["p"])
        out.append(ForecastDeal(
            deal_id=row["id"],
            number=row["number"],
            title=row["title"],
            stage_id=row["stage_id"],
            stage=stage.name if stage else None,
            owner_id=row["owner_id"],
            owner_name=row["owner_name"] or "",
            partner_name=row["partner_name"],
            potential_minor=int(row["potential_minor"]),
            stage_probability=stage.probability if stage else 0,
            probability=p,
            probability_source=p_source,
            weighted_minor=round(int(row["potential_minor"]) * p / 100),
            expected_close_on=close,
            close_source=source,
            overdue=own is not None and own < today,
        ))
    return tuple(out)


async def _backtest(
    params: ReportParams, window: Period, scope: Scope, stages: dict[int, ForecastStage],
    history: dict[int, dict], threshold: int,
) -> Backtest:
    """The pipeline open at the start of the window before today, forecast from its stages then,
    against what it did within the window."""
    t0, end = window.start, window.end
    rows = [
        {"stage_id": sid, "n": h["bt_n"], "pot": h["bt_pot"], "won": h["bt_won"],
         "won_minor": h["bt_won_minor"], "lost": h["bt_lost"], "lost_minor": h["bt_lost_minor"]}
        for sid, h in history.items()
        if h["bt_n"]
    ]
    forecast = _Sums()
    n = pot = won = won_minor = lost = lost_minor = 0
    t0_day = window.date_from
    for row in rows:
        n += int(row["n"])
        pot += int(row["pot"] or 0)
        won += int(row["won"] or 0)
        won_minor += int(row["won_minor"] or 0)
        lost += int(row["lost"] or 0)
        lost_minor += int(row["lost_minor"] or 0)
        stage = stages.get(row["stage_id"])
        if stage is None or stage.days_to_close is None:
            continue
        if t0_day + dt.timedelta(days=round(stage.days_to_close)) > window.date_to:
            continue
        p = stage.probability
        stage_pot = int(row["pot"] or 0)
        likely = p >= threshold
        forecast = forecast.add(_Sums(
            int(row["n"]), stage_pot, stage_pot * p, stage_pot if likely else 0,
            stage_pot * p if likely else 0,
        ))
    new_where = ["d.status = 'won'", "d.started_at > ?", "d.ended_at >= ?", "d.ended_at < ?"]
    new_args: list = [t0, t0, end]
    if params.kind_id is not None:
        new_where.append("d.kind_id = ?")
        new_args.append(params.kind_id)
    clause, ids = scope_clause("d.owner_id", scope)
    new_where.append(clause)
    new_args += ids
    fresh = await fetch(
        f"SELECT COUNT(*) AS n, SUM(d.potential_minor) AS pot FROM deal d "
        f"WHERE {' AND '.join(new_where)}",
        new_args,
    )
    return Backtest(
        date_from=window.date_from,
        date_to=window.date_to,
        open_at_start=n,
        open_minor=pot,
        forecast=forecast.cases(),
        won=won,
        won_minor=won_minor,
        lost=lost,
        lost_minor=lost_minor,
        still_open=n - won - lost,
        new_won=int(fresh[0]["n"] or 0),
        new_won_minor=int(fresh[0]["pot"] or 0),
    )


# --- the registered report -----------------------------------------------------------------------

MONTH_COLUMNS = [
    Column("month", N_("Month")),
    Column("deals", N_("Deals"), ColumnKind.INT),
    Column("potential_minor", N_("Potential amount"), ColumnKind.MONEY),
    Column("worst_minor", N_("Worst case"), ColumnKind.MONEY),
    Column("expected_minor", N_("Expected"), ColumnKind.MONEY),
    Column("best_minor", N_("Best case"), ColumnKind.MONEY),
    Column("overdue", N_("Overdue close dates"), ColumnKind.INT),
]
STAGE_COLUMNS = [
    Column("stage", N_("Stage")),
    Column("kind", N_("Deal kind")),
    Column("probability", N_("Stage probability"), ColumnKind.RATIO),
    Column("won", N_("Deals won"), ColumnKind.INT),
    Column("lost", N_("Deals lost"), ColumnKind.INT),
    Column("days_to_close", N_("Days to close"), ColumnKind.DAYS),
    Column("expected_close_on", N_("Expected close"), ColumnKind.DATE),
    Column("open_deals", N_("Open deals"), ColumnKind.INT),
    Column("open_minor", N_("Potential amount"), ColumnKind.MONEY),
]
DEAL_COLUMNS = [
    Column("number", N_("Deal")),
    Column("title", N_("Title")),
    Column("partner", N_("Client")),
    Column("owner", N_("Manager")),
    Column("stage", N_("Stage")),
    Column("potential_minor", N_("Potential amount"), ColumnKind.MONEY),
    Column("stage_probability", N_("Stage probability"), ColumnKind.RATIO),
    Column("probability", N_("Deal probability"), ColumnKind.RATIO),
    Column("probability_source", N_("Probability from")),
    Column("weighted_minor", N_("Weighted"), ColumnKind.MONEY),
    Column("expected_close_on", N_("Expected close"), ColumnKind.DATE),
    Column("close_source", N_("Close date from")),
]
PROBABILITY_SOURCES = {
    SOURCE_MANUAL: N_("owner's estimate"),
    SOURCE_COMPUTED: N_("computed"),
    SOURCE_STAGE: N_("stage statistics"),
}
CLOSE_SOURCES = {
    CLOSE_DEAL: N_("set in the deal"),
    CLOSE_HISTORY: N_("stage history"),
    CLOSE_NONE: N_("no estimate"),
}


def _month_label(month: dt.date | None) -> Msg | str:
    if month is None:
        return Msg(N_("no estimate"))
    return month.strftime("%m.%Y")


def forecast_tables(data: ForecastData) -> list[Table]:
    months = [
        {"month": _month_label(m.month), "deals": m.cases.deals,
         "potential_minor": m.cases.potential_minor, "worst_minor": m.cases.worst_minor,
         "expected_minor": m.cases.expected_minor, "best_minor": m.cases.best_minor,
         "overdue": m.overdue or None}
        for m in data.months
    ]
    stages = [
        {"stage": s.name, "kind": s.kind, "probability": s.probability / 100, "won": s.won,
         "lost": s.lost, "days_to_close": s.days_to_close, "expected_close_on": s.expected_close_on,
         "open_deals": s.open_deals, "open_minor": s.open_minor}
        for s in data.stages
    ]
    deals = [
        {"number": d.number, "title": d.title, "partner": d.partner_name or "",
         "owner": d.owner_name, "stage": d.stage or "", "potential_minor": d.potential_minor,
         "stage_probability": d.stage_probability / 100, "probability": d.probability / 100,
         "probability_source": Msg(PROBABILITY_SOURCES[d.probability_source]),
         "weighted_minor": d.weighted_minor, "expected_close_on": d.expected_close_on,
         "close_source": Msg(CLOSE_SOURCES[d.close_source])}
        for d in data.deals
    ]
    return [
        Table("months", N_("Weighted pipeline by expected close month"), MONTH_COLUMNS, months,
              currency=data.currency, brief=("month", "deals", "expected_minor")),
        Table("deals", N_("Largest open deals"), DEAL_COLUMNS, deals, currency=data.currency,
              brief=("number", "weighted_minor", "probability", "expected_close_on"),
              text_rows=10),
        Table("stages", N_("Stage probabilities and days to close"), STAGE_COLUMNS, stages,
              currency=data.currency, brief=("stage", "probability", "days_to_close")),
    ]


def forecast_headline(data: ForecastData) -> list[Msg]:
    money = data.currency
    w = data.window
    lines = [
        Msg(N_("Expected %(from)s – %(to)s: %(amount)s"),
            {"from": data.date_from, "to": data.date_to, "amount": Money(w.expected_minor, money)}),
        Msg(N_("Worst case %(worst)s, best case %(best)s (likely deals: p ≥ %(threshold)s)"),
            {"worst": Money(w.worst_minor, money), "best": Money(w.best_minor, money),
             "threshold": Ratio(data.threshold / 100)}),
        Msg(N_("Open pipeline: %(amount)s, weighted %(weighted)s (deals: %(count)s)"),
            {"count": data.total.deals, "amount": Money(data.total.potential_minor, money),
             "weighted": Money(data.total.expected_minor, money)}),
    ]
    if data.overdue:
        lines.append(Msg(N_("Deals whose close date has passed: %(count)s"),
                         {"count": data.overdue}))
    bt = data.backtest
    if bt is not None and bt.open_at_start:
        lines.append(Msg(
            N_("Backtest %(from)s – %(to)s: expected %(expected)s, won %(won)s (%(accuracy)s)"),
            {"from": bt.date_from, "to": bt.date_to,
             "expected": Money(bt.forecast.expected_minor, money),
             "won": Money(bt.won_minor, money), "accuracy": Ratio(bt.accuracy)},
        ))
    return lines


@register_report(
    "forecast",
    title=N_("Sales forecast"),
    description=N_("Weighted pipeline by close month, best and worst cases, backtest"),
    chart="charts.funnel:forecast_png",
    order=2,
)
async def forecast_report(params: ReportParams) -> ReportResult:
    from core.config import get_settings

    period = forecast_period(params)
    scope = await resolve_scope(params)
    data = await compute_forecast(params, period, scope, get_settings().currency)
    return ReportResult(
        "forecast", period, headline=forecast_headline(data), tables=forecast_tables(data),
        data=data,
    )

