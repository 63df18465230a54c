"""The lost-deals chart: reasons, stages and competitors readable on a phone."""

from __future__ import annotations

import datetime as dt
import io
import warnings

import pytest
from PIL import Image

from charts.common import figure, texts_overlap
from charts.lost import lost_figure, lost_png
from services.analytics.common import Msg, Name, ReportResult, make_period
from services.analytics.lost import CompetitorRow, LossStage, LostData, ReasonTotal

D = dt.date


def lost_result(total: int = 60) -> ReportResult:
    period = make_period(D(2026, 1, 1), D(2026, 3, 31))
    reasons = (
        *(ReasonTotal(i, Name(f"Причина програшу з довгою назвою номер {i}", f"Reason {i}"),
                      10 - i, (10 - i) * 1_500_000_00, (10 - i) / total) for i in range(7)),
        ReasonTotal(None, Msg("No reason given"), 1, 100_00, 1 / total),
    )
    stages = tuple(LossStage(i, Name("Продаж", "Sale"), Name(f"Етап {i}", f"Stage {i}"), 5 - i,
                             1_000_00 * i) for i in range(5))
    rivals = (CompetitorRow(1, "ТОВ «Конкурент-Агро»", 8, 5, 3, 5 / 8, 2_000_000_00),
              CompetitorRow(2, "ПП «Інший»", 4, 0, 4, 0.0, 0))
    data = LostData(period.date_from, period.date_to, "UAH", total, 99_000_000_00, reasons,
                    (), (), rivals, stages)
    return ReportResult("lost", period, data=data)


@pytest.mark.parametrize("locale", ["uk", "en"])
def test_lost_chart_reasons_stages_competitors(locale):
    result = lost_result()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = lost_figure(result, locale)
        assert texts_overlap(fig) == []
        png = lost_png(result, locale)
    assert Image.open(io.BytesIO(png)).size[0] == 900
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    # At most six reasons, the largest first; competitors that never beat us are left out.
    assert sum(1 for t in texts if t.startswith(("Причина", "Reason"))) == 6
    assert "ТОВ «Конкурент-Агро»" in texts
    assert "ПП «Інший»" not in texts


def test_lost_chart_of_a_quiet_period():
    empty = lost_result()
    empty.data = LostData(empty.data.date_from, empty.data.date_to, "UAH", 0, 0, (), (), (),
                          (), ())
    fig = lost_figure(empty, "en")
    assert "No data for this period" in [t.get_text() for t in fig.texts]


def test_overlap_check_does_see_colliding_labels():
    fig = figure(2)
    fig.text(0.1, 0.5, "Первинний контакт", fontsize=20)
    fig.text(0.15, 0.5, "Кваліфікація", fontsize=20)
    assert texts_overlap(fig) == [("Первинний контакт", "Кваліфікація")]


def test_longer_translations_still_do_not_collide(monkeypatch):
    import charts.common
    import charts.lost

    def longer(message: str, locale: str = "uk") -> str:
        return message + " " + "ї" * (len(message) // 2)

    monkeypatch.setattr(charts.lost, "gettext", longer)
    monkeypatch.setattr(charts.common, "gettext", longer)
    assert texts_overlap(lost_figure(lost_result(), "uk")) == []
