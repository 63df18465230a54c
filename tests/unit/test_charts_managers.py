"""The managers' leaderboard and the execution overview charts."""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings

import pytest
from PIL import Image

from charts.common import texts_overlap
from charts.managers import execution_figure, execution_png, managers_figure, managers_png
from services.analytics.common import ReportResult, make_period
from services.analytics.managers import ManagerFigures, ManagerRow, ManagersData
from services.analytics.monitoring import ExecutionData, ExecutionTotals

D = dt.date


def managers_result(n: int) -> ReportResult:
    period = make_period(D(2026, 9, 1), D(2026, 11, 30))
    rows = tuple(
        ManagerRow(i, f"Олександра Костянтинівна Вербицька-{i}", "Київ",
                   ManagerFigures(sales_minor=(n - i) * 1_234_567_00, won=n - i, lost=i),
                   ManagerFigures(sales_minor=(i + 1) * 1_000_000_00))
        for i in range(n)
    )
    data = ManagersData(period.date_from, period.date_to, D(2026, 6, 1), D(2026, 8, 31),
                        "previous", "UAH", rows, ManagerFigures(), ManagerFigures())
    return ReportResult("managers", period, data=data)


@pytest.mark.parametrize("locale", ["uk", "en"])
def test_leaderboard_top_ten_with_change(locale):
    result = managers_result(14)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = managers_figure(result, locale)
        assert texts_overlap(fig) == []
        png = managers_png(result, locale)
    assert Image.open(io.BytesIO(png)).size[0] == 900
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    places = [t for t in texts if re.match(r"\d+\. ", t)]
    assert len(places) == 10 and places[0].startswith("1. ")
    assert any(t.startswith("▲") for t in texts) and any(t.startswith("▼") for t in texts)


def test_leaderboard_without_managers():
    fig = managers_figure(managers_result(0), "uk")
    assert len(fig.texts) >= 2  # the title, the period and the "no data" line


@pytest.mark.parametrize("locale", ["uk", "en"])
def test_execution_overview(locale):
    period = make_period(D(2026, 6, 1), D(2026, 11, 27))
    data = ExecutionData(period.date_from, period.date_to, D(2026, 11, 27), "UAH", 7, 14, 47,
                         ExecutionTotals(49_600_000_00, 49_600_000_00, 37_400_000_00,
                                         28_500_000_00),
                         {"attention": 28, "watch": 2, "ok": 17})
    result = ReportResult("execution", period, data=data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = execution_figure(result, locale)
        assert texts_overlap(fig) == []
        png = execution_png(result, locale)
    assert Image.open(io.BytesIO(png)).size[0] == 900
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any(t.endswith(": 28") for t in texts) and any(t.endswith(": 17") for t in texts)


def test_longer_translations_still_do_not_collide(monkeypatch):
    import charts.common
    import charts.managers

    def longer(message: str, locale: str = "uk") -> str:
        return message + " " + "ї" * (len(message) // 2)

    monkeypatch.setattr(charts.managers, "gettext", longer)
    monkeypatch.setattr(charts.common, "gettext", longer)
    assert texts_overlap(managers_figure(managers_result(12), "uk")) == []


def test_execution_with_longer_translations(monkeypatch):
    import charts.common
    import charts.managers

    def longer(message: str, locale: str = "uk") -> str:
        return message + " " + "ї" * (len(message) // 2)

    monkeypatch.setattr(charts.managers, "gettext", longer)
    monkeypatch.setattr(charts.common, "gettext", longer)
    period = make_period(D(2026, 6, 1), D(2026, 11, 27))
    data = ExecutionData(period.date_from, period.date_to, D(2026, 11, 27), "UAH", 7, 14, 3,
                         ExecutionTotals(1, 1, 1, 1), {"attention": 1, "watch": 1, "ok": 1})
    assert texts_overlap(execution_figure(ReportResult("execution", period, data=data),
                                          "uk")) == []
