"""aiogram-dialog's Calendar in the user's language and time zone, on `core.clock`.

The stock widget reads the wall clock and names months and weekdays in the process locale;
this one opens on today in the employee's zone (a frozen test clock included), marks that day,
names months and weekdays with Babel in the user's language and starts weeks on Monday.
Days before `min_date` are blank (whole weeks of them left out); a press on one anyway (an old
keyboard after midnight, forged data) still reaches `on_click`, which must refuse it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from aiogram_dialog.api.protocols import DialogManager
from aiogram_dialog.widgets.kbd import Calendar
from aiogram_dialog.widgets.kbd.calendar_kbd import (
    CalendarDaysView,
    CalendarMonthView,
    CalendarScope,
    CalendarScopeView,
    CalendarUserConfig,
    CalendarYearsView,
)
from aiogram_dialog.widgets.text import Text
from babel.dates import format_date

from bot.dialogs.widgets import locale_of

DayBounds = Callable[[DialogManager], tuple[dt.date, dt.date]]


class BabelDate(Text):
    """`data["date"]` in a Babel pattern of the user's language ("LLLL y": "листопад 2026")."""

    def __init__(self, pattern: str, *, template: str = "{}") -> None:
        super().__init__()
        self.pattern, self.template = pattern, template

    async def _render_text(self, data: dict[str, Any], manager: DialogManager) -> str:
        text = format_date(data["date"], self.pattern, locale=locale_of(manager))
        return self.template.format(text)


class DayNumber(Text):
    """The day of the month; today (in the employee's zone) in brackets."""

    def __init__(self, today: Callable[[DialogManager], dt.date]) -> None:
        super().__init__()
        self.today = today

    async def _render_text(self, data: dict[str, Any], manager: DialogManager) -> str:
        day: dt.date = data["date"]
        return f"[{day.day}]" if day == self.today(manager) else str(day.day)


class LocalCalendar(Calendar):
    """`bounds(manager)` gives (first, last) selectable day; the first is also where it opens."""

    def __init__(self, id: str, bounds: DayBounds, on_click: Any = None) -> None:
        self.bounds = bounds
        super().__init__(id=id, on_click=on_click)

    def _today(self, manager: DialogManager) -> dt.date:
        return self.bounds(manager)[0]

    def _init_views(self) -> dict[CalendarScope, CalendarScopeView]:
        day = DayNumber(self._today)
        return {
            CalendarScope.DAYS: CalendarDaysView(
                self._item_callback_data,
                date_text=day,
                today_text=day,
                weekday_text=BabelDate("EEEEEE"),
                header_text=BabelDate("LLLL y", template="🗓 {}"),
                prev_month_text=BabelDate("LLL", template="« {}"),
                next_month_text=BabelDate("LLL", template="{} »"),
            ),
            CalendarScope.MONTHS: CalendarMonthView(
                self._item_callback_data,
                month_text=BabelDate("LLL"),
                this_month_text=BabelDate("LLL", template="[{}]"),
            ),
            CalendarScope.YEARS: CalendarYearsView(self._item_callback_data),
        }

    async def _get_user_config(self, data: dict, manager: DialogManager) -> CalendarUserConfig:
        first, last = self.bounds(manager)
        return CalendarUserConfig(firstweekday=0, min_date=first, max_date=last)

    async def _render_keyboard(self, data: dict, manager: DialogManager) -> Any:
        if self.get_offset(manager) is None:
            self.set_offset(self._today(manager), manager)
        rows = await super()._render_keyboard(data, manager)
        return [row for row in rows if not all(_blank(button) for button in row)]


def _blank(button: Any) -> bool:
    """A day outside the selectable range (a week wholly in the past is left out)."""
    return not button.callback_data and not button.text.strip()
