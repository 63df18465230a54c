"""The claims chart: months, satisfaction by cause and culprits, readable on a phone."""

from __future__ import annotations

import datetime as dt
import io
import warnings

import pytest
from PIL import Image

from charts.claims import claims_figure, claims_png
from charts.common import texts_overlap
from services.analytics.claims import (
    OTHER_DEPARTMENTS,
    CauseRow,
    ClaimsData,
    MonthRow,
    TopRow,
)
from services.analytics.common import Name, ReportResult, add_months, make_period

D = dt.date


def claims_result(months: int = 6, overdue: int = 4, causes: int = 9) -> ReportResult:
    period = make_period(D(2026, 6, 1), add_months(D(2026, 6, 1), months) - dt.timedelta(days=1))
    rows = tuple(
        MonthRow(add_months(D(2026, 6, 1), i), 10 + i % 4 * 7, 8 + i % 3, 5 + i % 2, 3, 12 - i % 5)
        for i in range(months)
    )
    cause_rows = tuple(
        CauseRow(i, Name(f"Причина претензії з дуже довгою назвою номер {i}", f"Cause {i}"),
                 20 - 2 * (i // 2), 10 - i // 2, 5, 5 - i // 2, (10 - i // 2) / (15 - i // 2),
                 100_000_00, 50_000_00, 3.5, 15 - i, 2)
        for i in range(causes)
    )  # fmt: skip
    culprits = (
        TopRow("Склад", "Склад", 9, 0.4), TopRow("Логістика", "Логістика", 6, 0.25),
        TopRow("Відділ закупівель і постачання товарів", "Відділ закупівель і постачання товарів",
               4, 0.15),
        TopRow(None, OTHER_DEPARTMENTS, 5, 0.2),
    )  # fmt: skip
    data = ClaimsData(
        period.date_from, period.date_to, "UAH", period.end, sum(c.registered for c in cause_rows),
        40, 20, 30, 900_000_00, 300_000_00, 60, 12, 3, overdue, rows, cause_rows, (), culprits,
        (), (),
    )  # fmt: skip
    return ReportResult("claims", period, data=data)


@pytest.mark.parametrize("locale", ["uk", "en"])
def test_claims_chart_shows_months_causes_and_culprits(locale):
    result = claims_result()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = claims_figure(result, locale)
        assert texts_overlap(fig) == []
        png = claims_png(result, locale)
    assert Image.open(io.BytesIO(png)).size[0] == 900
    texts = [t.get_text() for ax in fig.axes for t in ax.texts] + [t.get_text() for t in fig.texts]
    # Six months, each labelled; six causes at most (the biggest first); culprits without "other".
    assert sum(1 for t in texts if t.endswith(".26")) == 6
    causes = [t for t in texts if t.startswith(("Причина", "Cause "))]
    assert len(causes) == 6 and causes[0].startswith(("Причина", "Cause 0"))
    # Long names are cut to fit beside the figures.
    assert all(t.endswith("…") for t in causes) == (locale == "uk")
    assert "Склад" in texts and "Логістика" in texts
    assert not any("Other" in t or "Інші" in t for t in texts)
    assert sum(1 for t in fig.texts if t.get_text().endswith(": 4")) == 1  # overdue, in red


def test_a_long_period_shows_the_last_twelve_months_without_collisions():
    result = claims_result(months=24, overdue=0)
    fig = claims_figure(result, "uk")
    assert texts_overlap(fig) == []
    labels = [t.get_text() for ax in fig.axes for t in ax.texts if t.get_text()[-3:-2] == "."]
    assert labels[-1] == "05.28" and labels[0] >= "06.27"
    assert all(t.get_text() != "Past the response time: 0" for t in fig.texts)


def test_claims_chart_of_a_quiet_period():
    result = claims_result()
    data = result.data
    result.data = ClaimsData(
        data.date_from, data.date_to, "UAH", data.as_of, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        tuple(MonthRow(m.month, 0, 0, 0, 0, 0) for m in data.months), (), (), (), (), ())
    fig = claims_figure(result, "en")
    assert "No data for this period" in [t.get_text() for t in fig.texts]
