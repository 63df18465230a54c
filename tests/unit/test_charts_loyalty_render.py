"""The loyalty chart renders phone-sized PNGs with and without classification history."""

import datetime as dt
import struct

from charts.loyalty import loyalty_png
from services.analytics import ReportResult, make_period
from services.analytics.loyalty import LoyaltyData, StagePoint


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def loyalty(points: int) -> ReportResult:
    data = LoyaltyData("revenue", "adaptive", dt.date(2026, 9, 1), dt.date(2026, 10, 31))
    data.points = [
        StagePoint(
            f"r{i}",
            dt.date(2026, i, 28),
            potential=5,
            one_time=10 + i,
            regular_x=8,
            regular_y=4 + i,
            lost=i,
        )
        for i in range(1, points + 1)
    ]
    data.end = [[0, 1, 5], [8, 7, 10], [20, 5, 3]]
    data.start = [[1, 1, 7], [8, 8, 14], [14, 2, 4]]
    data.first_buyers = 2
    return ReportResult("loyalty", make_period(data.date_from, data.date_to), data=data)


def test_renders_history_and_grid_in_both_languages():
    for points in (1, 6, 12):
        for locale in ("uk", "en"):
            assert png_size(loyalty_png(loyalty(points), locale)) == (1080, 1650)
    assert loyalty_png(loyalty(3), "uk") != loyalty_png(loyalty(4), "uk")


def test_renders_without_classifications_or_buyers():
    data = LoyaltyData("revenue", "adaptive", dt.date(2025, 1, 1), dt.date(2025, 6, 30))
    result = ReportResult("loyalty", make_period(data.date_from, data.date_to), data=data)
    assert png_size(loyalty_png(result, "uk")) == (1080, 1650)
