"""Client loyalty as a phone-sized PNG: the relationship-stage shares over the classification
dates (stacked bars) above the repeat-sales grid at the end of the period, each cell with its
number of clients and the change since the start.

Reads `result.data` (services.analytics.loyalty.LoyaltyData) by duck typing; imports only `core`.
"""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import PercentFormatter

from charts.bcg import DPI, MUTED, TEXT, png
from core.i18n import N_, format_date, gettext

WIDTH_IN, HEIGHT_IN = 7.2, 11.0  # 1080 × 1650 px
# (attribute, label, colour), bottom of the bar first: the best stage at the bottom
STAGES = (
    ("regular_x", N_("Regular X"), "#2e7d32"),
    ("regular_y", N_("Regular Y"), "#81c784"),
    ("one_time", N_("One-time"), "#ffb74d"),
    ("lost", N_("Lost"), "#e57373"),
    ("potential", N_("Potential"), "#b0bec5"),
)
ROWS = (
    (N_("New"), N_("1 purchase")),
    (N_("Promising"), N_("2–7 purchases")),
    (N_("Loyal"), N_("more than 7")),
)
COLUMNS = (
    (N_("Active"), N_("< 30 days")),
    (N_("Falling asleep"), N_("30–50 days")),
    (N_("Sleeping"), N_("> 50 days")),
)
COLUMN_COLOURS = ("#c8e6c9", "#fff3c4", "#ffcdd2")


def loyalty_png(result: Any, locale: str = "uk") -> bytes:
    """PNG bytes of a `loyalty` report result."""
    data = result.data
    _ = lambda message: gettext(message, locale)  # noqa: E731
    figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    figure.patch.set_facecolor("white")
    figure.text(
        0.5,
        0.975,
        _(N_("Client loyalty")),
        ha="center",
        va="top",
        fontsize=22,
        fontweight="bold",
        color=TEXT,
    )
    _stages(figure, data, _)
    _grid(figure, data, _, locale)
    return png(figure)


def _stages(figure: Figure, data: Any, _: Any) -> None:
    figure.text(
        0.5, 0.93, _(N_("Relationship stages")), ha="center", va="top", fontsize=16, color=TEXT
    )
    axes = figure.add_axes((0.13, 0.6, 0.83, 0.24))
    points = list(data.points)
    if not points:
        axes.axis("off")
        axes.text(
            0.5,
            0.5,
            _(N_("No classification yet")),
            ha="center",
            va="center",
            fontsize=15,
            color=MUTED,
        )
        return
    labels = [point.period_to.strftime("%m.%Y") for point in points]
    positions = list(range(len(points)))
    bottoms = [0.0] * len(points)
    for attribute, label, colour in STAGES:
        shares = [
            getattr(point, attribute) / point.total if point.total else 0.0 for point in points
        ]
        axes.bar(positions, shares, bottom=bottoms, color=colour, width=0.7, label=_(label))
        bottoms = [b + s for b, s in zip(bottoms, shares, strict=True)]
    axes.set_xticks(
        positions,
        labels,
        fontsize=12 if len(points) <= 6 else 10,
        rotation=0 if len(points) <= 6 else 45,
    )
    axes.set_ylim(0, 1)
    axes.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    axes.tick_params(axis="y", labelsize=11, colors=MUTED)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    handles, legend_labels = axes.get_legend_handles_labels()
    figure.legend(
        handles,
        legend_labels,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.905),
        ncols=3,
        fontsize=12,
        frameon=False,
        handlelength=1.2,
        columnspacing=1.2,
    )


def _grid(figure: Figure, data: Any, _: Any, locale: str) -> None:
    title = _(N_("Repeat sales on %(date)s")) % {"date": format_date(data.date_to, locale)}
    figure.text(0.5, 0.51, title, ha="center", va="top", fontsize=16, color=TEXT)
    change = _(N_("Change since %(date)s")) % {"date": format_date(data.date_from, locale)}
    figure.text(0.5, 0.475, change, ha="center", va="top", fontsize=12, color=MUTED)

    axes = figure.add_axes((0.26, 0.07, 0.71, 0.33))
    axes.set_xlim(0, 3)
    axes.set_ylim(0, 3)
    axes.axis("off")
    for row in range(3):
        for column in range(3):
            x, y = column, 2 - row
            end, start = data.end[row][column], data.start[row][column]
            axes.add_patch(
                Rectangle(
                    (x + 0.03, y + 0.03),
                    0.94,
                    0.94,
                    facecolor=COLUMN_COLOURS[column],
                    edgecolor="white",
                    linewidth=2,
                )
            )
            axes.text(
                x + 0.5,
                y + 0.58,
                str(end),
                ha="center",
                va="center",
                fontsize=28,
                fontweight="bold",
                color=TEXT,
            )
            delta = end - start
            sign = "+" if delta > 0 else "−" if delta < 0 else "±"
            axes.text(
                x + 0.5,
                y + 0.22,
                f"{sign}{abs(delta)}",
                ha="center",
                va="center",
                fontsize=14,
                color=MUTED,
            )
    for column, (name, hint) in enumerate(COLUMNS):
        axes.text(
            column + 0.5,
            3.2,
            _(name),
            ha="center",
            va="bottom",
            fontsize=12.5,
            fontweight="bold",
            color=TEXT,
            clip_on=False,
        )
        axes.text(
            column + 0.5,
            3.04,
            _(hint),
            ha="center",
            va="bottom",
            fontsize=11,
            color=MUTED,
            clip_on=False,
        )
    for row, (name, hint) in enumerate(ROWS):
        y = 2 - row + 0.5
        axes.text(
            -0.06,
            y + 0.12,
            _(name),
            ha="right",
            va="center",
            fontsize=12.5,
            fontweight="bold",
            color=TEXT,
            clip_on=False,
        )
        axes.text(
            -0.06,
            y - 0.14,
            _(hint),
            ha="right",
            va="center",
            fontsize=11,
            color=MUTED,
            clip_on=False,
        )
    footer = _(N_("First purchase in the period: %(count)s")) % {"count": data.first_buyers}
    figure.text(0.5, 0.03, footer, ha="center", va="center", fontsize=13, color=TEXT)
