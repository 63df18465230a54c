"""How the history files write and read times and amounts, and the stage-log checks (pure)."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import ValidationFailed
from services.exchange_deals import (
    LogEntry,
    format_amount,
    format_moment,
    parse_amount,
    parse_moment,
    stage_log_violations,
)

UTC = dt.UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("16.11.2026 11:00:00", dt.datetime(2026, 11, 16, 9, 0, tzinfo=UTC)),  # Kyiv, winter
        ("16.11.2026 11:00", dt.datetime(2026, 11, 16, 9, 0, tzinfo=UTC)),
        ("1.7.2026 9:05", dt.datetime(2026, 7, 1, 6, 5, tzinfo=UTC)),  # Kyiv, summer
        ("16.11.2026", dt.datetime(2026, 11, 15, 22, 0, tzinfo=UTC)),  # midnight in Kyiv
        ("2026-11-16T09:00:00Z", dt.datetime(2026, 11, 16, 9, 0, tzinfo=UTC)),
        ("2026-11-16 11:00:00+02:00", dt.datetime(2026, 11, 16, 9, 0, tzinfo=UTC)),
        ("16/11/2026 11:00:59.750", dt.datetime(2026, 11, 16, 9, 0, 59, tzinfo=UTC)),
    ],
)
def test_times_are_read_as_kyiv_time_unless_they_carry_an_offset(text, expected):
    assert parse_moment(text, "started_at") == expected


@pytest.mark.parametrize(
    "text", ["31.02.2026", "16.11.26", "вчора", "16.11.2026 25:00", "1899-01-01"]
)
def test_what_is_not_a_time_is_refused_with_the_field(text):
    with pytest.raises(ValidationFailed) as caught:
        parse_moment(text, "entered_at")
    assert caught.value.params == {"field": "entered_at", "reason": "bad_moment"}


def test_the_hour_repeated_by_the_autumn_clock_change_survives_a_round_trip():
    first = dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 03:30 summer time in Kyiv
    second = dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 03:30 again, winter time

    written = [format_moment(first), format_moment(second)]

    assert written == ["25.10.2026 03:30:00 +03:00", "25.10.2026 03:30:00 +02:00"]
    assert [parse_moment(text, "left_at") for text in written] == [first, second]
    assert format_moment(dt.datetime(2026, 10, 25, 3, 0, tzinfo=UTC)) == "25.10.2026 05:00:00"


@pytest.mark.parametrize(
    ("text", "minor"),
    [
        ("1 234 567,89", 123456789),
        ("1234567.89", 123456789),
        ("1.234.567,89 грн", 123456789),
        ("1,234,567.89", 123456789),
        ("48\u00a0500,5", 4850050),
        ("125000", 12500000),
    ],
)
def test_amounts_are_read_in_the_usual_spellings(text, minor):
    assert parse_amount(text) == minor


@pytest.mark.parametrize(
    ("text", "reason"),
    [("1,234", "bad_number"), ("12,5,0", "bad_number"), ("-5", "negative"), ("сто", "bad_number")],
)
def test_ambiguous_or_wrong_amounts_are_refused(text, reason):
    with pytest.raises(ValidationFailed) as caught:
        parse_amount(text)
    assert caught.value.params["reason"] == reason


def test_amounts_are_written_exactly_with_the_locales_decimal_mark():
    assert format_amount(123456789, "uk") == "1234567,89"
    assert format_amount(5, "en") == "0.05"


def _at(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, tzinfo=UTC)


CODES = {1: "new", 2: "contact", 3: "proposal"}


def test_a_consistent_log_has_no_violations():
    log = [
        LogEntry(1, 0, _at(1), _at(2), "passed"),
        LogEntry(2, 1, _at(2), _at(2), "passed", skipped=True),
        LogEntry(3, 2, _at(2), None, "current"),
    ]
    assert stage_log_violations(log, status="open", stage_id=3, stage_codes=CODES) == []
    log[-1] = LogEntry(3, 2, _at(2), _at(5), "lost")
    assert stage_log_violations(log, status="lost", stage_id=3, stage_codes=CODES) == []


def test_every_broken_invariant_is_named():
    log = [
        LogEntry(1, 0, _at(3), _at(2), "current"),  # current but left, and left before entered
        LogEntry(2, 1, _at(2), None, "current", skipped=True),
        LogEntry(3, 2, _at(2), _at(4), "passed"),  # beyond the deal's stage
    ]

    found = {
        (v.entry.stage_id if v.entry else None, v.field, v.reason)
        for v in stage_log_violations(log, status="won", stage_id=2, stage_codes=CODES)
    }

    assert found == {
        (1, "left_at", "current_left"),
        (1, "left_at", "before_entered"),
        (1, "result", "must_be_passed"),
        (2, "skipped", "skipped_not_passed"),
        (2, "result", "wrong_final_result"),
        (3, "stage", "after_deal_stage"),
    }
    assert stage_log_violations(log[:1], status="open", stage_id=3, stage_codes=CODES)[
        -1
    ].reason == ("no_deal_stage_row")
