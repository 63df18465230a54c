"""The lost-deals chart: why deals are lost, where, and to whom, as labelled bars."""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from charts.common import (
    DARK,
    FONT,
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
    short_money,
    title,
    to_png,
)
from core.i18n import N_, gettext

ROW_IN = 0.78
SECTION_IN = 0.8
TOP_IN = 1.25
BOTTOM_IN = 0.25
MAX_REASONS = 6
MAX_COMPETITORS = 3

LABELS = {
    "title": N_("Lost deals"),
    "reasons": N_("Why: loss reasons"),
    "stages": N_("Where: stages of loss"),
    "competitors": N_("To whom: competitors"),
    "won_of": N_("won %(won)s of %(met)s"),
}


def lost_figure(result: Any, locale: str) -> Figure:
    """PNG of `result.data` (services.analytics.lost.LostData)."""
    data = result.data
    heading = gettext(LABELS["title"], locale)
    subtitle = period_text(data, locale)
    if not data.total_count:
        return empty_chart(heading, subtitle, locale)
    currency = data.currency
    sections: list[tuple[str, list[tuple[str, float, str, str]]]] = []
    reasons = list(data.reasons)[:MAX_REASONS]
    sections.append((gettext(LABELS["reasons"], locale), [
        (label_of(r.reason, locale), r.count,
         f"{r.count} · {short_money(r.lost_minor, locale, currency)}", RED)
        for r in reasons]))
    if data.stages:
        sections.append((gettext(LABELS["stages"], locale), [
            (label_of(s.stage, locale), s.count,
             f"{s.count} · {short_money(s.lost_minor, locale, currency)}", ORANGE)
            for s in data.stages]))
    rivals = [c for c in data.competitors if c.won_against_us][:MAX_COMPETITORS]
    if rivals:
        sections.append((gettext(LABELS["competitors"], locale), [
            (c.name, c.won_against_us,
             gettext(LABELS["won_of"], locale) % {"won": c.won_against_us, "met": c.met}
             + f" · {percent(c.win_rate, locale)}", GREY)
            for c in rivals]))
    rows = sum(len(items) for _, items in sections)
    height = TOP_IN + len(sections) * SECTION_IN + rows * ROW_IN + BOTTOM_IN
    fig = figure(height)
    title(fig, f"{heading}: {data.total_count} · {short_money(data.total_minor, locale, currency)}",
          subtitle)
    top = 1 - TOP_IN / height
    for name, items in sections:
        panel = (SECTION_IN + len(items) * ROW_IN) / height
        ax = fig.add_axes((0.03, top - panel, 0.94, panel))
        _section(ax, name, items)
        top -= panel
    return fig


def _section(ax: Any, name: str, items: list[tuple[str, float, str, str]]) -> None:
    n = len(items)
    header = SECTION_IN / ROW_IN
    ax.set_xlim(0, 1)
    ax.set_ylim(-n + 0.35, header + 0.1)
    clean_axes(ax)
    ax.text(0, header - 0.3, name, fontsize=LABEL_SIZE + 1, fontweight="bold", color=DARK,
            va="center", ha="left", family=FONT)
    widest = max((value for _, value, _, _ in items), default=0) or 1
    for i, (label, value, text, colour) in enumerate(items):
        y = -i
        ax.text(0, y + 0.28, fit_text(label, 34), fontsize=LABEL_SIZE - 1, color=DARK,
                va="center", ha="left", family=FONT)
        ax.text(1, y + 0.28, text, fontsize=SMALL_SIZE, color=DARK, va="center", ha="right",
                family=FONT, fontweight="bold")
        ax.add_patch(Rectangle((0, y - 0.22), 1, 0.26, facecolor=PALE, edgecolor="none"))
        ax.add_patch(Rectangle((0, y - 0.22), max(0.01, value / widest), 0.26, facecolor=colour,
                               edgecolor="none"))


def lost_png(result: Any, locale: str) -> bytes:
    """PNG bytes of the lost chart (the registry's chart function)."""
    return to_png(lost_figure(result, locale))
