"""What the charts share: a phone-sized Figure (no pyplot state), large type, colours, PNG bytes.

Charts take the report DTOs (duck-typed, `charts` imports only `core`) and return PNG bytes.
Render them off the event loop (`asyncio.to_thread`). Sizes: 1080 px wide, type of 17-24 pt at
120 dpi, so a chart shown at a phone's width stays readable; DejaVu Sans covers Cyrillic.
"""

from __future__ import annotations

import io
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from core.i18n import N_, format_date, gettext

DPI = 100
WIDTH_IN = 9.0  # 900 px
FONT = "DejaVu Sans"
TITLE_SIZE = 24
LABEL_SIZE = 19
SMALL_SIZE = 16

BLUE = "#2E6FD8"
LIGHT_BLUE = "#A9C4F0"
RED = "#D64545"
ORANGE = "#E8871E"
GREEN = "#2E9E5B"
GREY = "#9AA5B1"
DARK = "#1F2933"
PALE = "#E4E7EB"

LABELS = {
    "million": N_("%(n)s M"),
    "thousand": N_("%(n)s k"),
    "period": N_("%(from)s – %(to)s"),
    "no_data": N_("No data for this period"),
}
CURRENCY_SHORT = {"UAH": {"uk": "грн", "en": "UAH"}}


def figure(height_in: float, width_in: float = WIDTH_IN) -> Figure:
    """A Figure on its own Agg canvas (text can be measured before saving)."""
    fig = Figure(figsize=(width_in, height_in), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def to_png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    # Fast zlib: a third of the time of the default level for a slightly larger file.
    fig.savefig(buffer, format="png", dpi=DPI, facecolor="white",
                pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def decimal(value: float, locale: str, digits: int = 1) -> str:
    text = f"{value:,.{digits}f}"
    if locale == "en":
        return text
    return text.replace(",", "\u00a0").replace(".", ",")


def short_money(minor: int, locale: str, currency: str = "UAH") -> str:
    """1 234 567,89 -> '1,2 млн грн'; 350 000 -> '350 тис. грн' (short for chart labels)."""
    units = minor / 100
    sign = CURRENCY_SHORT.get(currency, {}).get(locale, currency)
    if abs(units) >= 1_000_000:
        text = gettext(LABELS["million"], locale) % {"n": decimal(units / 1_000_000, locale)}
    elif abs(units) >= 1_000:
        text = gettext(LABELS["thousand"], locale) % {"n": decimal(units / 1_000, locale, 0)}
    else:
        text = decimal(units, locale, 0)
    return f"{text}\u00a0{sign}"


def percent(value: float | None, locale: str) -> str:
    if value is None:
        return "—"
    number = decimal(value * 100, locale, 0)
    return f"{number}%" if locale == "en" else f"{number}\u00a0%"


def period_text(data: Any, locale: str) -> str:
    return gettext(LABELS["period"], locale) % {
        "from": format_date(data.date_from, locale),
        "to": format_date(data.date_to, locale),
    }


def title(fig: Figure, text: str, subtitle: str = "") -> None:
    fig.text(0.03, 0.985, text, fontsize=TITLE_SIZE, fontweight="bold", color=DARK,
             va="top", ha="left", family=FONT)
    if subtitle:
        fig.text(0.03, 0.985 - 0.55 / fig.get_figheight(), subtitle, fontsize=SMALL_SIZE,
                 color=GREY, va="top", ha="left", family=FONT)


def empty_chart(heading: str, subtitle: str, locale: str) -> Figure:
    """The chart of an empty period: its title and "No data for this period"."""
    fig = figure(3.2)
    title(fig, heading, subtitle)
    fig.text(0.5, 0.4, gettext(LABELS["no_data"], locale), fontsize=LABEL_SIZE, color=GREY,
             ha="center", va="center", family=FONT)
    return fig


def texts_overlap(fig: Figure) -> list[tuple[str, str]]:
    """Pairs of visible texts whose boxes overlap (tests: labels must never collide)."""
    renderer = fig.canvas.get_renderer()
    boxes = []
    for text in fig.findobj(lambda a: hasattr(a, "get_text") and hasattr(a, "get_window_extent")):
        if not text.get_visible() or not text.get_text().strip():
            continue
        boxes.append((text.get_text(), text.get_window_extent(renderer)))
    found = []
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1:]:
            if box_a.overlaps(box_b):
                found.append((a, b))
    return found


def clean_axes(ax: Any) -> None:
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_xticks([])
    ax.set_yticks([])


def fit_text(text: str, limit: int) -> str:
    """Cut a label to `limit` characters with an ellipsis (labels must never overlap)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def label_of(value: Any, locale: str) -> str:
    """A stored two-language name (has `pick`), a msgid with params (has `msgid`) or text."""
    if value is None:
        return ""
    if hasattr(value, "pick"):
        return value.pick(locale)
    if hasattr(value, "msgid"):
        text = gettext(value.msgid, locale)
        params = getattr(value, "params", None)
        return text % params if params else text
    return str(value)
