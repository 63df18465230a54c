"""The claims chart: claims by month (registered against satisfied and rejected), satisfaction
by cause as stacked bars, the guilty departments; the overdue count in red under the title."""

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
    label_of,
    percent,
    period_text,
    title,
    to_png,
)
from core.i18n import N_, gettext

TOP_IN = 1.3
ALERT_IN = 0.45
MONTHS_IN = 3.3
SECTION_IN = 0.75
ROW_IN = 0.8
BOTTOM_IN = 0.3
MAX_MONTHS = 12
MAX_CAUSES = 6
MAX_CULPRITS = 5

LABELS = {
    "title": N_("Claims"),
    "headline": N_("Claims: %(count)s · satisfied %(share)s"),
    "months": N_("By month"),
    "registered": N_("registered"),
    "satisfied": N_("satisfied"),
    "rejected": N_("rejected"),
    "open": N_("still open"),
    "causes": N_("Satisfaction by cause"),
    "cause_figures": N_("%(count)s · %(share)s satisfied"),
    "culprits": N_("Guilty departments"),
    "overdue": N_("Past the response time: %(count)s"),
}


def claims_figure(result: Any, locale: str) -> Figure:
    """PNG of `result.data` (services.analytics.claims.ClaimsData)."""
    data = result.data
    heading = gettext(LABELS["title"], locale)
    subtitle = period_text(data, locale)
    if not data.registered and not data.overdue_count and not any(
        m.registered or m.closed for m in data.months
    ):
        return empty_chart(heading, subtitle, locale)
    months = list(data.months)[-MAX_MONTHS:]
    causes = [c for c in data.causes if c.registered][:MAX_CAUSES]
    culprits = [r for r in data.top_departments if r.key is not None][:MAX_CULPRITS]
    alert = ALERT_IN if data.overdue_count else 0.0
    height = (TOP_IN + alert + SECTION_IN + MONTHS_IN
              + (SECTION_IN + len(causes) * ROW_IN + 0.35 if causes else 0)
              + (SECTION_IN + len(culprits) * ROW_IN if culprits else 0) + BOTTOM_IN)  # fmt: skip
    fig = figure(height)
    title(fig, gettext(LABELS["headline"], locale)
          % {"count": data.registered, "share": percent(data.satisfaction, locale)}, subtitle)
    top = 1 - TOP_IN / height
    if alert:
        fig.text(0.03, top - 0.05 / height, gettext(LABELS["overdue"], locale)
                 % {"count": data.overdue_count}, fontsize=LABEL_SIZE, color=RED,
                 fontweight="bold", va="top", ha="left", family=FONT)  # fmt: skip
        top -= alert / height
    panel = (SECTION_IN + MONTHS_IN) / height
    _months(fig.add_axes((0.03, top - panel, 0.94, panel)), months, locale)
    top -= panel
    if causes:
        panel = (SECTION_IN + len(causes) * ROW_IN + 0.35) / height
        _causes(fig.add_axes((0.03, top - panel, 0.94, panel)), causes, locale)
        top -= panel
    if culprits:
        panel = (SECTION_IN + len(culprits) * ROW_IN) / height
        _culprits(fig.add_axes((0.03, top - panel, 0.94, panel)), culprits, locale)
    return fig


def _header(ax: Any, y: float, text: str) -> None:
    ax.text(0, y, text, fontsize=LABEL_SIZE + 1, fontweight="bold", color=DARK, va="center",
            ha="left", family=FONT)


