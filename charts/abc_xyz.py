"""The ABC/XYZ chart: per ABC class the share of the volume against the share of the clients
(a few A clients bring most of it), then the clients per XYZ class (how steadily they buy).

Reads `result.data` (services.analytics.abc_xyz.AbcXyzData) by duck typing; imports only `core`.
"""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from charts.common import (
    DARK,
    FONT,
    GREEN,
    GREY,
    LABEL_SIZE,
    LIGHT_BLUE,
    ORANGE,
    PALE,
    RED,
    SMALL_SIZE,
    TITLE_SIZE,
    clean_axes,
    decimal,
    figure,
    percent,
    short_money,
    title,
    to_png,
)
from core.i18n import N_, format_date, gettext

TOP_IN = 1.3
SECTION_IN = 0.75
ROW_IN = 1.0
LEGEND_IN = 0.5
CLASS_COLOURS = {"A": GREEN, "B": ORANGE, "C": RED, "X": GREEN, "Y": ORANGE, "Z": RED}

LABELS = {
    "title": N_("ABC/XYZ clients"),
    "no_run": N_("No classification yet"),
    "abc": N_("ABC: share of the volume"),
    "xyz": N_("XYZ: how steadily they buy"),
    "clients": N_("clients: %(count)s (%(share)s)"),
    "legend": N_("bar: share of the volume; thin bar: share of the clients"),
    "X": N_("steady"),
    "Y": N_("fluctuating"),
    "Z": N_("irregular"),
}


def abc_xyz_figure(result: Any, locale: str) -> Figure:
    data = result.data
    heading = gettext(LABELS["title"], locale)
    abc = [row for row in data.abc if row.key]
    xyz = [row for row in data.xyz if row.key]
    clients = sum(row.clients for row in data.abc)
    if data.period_from is None or not clients:
        fig = figure(3.2)
        title(fig, heading)
        fig.text(0.5, 0.4, gettext(LABELS["no_run"], locale), fontsize=LABEL_SIZE,
                 color=GREY, ha="center", va="center", family=FONT)
        return fig
    rows = len(abc) + len(xyz)
    height = TOP_IN + 2 * SECTION_IN + rows * ROW_IN + LEGEND_IN
    fig = figure(height)
    subtitle = f"{format_date(data.period_from, locale)} – {format_date(data.period_to, locale)}"
    title(fig, heading, subtitle)
    top = 1 - TOP_IN / height

    def section(label: str, n: int) -> Any:
        nonlocal top
        panel = (SECTION_IN + n * ROW_IN) / height
        ax = fig.add_axes((0.03, top - panel, 0.94, panel))
        ax.set_xlim(0, 1)
        ax.set_ylim(-n * ROW_IN, SECTION_IN)
        clean_axes(ax)
        ax.text(0, SECTION_IN * 0.45, gettext(label, locale), fontsize=LABEL_SIZE + 1,
                fontweight="bold", color=DARK, va="center", ha="left", family=FONT)
        top -= panel
        return ax

    ax = section(LABELS["abc"], len(abc))
    in_abc = sum(row.clients for row in abc) or 1
    for i, row in enumerate(abc):
        y = -i * ROW_IN - 0.5 * ROW_IN
        client_share = row.clients / in_abc
        _letter(ax, y, row.key)
        value = (short_money(row.value, locale) if data.is_money
                 else decimal(row.value, locale, 0))
        ax.text(1, y + 0.22, f"{value} · {percent(row.share, locale)}", fontsize=SMALL_SIZE + 1,
                fontweight="bold", color=DARK, va="center", ha="right", family=FONT)
        _bar(ax, y - 0.05, row.share or 0, CLASS_COLOURS[row.key], 0.2)
        _bar(ax, y - 0.27, client_share, LIGHT_BLUE, 0.1)
        ax.text(0.12, y + 0.22, gettext(LABELS["clients"], locale) % {
            "count": row.clients, "share": percent(client_share, locale)},
            fontsize=SMALL_SIZE - 1, color=GREY, va="center", ha="left", family=FONT)

    ax = section(LABELS["xyz"], len(xyz))
    most = max((row.clients for row in xyz), default=0) or 1
    in_xyz = sum(row.clients for row in xyz) or 1
    for i, row in enumerate(xyz):
        y = -i * ROW_IN - 0.5 * ROW_IN
        _letter(ax, y, row.key)
        ax.text(0.12, y + 0.22, gettext(LABELS[row.key], locale), fontsize=SMALL_SIZE,
                color=GREY, va="center", ha="left", family=FONT)
        ax.text(1, y + 0.22, gettext(LABELS["clients"], locale) % {
            "count": row.clients, "share": percent(row.clients / in_xyz, locale)},
            fontsize=SMALL_SIZE + 1, fontweight="bold", color=DARK, va="center", ha="right",
            family=FONT)
        _bar(ax, y - 0.1, row.clients / most, CLASS_COLOURS[row.key], 0.2)

    fig.text(0.03, LEGEND_IN / height * 0.5, gettext(LABELS["legend"], locale),
             fontsize=SMALL_SIZE - 2, color=GREY, ha="left", va="center", family=FONT)
    return fig


def _letter(ax: Any, y: float, key: str) -> None:
    ax.text(0, y, key, fontsize=TITLE_SIZE, fontweight="bold", color=CLASS_COLOURS[key],
            va="center", ha="left", family=FONT)


def _bar(ax: Any, y: float, share: float, colour: str, thickness: float) -> None:
    """A bar from x = 0.12 to the right edge for a share 0..1 on a pale track."""
    left, span = 0.12, 0.88
    ax.add_patch(Rectangle((left, y - thickness / 2), span, thickness, facecolor=PALE,
                           edgecolor="none"))
    ax.add_patch(Rectangle((left, y - thickness / 2), max(0.004, span * share), thickness,
                           facecolor=colour, edgecolor="none"))


def abc_xyz_png(result: Any, locale: str) -> bytes:
    """PNG bytes of the ABC/XYZ chart (the registry's chart function)."""
    return to_png(abc_xyz_figure(result, locale))
