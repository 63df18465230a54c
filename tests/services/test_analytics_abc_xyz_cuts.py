"""The ABC/XYZ cuts on small examples checked by hand (reference §12)."""

import datetime as dt

import pytest

from core.errors import ValidationFailed
from models.base import RelationshipStage
from services.analytics.abc_xyz import (
    Method,
    cut_abc,
    cut_xyz,
    make_window,
    parse_basis,
    parse_months,
    stage_of,
    variation,
)


def test_adaptive_abc_matches_the_reference_example():
    # Cumulative shares 50, 70, 80, 88, 93, 97, 100; T = 575 / 8 = 71.875: 80 > T switches to
    # B with T = (80 + 88 + 93 + 97 + 100) / 5 = 91.6; 93 > 91.6 stops.
    assert cut_abc([50, 20, 10, 8, 5, 4, 3], Method.ADAPTIVE) == list("AABBCCC")


def test_adaptive_abc_scale_does_not_matter():
    kopiyky = [v * 100_00 for v in (50, 20, 10, 8, 5, 4, 3)]
    assert cut_abc(kopiyky, Method.ADAPTIVE) == list("AABBCCC")


def test_adaptive_abc_last_client_is_always_c_even_alone():
    assert cut_abc([1_000_00], Method.ADAPTIVE) == ["C"]
    assert cut_abc([5, 5], Method.ADAPTIVE) == ["A", "C"]
    assert cut_abc([], Method.ADAPTIVE) == []


def test_adaptive_abc_with_zero_and_negative_totals_follows_1c():
    # Σ = 0: every share stays 0, nothing exceeds T = 0, so all but the last stay A.
    assert cut_abc([0, 0, 0], Method.ADAPTIVE) == ["A", "A", "C"]
    # Σ = -15 (gross profit): shares -66.7, -33.3, 100; T = 0 / 4; neither -66.7 nor -33.3 > T.
    assert cut_abc([10, -5, -20], Method.ADAPTIVE) == ["A", "A", "C"]


def test_classic_abc_uses_the_share_of_the_clients_before():
    # Shares before each client: 0, 50, 70 (< 80: A), 80, 88, 93 (< 95: B), 97 (C).
    assert cut_abc([50, 20, 10, 8, 5, 4, 3], Method.CLASSIC) == list("AAABBBC")
    # A dominant client is A; a client with nothing positive is C.
    assert cut_abc([90, 10, 0, -3], Method.CLASSIC) == ["A", "B", "C", "C"]
    assert cut_abc([7], Method.CLASSIC) == ["A"]


def test_adaptive_xyz_puts_the_erratic_first():
    # CV shares 48.98, 73.47, 85.71, 93.88, 97.96, 100 (Σ 500); T = 500 / 7 = 71.43: 73.47
    # switches Z -> Y with T = 451.02 / 5 = 90.20; 93.88 > 90.20 stops: the rest are X.
    assert cut_xyz([120, 60, 30, 20, 10, 5], Method.ADAPTIVE) == list("ZYYXXX")
    assert cut_xyz([35.0], Method.ADAPTIVE) == ["X"]


def test_classic_xyz_bounds_are_10_and_25_percent_inclusive():
    assert cut_xyz([30.0, 25.0, 24.9, 10.01, 10.0, 0.0], Method.CLASSIC) == list("ZYYYXX")


def test_variation_counts_empty_months_as_zero():
    assert variation([100, 100, 100]) == 0
    # mean 100, deviations -100, -100, 200: √(60000 / 3) = 141.42 %
    assert variation([0, 0, 300]) == pytest.approx(141.4213562)
    assert variation([0, 0, 0]) == 0
    # A loss-making client is not "stable" because its mean is negative.
    assert variation([-100, -100, -50]) == pytest.approx(28.2842712)


def test_stage_follows_xyz():
    assert stage_of("X") is RelationshipStage.REGULAR
    assert stage_of("Y") is RelationshipStage.REGULAR
    assert stage_of("Z") is RelationshipStage.ONE_TIME
    assert stage_of("") is RelationshipStage.LOST


def test_window_is_whole_months_up_to_the_date():
    window = make_window(dt.date(2026, 10, 31), 3)
    assert (window.period_from, window.period_to) == (dt.date(2026, 8, 1), dt.date(2026, 10, 31))
    # Mid-month: the unfinished month is left out.
    window = make_window(dt.date(2026, 11, 15), 2, 1)
    assert (window.period_from, window.period_to) == (dt.date(2026, 9, 1), dt.date(2026, 10, 31))
    assert window.abc_from == dt.date(2026, 10, 1)
    # Across a year.
    window = make_window(dt.date(2026, 2, 28), 4)
    assert window.period_from == dt.date(2025, 11, 1)


def test_bad_parameters_name_the_field():
    with pytest.raises(ValidationFailed) as error:
        parse_basis("margin")
    assert error.value.params["field"] == "basis"
    with pytest.raises(ValidationFailed) as error:
        parse_months(0)
    assert error.value.params == {"field": "months", "reason": "out_of_range", "min": 1, "max": 36}
    with pytest.raises(ValidationFailed) as error:
        make_window(dt.date(2026, 10, 31), 2, 3)
    assert error.value.params["field"] == "abc_months"
