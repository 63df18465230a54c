from __future__ import annotations

from operator import itemgetter
from typing import Any

from aiogram.enums import ContentType
from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.input import MessageInput, TextInput
from aiogram_dialog.widgets.kbd import Button, Cancel, Column, Group, Row, Select, Start, SwitchTo
from aiogram_dialog.widgets.text import Format

from bot.dialogs import ORDER, MenuEntry
from bot.dialogs.log_interaction.common import on_not_text
from bot.dialogs.settings import handlers as h
from bot.dialogs.settings.getters import (
    digest_getter,
    digests_getter,
    hours_getter,
    languages_getter,
    minutes_getter,
    settings_getter,
    time_confirm_getter,
    timezones_getter,
    weekdays_getter,
)
from bot.dialogs.settings.handlers import on_language_selected, on_timezone_selected
from bot.dialogs.states import DigestSettingsSG, SettingsSG
from bot.dialogs.widgets import Tr, TrFormat, back_text, nav, pick
from core.i18n import N_

MENU_ENTRIES = (
    MenuEntry(id="settings", title=N_("Settings"), state=SettingsSG.MAIN, order=ORDER["settings"]),
)


def build_dialogs() -> list[Dialog]:
    return [
        Dialog(
            Window(
                TrFormat(N_("<b>Settings</b>\nLanguage: {language}\nTime zone: {timezone}")),
                Row(
                    SwitchTo(
                        Tr(N_("Language"), prefix="🌐 "), id="lang", state=SettingsSG.LANGUAGE
                    ),
                    SwitchTo(Tr(N_("Time zone"), prefix="🕒 "), id="tz", state=SettingsSG.TIMEZONE),
                ),
                Start(
                    Tr(N_("Digests and reminders"), prefix="🔔 "),
                    id="digests",
                    state=DigestSettingsSG.LIST,
                ),
                nav(),
                state=SettingsSG.MAIN,
                getter=settings_getter,
            ),
            Window(
                Tr(N_("Choose the language of the bot:")),
                Column(
                    Select(
                        Format("{item[mark]}{item[name]}"),
                        id="lang_pick",
                        item_id_getter=itemgetter("code"),
                        items="languages",
                        on_click=on_language_selected,
                    )
                ),
                nav(SettingsSG.MAIN),
                state=SettingsSG.LANGUAGE,
                getter=languages_getter,
            ),
            Window(
                Tr(N_("Choose your time zone:")),
                Column(
                    Select(
                        Format("{item[mark]}{item[label]}"),
                        id="tz_pick",
                        item_id_getter=itemgetter("zone"),
                        items="zones",
                        on_click=on_timezone_selected,
                    )
                ),
                nav(SettingsSG.MAIN),
                state=SettingsSG.TIMEZONE,
                getter=timezones_getter,
            ),
        ),
        _digests_dialog(),
    ]


# --- digests and reminders ------------------------------------------------------------------------


def _leave_time(state: Any) -> Row:
    """Back from the time or weekday screens (their refusal is not carried along), Main menu."""
    return nav(SwitchTo(back_text(), id="back", state=state, on_click=h.on_leave_time))


def _pick(items: str, widget_id: str, on_click: Any, width: int) -> Group:
    return Group(pick(items, widget_id, on_click, label="{item[name]}"), width=width)


def _digests_dialog() -> Dialog:
    return Dialog(
        Window(
            Tr(N_("<b>Digests and reminders</b>")),
            TrFormat(N_("Figures in your digests: your team, {team}."), when="scope_team"),
            Tr(N_("Figures in your digests: the whole company."), when="scope_company"),
            Tr(N_("Figures in your digests: your own deals."), when="scope_own"),
            Tr(N_("🔔 on, 🔕 muted. Tap one to change it.")),
            Format("{notice}", when="has_notice"),
            Column(
                Select(
                    Format("{item[label]}"),
                    id="dg",
                    item_id_getter=itemgetter("code"),
                    items="digests",
                    on_click=h.on_digest_selected,
                )
            ),
            nav(Cancel(back_text(), id="back")),
            state=DigestSettingsSG.LIST,
            getter=digests_getter,
        ),
        Window(
            Format("{mark} <b>{title}</b>"),
            Tr(N_("State: on"), when="on"),
            Tr(N_("State: muted"), when="muted"),
            TrFormat(N_("Time: {time} ({timezone})"), when="timed"),
            TrFormat(N_("Day of the week: {weekday}"), when="weekly"),
            Tr(N_("Sent when it happens, at no fixed time."), when="event"),
            Tr(N_("This is the default for your role."), when="default"),
            Tr(N_("This is your own setting."), when="customised"),
            Format("{notice}", when="has_notice"),
            Button(Tr(N_("Mute"), prefix="🔕 "), id="mute", on_click=h.on_mute, when="on"),
            Button(Tr(N_("Unmute"), prefix="🔔 "), id="unmute", on_click=h.on_unmute, when="muted"),
            Row(
                SwitchTo(
                    Tr(N_("Time"), prefix="🕒 "),
                    id="time",
                    state=DigestSettingsSG.HOUR,
                    when="timed",
                ),
                SwitchTo(
                    Tr(N_("Day of the week"), prefix="📅 "),
                    id="weekday",
                    state=DigestSettingsSG.WEEKDAY,
                    when="weekly",
                ),
            ),
            Button(
                Tr(N_("Back to default"), prefix="↩️ "),
                id="reset",
                on_click=h.on_reset,
                when="customised",
            ),
            nav(DigestSettingsSG.LIST),
            state=DigestSettingsSG.DIGEST,
            getter=digest_getter,
        ),
        Window(
            TrFormat(N_("<b>{title}</b>: now at {time}.")),
            Tr(N_("Choose the hour, or type the time (e.g. 07:45).")),
            Format("{error}", when="has_error"),
            _pick("hours", "hour", h.on_hour_selected, width=6),
            TextInput(id="time_typed", on_success=h.on_time_typed),
            MessageInput(on_not_text, content_types=[ContentType.ANY]),
            _leave_time(DigestSettingsSG.DIGEST),
            state=DigestSettingsSG.HOUR,
            getter=hours_getter,
        ),
        Window(
            TrFormat(N_("{hour}:__ — and the minutes?")),
            _pick("minutes", "minute", h.on_minute_selected, width=4),
            nav(DigestSettingsSG.HOUR),
            state=DigestSettingsSG.MINUTE,
            getter=minutes_getter,
        ),
        Window(
            TrFormat(N_("Send «{title}» at {time}?")),
            Button(Tr(N_("Save"), prefix="✅ "), id="save", on_click=h.on_time_confirmed),
            nav(DigestSettingsSG.HOUR),
            state=DigestSettingsSG.TIME_CONFIRM,
            getter=time_confirm_getter,
        ),
        Window(
            TrFormat(N_("<b>{title}</b>: on which day of the week?")),
            Format("{error}", when="has_error"),
            _pick("weekdays", "wd", h.on_weekday_selected, width=2),
            _leave_time(DigestSettingsSG.DIGEST),
            state=DigestSettingsSG.WEEKDAY,
            getter=weekdays_getter,
        ),
    )