def _months(ax: Any, months: list[Any], locale: str) -> None:
    """Per month: a blue bar of claims registered beside a bar of claims closed, green for the
    satisfied part and red for the rejected; the numbers over the bars."""
    n = max(len(months), 1)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    clean_axes(ax)
    total = SECTION_IN + MONTHS_IN
    _header(ax, 1 - 0.3 / total, gettext(LABELS["months"], locale))
    legend_y = 1 - 0.72 / total
    x = 0.0
    for key, colour in (("registered", BLUE), ("satisfied", GREEN), ("rejected", RED)):
        ax.add_patch(Rectangle((x, legend_y - 0.018), 0.022, 0.036, facecolor=colour,
                               edgecolor="none"))
        label = gettext(LABELS[key], locale)
        ax.text(x + 0.03, legend_y, label, fontsize=SMALL_SIZE - 2, color=DARK, va="center",
                ha="left", family=FONT)
        x += 0.06 + len(label) * 0.0135
    base, ceiling = 0.14, 1 - 1.1 / total  # bars between the month labels and the legend
    tallest = max((max(m.registered, m.closed) for m in months), default=0) or 1
    slot = 1 / n
    width = slot * 0.34
    for i, m in enumerate(months):
        left = i * slot + slot * 0.14
        scale = (ceiling - base - 0.07) / tallest
        bars = [(left, [(m.registered, BLUE)]),
                (left + width, [(m.satisfied, GREEN), (m.not_satisfied, RED)])]
        for x0, parts in bars:
            y = base
            for value, colour in parts:
                if value:
                    ax.add_patch(Rectangle((x0, y), width * 0.92, value * scale,
                                           facecolor=colour, edgecolor="none"))
                    y += value * scale
            shown = sum(v for v, _ in parts)
            if shown:
                ax.text(x0 + width * 0.46, y + 0.012, str(shown), fontsize=SMALL_SIZE - 3,
                        color=DARK, va="bottom", ha="center", family=FONT)
        if n <= 6 or i % 2 == (n - 1) % 2:  # every other label when the months are many
            ax.text(i * slot + slot / 2, base - 0.04, m.month.strftime("%m.%y"),
                    fontsize=SMALL_SIZE - 2, color=GREY, va="top", ha="center", family=FONT)
    ax.plot([0, 1], [base, base], color=PALE, linewidth=2)


def _causes(ax: Any, causes: list[Any], locale: str) -> None:
    """Per cause: its name, then one bar split into satisfied, rejected and still open, with
    the count and the satisfied share on the right."""
    n = len(causes)
    header = SECTION_IN / ROW_IN
    ax.set_xlim(0, 1)
    ax.set_ylim(-n + 0.1 - 0.35 / ROW_IN, header + 0.1)
    clean_axes(ax)
    _header(ax, header - 0.3, gettext(LABELS["causes"], locale))
    widest = max(c.registered for c in causes) or 1
    for i, c in enumerate(causes):
        y = -i
        ax.text(0, y + 0.28, fit_text(label_of(c.cause, locale), 36), fontsize=LABEL_SIZE - 2,
                color=DARK, va="center", ha="left", family=FONT)
        figures = gettext(LABELS["cause_figures"], locale) % {
            "count": c.registered, "share": percent(c.satisfaction, locale)}
        ax.text(1, y + 0.28, figures,
                fontsize=SMALL_SIZE, color=DARK, va="center", ha="right", family=FONT,
                fontweight="bold")
        ax.add_patch(Rectangle((0, y - 0.2), 1, 0.26, facecolor=PALE, edgecolor="none"))
        x = 0.0
        for value, colour in ((c.satisfied, GREEN), (c.not_satisfied, RED), (c.open, GREY)):
            if value:
                ax.add_patch(Rectangle((x, y - 0.2), value / widest, 0.26, facecolor=colour,
                                       edgecolor="white", linewidth=1))
                x += value / widest
    legend_y = -n + 0.35
    x = 0.0
    for key, colour in (("satisfied", GREEN), ("rejected", RED), ("open", GREY)):
        ax.add_patch(Rectangle((x, legend_y - 0.1), 0.022, 0.2, facecolor=colour,
                               edgecolor="none"))
        label = gettext(LABELS[key], locale)
        ax.text(x + 0.03, legend_y, label, fontsize=SMALL_SIZE - 2, color=DARK, va="center",
                ha="left", family=FONT)
        x += 0.06 + len(label) * 0.0135


def _culprits(ax: Any, rows: list[Any], locale: str) -> None:
    n = len(rows)
    header = SECTION_IN / ROW_IN
    ax.set_xlim(0, 1)
    ax.set_ylim(-n + 0.35, header + 0.1)
    clean_axes(ax)
    _header(ax, header - 0.3, gettext(LABELS["culprits"], locale))
    widest = max(r.count for r in rows) or 1
    for i, r in enumerate(rows):
        y = -i
        ax.text(0, y + 0.28, fit_text(label_of(r.name, locale), 40), fontsize=LABEL_SIZE - 2,
                color=DARK, va="center", ha="left", family=FONT)
        ax.text(1, y + 0.28, f"{r.count} · {percent(r.share, locale)}", fontsize=SMALL_SIZE,
                color=DARK, va="center", ha="right", family=FONT, fontweight="bold")
        ax.add_patch(Rectangle((0, y - 0.2), 1, 0.26, facecolor=PALE, edgecolor="none"))
        ax.add_patch(Rectangle((0, y - 0.2), max(0.01, r.count / widest), 0.26,
                               facecolor=ORANGE, edgecolor="none"))


def claims_png(result: Any, locale: str) -> bytes:
    """PNG bytes of the claims chart (the registry's chart function)."""
    return to_png(claims_figure(result, locale))
