"""The funnel chart: one centred bar per stage (width = deals that reached it), the counts and the
stage conversion on the bar, the name and the average days above it; bottlenecks in colour."""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from charts.common import (
    DARK,
    FONT,
    GREY,
    LABEL_SIZE,
    LIGHT_BLUE,
    ORANGE,
    RED,
    SMALL_SIZE,
    clean_axes,
    decimal,
    empty_chart,
    figure,
    fit_text,
    percent,
    period_text,
    short_money,
    title,
    to_png,
)
from core.i18n import N_, gettext

ROW_IN = 0.95  # height of one stage row, inches
KIND_HEADER_IN = 0.7
CENTRE, HALF_WIDTH = -0.17, 0.8  # bars span -0.97..0.63; the lost money sits to the right
TOP_IN = 1.25
LEGEND_IN = 0.9
PALE_RED = "#F4B4B4"
PALE_ORANGE = "#F8D3A8"

LABELS = {
    "title": N_("Sales funnel"),
    "days": N_("⌀ %(n)s d"),
    "plan": N_("plan %(n)s"),
    "lowest_pass_rate": N_("lowest pass rate"),
    "largest_lost": N_("largest lost potential"),
    "over_plan": N_("longer than planned"),
}


def funnel_figure(result: Any, locale: str) -> Figure:
    """PNG of `result.data` (services.analytics.funnel.FunnelData)."""
    data = result.data
    heading = gettext(LABELS["title"], locale)
    kinds = [k for k in data.kinds if k.stages]
    if not kinds or not any(s.reached for k in kinds for s in k.stages):
        return empty_chart(heading, period_text(data, locale), locale)
    rows = sum(len(k.stages) for k in kinds)
    header_in = KIND_HEADER_IN if len(kinds) > 1 else 0.25
    height = TOP_IN + rows * ROW_IN + len(kinds) * header_in + LEGEND_IN
    fig = figure(height)
    subtitle = period_text(data, locale)
    if len(kinds) == 1:
        subtitle = f"{kinds[0].name.pick(locale)} · {subtitle}"
    title(fig, heading, subtitle)
    top = 1 - TOP_IN / height
    for kind in kinds:
        panel = (len(kind.stages) * ROW_IN + header_in) / height
        ax = fig.add_axes((0.03, top - panel, 0.94, panel))
        _draw_kind(ax, kind, locale, header_in, currency=data.currency)
        top -= panel
    _legend(fig, LEGEND_IN / height, locale)
    return fig


def _draw_kind(ax: Any, kind: Any, locale: str, header_in: float, *, currency: str) -> None:
    stages = kind.stages
    n = len(stages)
    top = header_in / ROW_IN
    ax.set_xlim(-1, 1)
    ax.set_ylim(-n + 0.5, top + 0.5)
    clean_axes(ax)
    if header_in >= KIND_HEADER_IN:
        ax.text(-1, top + 0.2, kind.name.pick(locale), fontsize=LABEL_SIZE + 1, fontweight="bold",
                color=DARK, va="center", ha="left", family=FONT)
    widest = max((s.reached for s in stages), default=0) or 1
    for i, stage in enumerate(stages):
        y = -i
        flags = set(stage.flags)
        name = fit_text(stage.name.pick(locale), 30)
        ax.text(-1, y + 0.33, name, fontsize=LABEL_SIZE, color=DARK, va="center", ha="left",
                family=FONT, fontweight="bold" if flags else "normal")
        if stage.avg_days is not None:
            days = gettext(LABELS["days"], locale) % {"n": decimal(stage.avg_days, locale)}
            if "over_plan" in flags:
                days += " / " + gettext(LABELS["plan"], locale) % {"n": stage.planned_days}
            ax.text(1, y + 0.33, days, fontsize=SMALL_SIZE, va="center", ha="right", family=FONT,
                    color=RED if "over_plan" in flags else GREY,
                    fontweight="bold" if "over_plan" in flags else "normal")
        width = max(0.04, HALF_WIDTH * stage.reached / widest)
        colour = PALE_RED if "lowest_pass_rate" in flags else (
            PALE_ORANGE if "largest_lost" in flags else LIGHT_BLUE)
        ax.add_patch(Rectangle((CENTRE - width, y - 0.42), 2 * width, 0.5, facecolor=colour,
                               edgecolor="none"))
        text = f"{stage.reached} → {stage.passed}"
        if stage.conversion is not None:
            text += f"  ·  {percent(stage.conversion, locale)}"
        ax.text(CENTRE, y - 0.17, text, fontsize=LABEL_SIZE, color=DARK, va="center", ha="center",
                family=FONT, fontweight="bold")
        if "largest_lost" in flags and stage.lost_minor:
            ax.text(1, y - 0.17, "−" + short_money(stage.lost_minor, locale, currency),
                    fontsize=SMALL_SIZE, color=ORANGE, va="center", ha="right", family=FONT,
                    fontweight="bold")


