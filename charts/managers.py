"""The managers' leaderboard: sales per manager against the comparison period, and the
deal-execution overview (ordered, invoiced, shipped, paid; health of won deals)."""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from charts.common import (
    BLUE,
    DARK,
    FONT,
    GREEN,
    GREY,
    LABEL_SIZE,
    ORANGE,
    PALE,
    RED,
    SMALL_SIZE,
    clean_axes,
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

ROW_IN = 1.05
TOP_IN = 1.3
LEGEND_IN = 0.55
MAX_ROWS = 10

LABELS = {
    "title": N_("Managers: sales"),
    "legend": N_("bar: this period; tick: the period compared"),
    "deals": N_("won: %(won)s · %(rate)s"),
}


def managers_figure(result: Any, locale: str) -> Figure:
    """PNG of `result.data` (services.analytics.managers.ManagersData)."""
    data = result.data
    heading = gettext(LABELS["title"], locale)
    subtitle = period_text(data, locale)
    rows = list(data.rows)[:MAX_ROWS]
    if not rows:
        return empty_chart(heading, subtitle, locale)
    height = TOP_IN + len(rows) * ROW_IN + LEGEND_IN
    fig = figure(height)
    title(fig, heading, subtitle)
    bottom = LEGEND_IN / height
    ax = fig.add_axes((0.03, bottom, 0.94, 1 - TOP_IN / height - bottom))
    n = len(rows)
    ax.set_xlim(0, 1)
    ax.set_ylim((-n + 0.4) * ROW_IN, 0.7 * ROW_IN)
    clean_axes(ax)
    widest = max(max(r.current.sales_minor, r.previous.sales_minor) for r in rows) or 1
    for i, row in enumerate(rows):
        y = -i * ROW_IN
        cur, prev = row.current.sales_minor, row.previous.sales_minor
        place = f"{i + 1}. {fit_text(row.name, 24)}"
        ax.text(0, y + 0.3, place, fontsize=LABEL_SIZE - 1, color=DARK, va="center",
                ha="left", family=FONT, fontweight="bold" if i == 0 else "normal")
        ax.text(1, y + 0.3, short_money(cur, locale, data.currency), fontsize=SMALL_SIZE + 1,
                color=DARK, va="center", ha="right", family=FONT, fontweight="bold")
        ax.add_patch(Rectangle((0, y - 0.16), 1, 0.22, facecolor=PALE, edgecolor="none"))
        ax.add_patch(Rectangle((0, y - 0.16), max(0.004, cur / widest), 0.22, facecolor=BLUE,
                               edgecolor="none"))
        if prev:
            x = prev / widest
            ax.plot([x, x], [y - 0.24, y + 0.14], color=DARK, linewidth=3)
        deals = gettext(LABELS["deals"], locale) % {
            "won": row.current.won, "rate": percent(row.current.deal_efficiency, locale)}
        ax.text(0, y - 0.42, deals, fontsize=SMALL_SIZE - 2, color=GREY, va="center",
                ha="left", family=FONT)
        change, colour = _change(cur, prev, locale)
        ax.text(1, y - 0.42, change, fontsize=SMALL_SIZE - 2, color=colour, va="center",
                ha="right", family=FONT, fontweight="bold")
    fig.text(0.03, bottom * 0.5, gettext(LABELS["legend"], locale), fontsize=SMALL_SIZE - 2,
             color=GREY, ha="left", va="center", family=FONT)
    return fig


def _change(cur: int, prev: int, locale: str) -> tuple[str, str]:
    if not prev:
        return ("", GREY) if not cur else ("▲", GREEN)
    delta = (cur - prev) / prev
    arrow = "▲" if delta >= 0 else "▼"
    return f"{arrow} {percent(abs(delta), locale)}", GREEN if delta >= 0 else RED


# --- execution ----------------------------------------------------------------------------------

EXECUTION_LABELS = {
    "title": N_("Deal execution"),
    "ordered": N_("Ordered"),
    "invoiced": N_("Invoiced"),
    "shipped": N_("Shipped"),
    "paid": N_("Paid"),
    "ok": N_("on track"),
    "watch": N_("in progress"),
    "attention": N_("need attention"),
    "deals": N_("Won deals: %(count)s"),
}


def execution_figure(result: Any, locale: str) -> Figure:
    """PNG of `result.data` (services.analytics.monitoring.ExecutionData): the won deals'
    money as ordered, invoiced, shipped and paid, then how many deals are on track."""
    data = result.data
    heading = gettext(EXECUTION_LABELS["title"], locale)
    subtitle = period_text(data, locale)
    if not data.deals_count:
        return empty_chart(heading, subtitle, locale)
    t = data.totals
    bars = [("ordered", t.ordered_minor), ("invoiced", t.invoiced_minor),
            ("shipped", t.shipped_minor), ("paid", t.paid_minor)]
    health = [("attention", data.health_counts.get("attention", 0), RED),
              ("watch", data.health_counts.get("watch", 0), ORANGE),
              ("ok", data.health_counts.get("ok", 0), GREEN)]
    height = TOP_IN + len(bars) * 0.7 + 1.6
    fig = figure(height)
    title(fig, heading, subtitle)
    top = 1 - TOP_IN / height
    ax = fig.add_axes((0.03, top - len(bars) * 0.7 / height, 0.94, len(bars) * 0.7 / height))
    ax.set_xlim(0, 1)
    ax.set_ylim(-len(bars) + 0.4, 0.6)
    clean_axes(ax)
    widest = max(v for _, v in bars) or 1
    renderer = fig.canvas.get_renderer()
    labels = []
    for i, (key, _value) in enumerate(bars):
        labels.append(ax.text(0, -i, gettext(EXECUTION_LABELS[key], locale),
                              fontsize=LABEL_SIZE - 1, color=DARK, va="center", ha="left",
                              family=FONT))
    # The bars start after the longest label ("Виставлено рахунок" is long), leaving room for
    # the amounts on the right.
    longest = max(t.get_window_extent(renderer).width for t in labels) / ax.bbox.width
    start = min(0.45, longest + 0.03)
    span = 0.78 - start
    for i, (_key, value) in enumerate(bars):
        y = -i
        ax.add_patch(Rectangle((start, y - 0.2), max(0.004, span * value / widest), 0.4,
                               facecolor=BLUE, edgecolor="none"))
        ax.text(1, y, short_money(value, locale, data.currency), fontsize=SMALL_SIZE,
                color=DARK, va="center", ha="right", family=FONT, fontweight="bold")
    hx = fig.add_axes((0.03, 0.04, 0.94, 1.1 / height))
    hx.set_xlim(0, 1)
    hx.set_ylim(0, 1)
    clean_axes(hx)
    hx.text(0, 0.85, gettext(EXECUTION_LABELS["deals"], locale) % {"count": data.deals_count},
            fontsize=LABEL_SIZE, fontweight="bold", color=DARK, va="center", ha="left",
            family=FONT)
    total = sum(n for _, n, _ in health) or 1
    x = 0.0
    for _key, n, colour in health:
        if n:
            hx.add_patch(Rectangle((x, 0.35), n / total, 0.25, facecolor=colour,
                                   edgecolor="white"))
            x += n / total
    texts = [f"{gettext(EXECUTION_LABELS[key], locale)}: {n}" for key, n, _ in health]
    for i, (text, (_, _, colour)) in enumerate(zip(texts, health, strict=True)):
        hx.text([0, 0.5, 1][i], 0.08, text, fontsize=SMALL_SIZE - 1, color=colour,
                va="center", ha=["left", "center", "right"][i], family=FONT, fontweight="bold")
    return fig


def managers_png(result: Any, locale: str) -> bytes:
    """PNG bytes of the managers chart (the registry's chart function)."""
    return to_png(managers_figure(result, locale))


def execution_png(result: Any, locale: str) -> bytes:
    """PNG bytes of the execution chart (the registry's chart function)."""
    return to_png(execution_figure(result, locale))
