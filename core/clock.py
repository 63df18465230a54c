"""The only place that reads the current time, so tests can freeze it."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable

UTC = dt.UTC
_now: Callable[[], dt.datetime] = lambda: dt.datetime.now(tz=UTC)  # noqa: E731


def now() -> dt.datetime:
    """Aware UTC now."""
    return _now()


def today(tz: str = "Europe/Kyiv") -> dt.date:
    """Today's date in the given zone."""
    return now().astimezone(zoneinfo.ZoneInfo(tz)).date()


def freeze(moment: dt.datetime) -> None:
    """Tests: make `now()` return `moment` (must be aware)."""
    if moment.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    global _now
    _now = lambda: moment.astimezone(UTC)  # noqa: E731


def unfreeze() -> None:
    global _now
    _now = lambda: dt.datetime.now(tz=UTC)  # noqa: E731


def to_local(moment: dt.datetime, tz: str = "Europe/Kyiv") -> dt.datetime:
    return moment.astimezone(zoneinfo.ZoneInfo(tz))


class simulated:
    """Run a block as if it were `moment` (the demo seeder replays a year of history).

    Restores whatever clock was in force before, so it nests inside a frozen test clock.
    """

    def __init__(self, moment: dt.datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("simulated() needs an aware datetime")
        self.moment = moment

    def __enter__(self) -> dt.datetime:
        global _now
        self._previous = _now
        moment = self.moment.astimezone(UTC)
        _now = lambda: moment  # noqa: E731
        return moment

    def __exit__(self, *exc: object) -> None:
        global _now
        _now = self._previous
