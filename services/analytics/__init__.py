"""Analytics reports and their registry.

INTERFACE (stable; other report modules build against it)
----------------------------------------------------------
A report is a module of this package (``services/analytics/<name>.py``) that registers an async
function with the decorator below. Nobody edits this file to add a report: ``load_reports()``
imports every module of the package (pkgutil), which runs the decorators.

    from core.i18n import N_
    from services.analytics import (
        Column, ColumnKind, Days, Msg, Money, Name, Ratio, ReportParams, ReportResult, Table,
        period_of, resolve_scope, register_report,
    )

    @register_report(
        "bcg",                                   # the CLI / bot name, lower-case, a-z 0-9 -
        title=N_("BCG matrix"),                  # English msgid
        description=N_("Clients by ABC x XYZ"),  # one line for `crm report --list`
        chart="charts.bcg:bcg_png",              # optional "module:function" (lazy import)
        summary=None,                            # optional "module:function" (lazy import)
    )
    async def bcg_report(params: ReportParams) -> ReportResult:
        period = period_of(params)               # local days -> aware UTC bounds
        scope = await resolve_scope(params)      # raises AccessDenied; scope.owner_ids
        ...                                      # SQL aggregations
        return ReportResult("bcg", period, headline=[Msg(N_("..."), {...})],
                            tables=[Table(...)], data=MyDataclass(...))

* ``ReportParams`` (services.analytics.common): viewer_id, viewer_role, date_from, date_to
  (local dates, inclusive), kind_id, team_id, manager_id, compare, tz, options (dict[str, str]).
* ``ReportResult``: report, period, headline (list[Msg], important figures first), tables
  (list[Table] of typed columns), data (the report's own dataclass, for charts and JSON).
* ``Table(key, title, columns, rows, currency="UAH", brief=(), text_rows=30)``: rows are dicts
  keyed by ``Column(key, label, kind)``; kinds TEXT (str, Name, Msg), INT, MONEY (int minor
  units), RATIO (0..1), DAYS (float), DATE, FLAG (list of Msg). A title or label is a msgid or
  a Msg. ``brief`` = the columns the phone text shows; ``text_rows=0`` keeps a table out of it.
* ``Msg(msgid, params)``: params may hold Money(minor, currency), Ratio(0..1), Days(float),
  Name(uk, en), dates, ints, Msg. Counts read "label: N" (Ukrainian numerals need no plural).
* SQL helpers in ``services.analytics.common``: ``fetch(sql, args)`` (``?`` placeholders on
  both databases), ``dialect()``, ``days_between(later, earlier, db)``, ``month_key(col, db)``,
  ``scope_clause(column, scope)``, ``in_list(column, ids)``, ``int_option(params, key, ...)``.
* A chart function: ``def x_png(result: ReportResult, locale: str) -> bytes`` (matplotlib
  Figure API, in ``charts/``; it imports only ``core``, so it reads ``result.data`` by duck
  typing). Adapters call it off the event loop (``asyncio.to_thread``).
* A summary function (optional): ``def x_text(result: ReportResult, locale: str) -> str``; when
  absent the generic text of ``services.analytics.export.render_text`` is used.
* Adapters: ``list_reports()``, ``get_report(name)``, ``await run_report(name, params)``,
  ``render_chart(spec, result, locale)``, ``render_summary(spec, result, locale)``; the
  formats (text, json, csv, xlsx) in ``services.analytics.export``.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from core.errors import NotFound
from services.analytics.common import (
    Column,
    ColumnKind,
    Compare,
    Days,
    Money,
    Msg,
    Name,
    Period,
    Ratio,
    ReportParams,
    ReportResult,
    Scope,
    Table,
    make_period,
    period_of,
    previous_period,
    resolve_scope,
)

__all__ = [
    "REPORTS", "Column", "ColumnKind", "Compare", "Days", "Money", "Msg", "Name", "Period", "Ratio",
    "ReportParams", "ReportResult", "ReportSpec", "Scope", "Table", "get_report",
    "list_reports", "load_reports", "make_period", "period_of", "previous_period",
    "register_report", "render_chart", "render_summary", "resolve_scope", "run_report",
]

ReportFunc = Callable[[ReportParams], Awaitable[ReportResult]]
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
# Modules of the package that hold no report.
_NOT_REPORTS = frozenset({"common", "export"})


@dataclass(frozen=True, slots=True)
class ReportSpec:
    name: str
    title: str  # English msgid
    description: str  # English msgid
    run: ReportFunc
    chart: str | None = None  # "module:function" -> (ReportResult, locale) -> PNG bytes
    summary: str | None = None  # "module:function" -> (ReportResult, locale) -> str
    order: int = 100  # position in lists (the numbering)


REPORTS: dict[str, ReportSpec] = {}
_loaded = False


def register_report(
    name: str,
    *,
    title: str,
    description: str = "",
    chart: str | None = None,
    summary: str | None = None,
    order: int = 100,
) -> Callable[[ReportFunc], ReportFunc]:
    """Decorator: add an async report function to the registry under `name`."""
    if not _NAME.match(name):
        raise ValueError(f"report name {name!r} must be lower-case letters, digits and '-'")

    def decorate(func: ReportFunc) -> ReportFunc:
        existing = REPORTS.get(name)
        if existing is not None and existing.run.__qualname__ != func.__qualname__:
            raise ValueError(f"report {name!r} is registered twice")
        REPORTS[name] = ReportSpec(name, title, description, func, chart, summary, order)
        return func

    return decorate


def load_reports() -> None:
    """Import every module of the package once, so their decorators register the reports."""
    global _loaded
    if _loaded:
        return
    for info in pkgutil.iter_modules(__path__):
        if info.name not in _NOT_REPORTS and not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    _loaded = True


def list_reports() -> list[ReportSpec]:
    load_reports()
    return sorted(REPORTS.values(), key=lambda spec: (spec.order, spec.name))


def get_report(name: str) -> ReportSpec:
    load_reports()
    spec = REPORTS.get(name)
    if spec is None:
        raise NotFound("not_found", what=name)
    return spec


async def run_report(name: str, params: ReportParams) -> ReportResult:
    return await get_report(name).run(params)


def _resolve(path: str) -> Callable[..., Any]:
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


def render_chart(spec: ReportSpec, result: ReportResult, locale: str) -> bytes | None:
    """PNG bytes of the report's chart, or None when it has none (call off the event loop)."""
    if spec.chart is None:
        return None
    return _resolve(spec.chart)(result, locale)


def render_summary(spec: ReportSpec, result: ReportResult, locale: str) -> str:
    """The report's short text: its own summary function, or the generic text renderer."""
    if spec.summary is not None:
        return _resolve(spec.summary)(result, locale)
    from services.analytics.export import render_text

    return render_text(result, locale)
