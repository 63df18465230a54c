"""The abc-xyz report's chart: a phone-sized PNG with the classes' shares, in Ukrainian, no
label over another; and the execution chart's long Ukrainian labels stay clear of the bars."""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace

import pytest
from matplotlib.patches import Rectangle
from PIL import Image

from charts.abc_xyz import abc_xyz_figure
from charts.common import texts_overlap
from charts.managers import execution_figure
from core.i18n import gettext
from services.analytics import ReportParams, get_report, render_chart, run_report
from tests.services.test_analytics_abc_xyz_report import two_runs


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")) if t.get_text()]


@pytest.mark.parametrize("locale", ["uk", "en"])
async def test_the_chart_shows_each_class_share_without_overlaps(db, frozen_clock, locale):
    await two_runs()
    result = await run_report("abc-xyz", ReportParams())
    fig = abc_xyz_figure(result, locale)
    fig.canvas.draw()

    assert texts_overlap(fig) == []
    texts = _texts(fig)
    for row in result.data.abc:
        if row.key:
            assert row.key in texts
    clients = "клієнтів" if locale == "uk" else "clients"
    for row in [*result.data.abc, *result.data.xyz]:
        if row.key:  # every class says how many clients it has
            assert any(text.startswith(f"{clients}: {row.clients} (") for text in texts), row
    if locale == "uk":
        assert "ABC: частка обсягу" in texts

    png = render_chart(get_report("abc-xyz"), result, locale)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width == 900


async def test_without_a_classification_the_chart_says_so(db, frozen_clock):
    result = await run_report("abc-xyz", ReportParams())
    fig = abc_xyz_figure(result, "uk")
    assert gettext("No classification yet", "uk") in _texts(fig)
    assert texts_overlap(fig) == []


def test_execution_labels_end_before_the_bars():
    totals = SimpleNamespace(ordered_minor=8_100_000_00, invoiced_minor=8_000_000_00,
                             shipped_minor=7_000_000_00, paid_minor=5_000_000_00)
    data = SimpleNamespace(
        date_from=dt.date(2026, 6, 1),
        date_to=dt.date(2026, 11, 27), deals_count=90, totals=totals,
        health_counts={"ok": 80, "watch": 6, "attention": 4}, currency="UAH",
    )
    fig = execution_figure(SimpleNamespace(data=data), "uk")
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    label_right = max(t.get_window_extent(renderer).x1 for t in ax.texts if t.get_ha() == "left")
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert bars and all(p.get_window_extent(renderer).x0 > label_right for p in bars)
    assert texts_overlap(fig) == []