def _legend(fig: Any, height: float, locale: str) -> None:
    """Three swatches with their meaning, on one line, or two when they do not fit."""
    items = [(PALE_RED, LABELS["lowest_pass_rate"]), (PALE_ORANGE, LABELS["largest_lost"]),
             (RED, LABELS["over_plan"])]
    renderer = fig.canvas.get_renderer()
    line = 0.32 / fig.get_figheight()
    y, x = height * 0.7, 0.03
    box_w = 0.22 / fig.get_figwidth()
    box_h = 0.22 / fig.get_figheight()
    for colour, label in items:
        text = fig.text(0, y, gettext(label, locale), fontsize=SMALL_SIZE - 2, color=GREY,
                        va="center", ha="left", family=FONT)
        width = text.get_window_extent(renderer).width / fig.bbox.width
        if x + box_w + 0.01 + width > 0.97:
            x, y = 0.03, y - line
        text.set_x(x + box_w + 0.01)
        text.set_y(y)
        fig.patches.append(Rectangle((x, y - box_h / 2), box_w, box_h, transform=fig.transFigure,
                                     facecolor=colour, edgecolor="none", figure=fig))
        x += box_w + 0.01 + width + 0.04


# --- the forecast -------------------------------------------------------------------------------

FORECAST_LABELS = {
    "title": N_("Sales forecast"),
    "no_estimate": N_("no estimate"),
    "legend": N_("bar: expected; line: worst to best case"),
}
MONTH_ROW_IN = 0.62
MAX_MONTHS = 12


def forecast_figure(result: Any, locale: str) -> Figure:
    """PNG of `result.data` (services.analytics.forecast.ForecastData): one row per expected
    close month, the expected amount as a bar, the worst-to-best range as a line; months after
    the report's window are grey."""
    data = result.data
    heading = gettext(FORECAST_LABELS["title"], locale)
    months = list(data.months)[:MAX_MONTHS]
    if not months:
        return empty_chart(heading, period_text(data, locale), locale)
    height = TOP_IN + len(months) * MONTH_ROW_IN + LEGEND_IN
    fig = figure(height)
    title(fig, heading, period_text(data, locale))
    bottom = LEGEND_IN / height
    ax = fig.add_axes((0.2, bottom, 0.6, 1 - TOP_IN / height - bottom))
    widest = max(m.cases.best_minor for m in months) or 1
    last = data.date_to.replace(day=1)
    for i, month in enumerate(months):
        y = -i
        inside = month.month is not None and month.month <= last
        colour = BLUE_BAR if inside else GREY
        cases = month.cases
        ax.barh(y, cases.expected_minor / widest, height=0.55, color=colour, alpha=0.9)
        ax.plot([cases.worst_minor / widest, cases.best_minor / widest], [y, y], color=DARK,
                linewidth=2.5, solid_capstyle="butt")
        for x in (cases.worst_minor / widest, cases.best_minor / widest):
            ax.plot([x, x], [y - 0.18, y + 0.18], color=DARK, linewidth=2.5)
        label = (month.month.strftime("%m.%Y") if month.month is not None
                 else gettext(FORECAST_LABELS["no_estimate"], locale))
        ax.text(-0.03, y, label, fontsize=LABEL_SIZE - 1, color=DARK if inside else GREY,
                ha="right", va="center", family=FONT, transform=ax.get_yaxis_transform())
        ax.text(1.03, y, short_money(cases.expected_minor, locale, data.currency),
                fontsize=LABEL_SIZE - 1, color=DARK if inside else GREY, ha="left",
                va="center", family=FONT, fontweight="bold" if inside else "normal",
                transform=ax.get_yaxis_transform())
    ax.set_xlim(0, 1.02)
    ax.set_ylim(-len(months) + 0.4, 0.6)
    clean_axes(ax)
    fig.text(0.03, bottom * 0.45, gettext(FORECAST_LABELS["legend"], locale),
             fontsize=SMALL_SIZE - 2, color=GREY, ha="left", va="center", family=FONT)
    return fig


BLUE_BAR = "#2E6FD8"


def funnel_png(result: Any, locale: str) -> bytes:
    """PNG bytes of the funnel chart (the registry's chart function)."""
    return to_png(funnel_figure(result, locale))


def forecast_png(result: Any, locale: str) -> bytes:
    """PNG bytes of the forecast chart (the registry's chart function)."""
    return to_png(forecast_figure(result, locale))
