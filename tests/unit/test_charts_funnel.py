"""The funnel and forecast charts: PNGs a phone can read, Cyrillic without missing glyphs,
no label on top of another, an empty period says so."""

from __future__ import annotations

import datetime as dt
import io
import warnings

import pytest
from PIL import Image

from charts.common import texts_overlap
from charts.funnel import forecast_figure, forecast_png, funnel_figure, funnel_png
from services.analytics.common import ReportResult, make_period
from services.analytics.forecast import Cases, ForecastData, ForecastMonth
from services.analytics.funnel import FunnelData, FunnelKind, FunnelStage, Name

D = dt.date
LONG = "Погодження умов постачання і оплати з головним інженером"


def stage(i: int, reached: int, passed: int, lost: int, flags=(), name=None) -> FunnelStage:
    return FunnelStage(
        stage_id=i, code=f"s{i}", name=Name(name or f"Етап «Кваліфікація» {i}", f"Stage {i}"),
        order=i * 10, planned_days=3, reached=reached, passed=passed, lost=lost,
        current=reached - passed - lost, lost_minor=lost * 123_456_78,
        conversion=passed / (passed + lost) if passed + lost else None,
        cumulative=0.5, avg_days=4.25 if "over_plan" in flags else 2.0, flags=tuple(flags),
    )


def funnel_result(kinds) -> ReportResult:
    period = make_period(D(2026, 9, 1), D(2026, 11, 30))
    return ReportResult("funnel", period, data=FunnelData(period.date_from, period.date_to,
                                                          "UAH", tuple(kinds)))


def two_kinds() -> ReportResult:
    sale = FunnelKind(1, "sale", Name("Типовий продаж", "Typical sale"), (
        stage(1, 1200, 1000, 200, ("largest_lost",)),
        stage(2, 1000, 700, 250, ("lowest_pass_rate", "over_plan"), name=LONG),
        stage(3, 700, 650, 20),
        stage(4, 650, 640, 5, ("over_plan",)),
        stage(5, 3, 0, 0),
    ))
    project = FunnelKind(2, "project", Name("Проєктний продаж", "Project sale"), (
        stage(6, 40, 30, 10), stage(7, 30, 12, 3, ("lowest_pass_rate",)),
    ))
    return funnel_result([sale, project])


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return Image.open(io.BytesIO(data)).size


@pytest.mark.parametrize("locale", ["uk", "en"])
def test_funnel_chart_is_phone_sized_with_every_label_clear(locale):
    result = two_kinds()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing Cyrillic glyph is a warning
        fig = funnel_figure(result, locale)
        assert texts_overlap(fig) == []
        width, height = png_size(funnel_png(result, locale))
    assert width == 900 and height > width  # portrait: scrolls on a phone
    texts = [t.get_text() for t in fig.texts + [x for ax in fig.axes for x in ax.texts]]
    assert any("1200 → 1000" in t for t in texts)
    if locale == "uk":  # the long name is cut, not spilled over the days on its right
        assert any(t.startswith("Погодження умов") and t.endswith("…") for t in texts)


def test_funnel_chart_grows_with_stages():
    one = funnel_result([FunnelKind(1, "sale", Name("Продаж", "Sale"), (stage(1, 5, 4, 1),))])
    assert png_size(funnel_png(one, "uk"))[1] < png_size(funnel_png(two_kinds(), "uk"))[1]


def test_funnel_chart_of_an_empty_period_says_so():
    fig = funnel_figure(funnel_result([]), "en")
    assert "No data for this period" in [t.get_text() for t in fig.texts]
    assert png_size(funnel_png(funnel_result([]), "en"))[0] == 900


def forecast_result(months) -> ReportResult:
    period = make_period(D(2026, 11, 27), D(2027, 1, 31))
    data = ForecastData(
        today=D(2026, 11, 27), date_from=period.date_from, date_to=period.date_to,
        currency="UAH", threshold=50, total=Cases(), window=Cases(), months=tuple(months),
        stages=(), deals=(),
    )
    return ReportResult("forecast", period, data=data)


@pytest.mark.parametrize("locale", ["uk", "en"])
def test_forecast_chart_months_with_ranges(locale):
    months = [
        ForecastMonth(D(2026, 11 + i // 12, 1) if i < 2 else D(2027, i - 1, 1),
                      Cases(5, 10_000_000_00, 4_000_000_00 * (i + 1), 6_000_000_00 * (i + 1),
                            2_000_000_00 * (i + 1)))
        for i in range(8)
    ] + [ForecastMonth(None, Cases(2, 1_000_00, 500_00, 900_00, 0))]
    result = forecast_result(months)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = forecast_figure(result, locale)
        assert texts_overlap(fig) == []
        width, _ = png_size(forecast_png(result, locale))
    assert width == 900
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "11.2026" in texts and ("немає оцінки" in texts or "no estimate" in texts)


def test_forecast_chart_without_open_deals():
    fig = forecast_figure(forecast_result([]), "en")
    assert "No data for this period" in [t.get_text() for t in fig.texts]


def longer(message: str, locale: str = "uk") -> str:
    """A pseudo-translation half as long again (Ukrainian runs longer than English)."""
    return message + " " + "ї" * (len(message) // 2)


@pytest.mark.parametrize("build, result", [(funnel_figure, two_kinds),
                                           (forecast_figure, lambda: forecast_result([
                                               ForecastMonth(D(2026, 12, 1),
                                                             Cases(1, 10_00, 5_00, 9_00, 1_00)),
                                               ForecastMonth(None, Cases(1, 10_00, 5_00, 9_00,
                                                                         0))]))])
def test_longer_translations_still_do_not_collide(monkeypatch, build, result):
    import charts.common
    import charts.funnel

    monkeypatch.setattr(charts.funnel, "gettext", longer)
    monkeypatch.setattr(charts.common, "gettext", longer)
    assert texts_overlap(build(result(), "uk")) == []
