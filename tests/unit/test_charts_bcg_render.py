"""The BCG chart renders phone-sized PNGs for real and empty matrices."""

import datetime as dt
import struct

from charts.bcg import bcg_png
from services.analytics import ReportResult, make_period
from services.analytics.bcg import BcgCell, BcgData, QuadrantTotal, quadrant_of


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def matrix(counts: dict[str, int], previous: bool = True) -> ReportResult:
    cells = [
        BcgCell(a, x, quadrant_of(a, x), counts.get(a + x, 0), counts.get(a + x, 0) * 123_456_78)
        for a in "ABC"
        for x in "XYZ"
    ]
    data = BcgData(
        "revenue",
        "adaptive",
        "revenue",
        "r2",
        "r1" if previous else None,
        dt.date(2026, 8, 1),
        dt.date(2026, 10, 31),
        cells=cells,
        quadrants=[QuadrantTotal(q, 0, 0) for q in ("stars", "cows", "dogs", "questions")],
        lost=4,
        potential=12,
        into_cows=3,
        out_of_cows=1,
    )
    return ReportResult("bcg", make_period(data.period_from, data.period_to), data=data)


def test_renders_a_full_matrix_in_both_languages():
    result = matrix({"AX": 11, "AY": 5, "AZ": 1, "BX": 4, "BY": 3, "BZ": 5, "CY": 4, "CZ": 140})
    uk, en = bcg_png(result, "uk"), bcg_png(result, "en")
    assert png_size(uk) == (1080, 1320)
    assert png_size(en) == (1080, 1320)
    assert uk != en
    # Other figures give another picture.
    assert bcg_png(matrix({"AX": 12}), "uk") != bcg_png(matrix({"AX": 13}), "uk")


def test_renders_without_a_classification():
    data = BcgData(
        "revenue",
        "adaptive",
        "revenue",
        None,
        None,
        None,
        None,
        cells=[BcgCell(a, x, quadrant_of(a, x), 0, 0) for a in "ABC" for x in "XYZ"],
    )
    result = ReportResult("bcg", make_period(dt.date(2026, 9, 1), dt.date(2026, 11, 26)), data=data)
    assert png_size(bcg_png(result, "uk")) == (1080, 1320)
