"""Texts of the pushed digests and reminders (English msgids, translated at send time into the
recipient's language) and the small formatters they share: money `1 234 567,89 грн`, dates
`27.11.2026`, local times, signed changes. Every user-supplied string is HTML-escaped here."""

from __future__ import annotations

import datetime as dt
import html
import zoneinfo
from typing import Any

from core.i18n import N_, format_date, format_days, format_money, gettext, ngettext

MINUS = "\u2212"
NBSP = "\u00a0"
CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096

T = {
    # scopes
    "scope_company": N_("Whole company"),
    "scope_team": N_("Team: %(team)s"),
    "scope_own": N_("Your deals"),
    # funnel digest
    "funnel_daily": N_("📊 <b>Sales, %(date)s</b>"),
    "funnel_weekly": N_("📊 <b>Sales, week %(from)s – %(to)s</b>"),
    "compare_day": N_("In brackets: the change against the day before."),
    "compare_week": N_("In brackets: the change against the week before."),
    "new_deals": N_("New deals: %(count)s (%(change)s)"),
    "won": N_("Won: %(count)s for %(amount)s (%(change)s)"),
    "lost": N_("Lost: %(count)s for %(amount)s (%(change)s)"),
    "pipeline": N_("Weighted pipeline: %(amount)s (open deals: %(count)s)"),
    "bottleneck": N_("Bottleneck: %(stage)s, passes %(rate)s"),
    "no_bottleneck": N_("Bottleneck: none yet (too few decided deals)"),
    "chart_window": N_("The chart: the funnel of the last %(days)s days."),
    # claims digest
    "claims": N_("📮 <b>Claims, %(date)s</b>"),
    "claims_new": N_("New: %(count)s"),
    "claims_open": N_("Open: %(count)s (waiting: %(waiting)s, in processing: %(processing)s)"),
    "claims_overdue": N_("Overdue: %(count)s"),
    "claims_resolved": N_(
        "Resolved: %(count)s (satisfied: %(satisfied)s, not satisfied: %(not_satisfied)s)"
    ),
    "claims_causes": N_("Causes of the new claims:"),
    "bullet_count": N_("• %(name)s: %(count)s"),
    # lost deals digest
    "lost_weekly": N_("📉 <b>Lost deals, %(from)s – %(to)s</b>"),
    "lost_total": N_("Lost: %(count)s for %(amount)s (%(change)s against the week before)"),
    "lost_none": N_("No deals were lost this week."),
    "lost_reasons": N_("Reasons:"),
    "lost_reason": N_("• %(reason)s: %(count)s, %(amount)s"),
    "no_reason": N_("no reason given"),
    "lost_stage": N_("Lost most often at: %(stage)s (%(count)s)"),
    "lost_rival": N_("Toughest competitor: %(name)s, won %(won)s of %(met)s"),
    # classification digest
    "classes": N_("🔤 <b>Client classes (ABC/XYZ), %(from)s – %(to)s</b>"),
    "classes_changed": N_("Clients that changed class: %(count)s"),
    "class_move": N_("• %(name)s: %(before)s → %(after)s"),
    "class_none": N_("none"),
    "more": N_("… and %(count)s more"),
    # reminders
    "task_soon": N_("⏰ <b>Task due at %(time)s</b>"),
    "task_overdue": N_("❗ <b>Task overdue</b> (due %(time)s)"),
    "deal_line": N_("Deal %(number)s · %(title)s"),
    "partner_line": N_("Client: %(name)s"),
    "call_at": N_("📞 <b>Call at %(time)s</b>"),
    "meeting_at": N_("🤝 <b>Meeting at %(time)s</b>"),
    "contact_at": N_("📅 <b>Planned contact at %(time)s</b>"),
    "rotting": N_("💤 <b>No activity on the deal for %(days)s</b>"),
    "rotting_stage": N_("Stage: %(stage)s (at most %(limit)s without activity)"),
    "potential": N_("Potential: %(amount)s"),
    "birthdays": N_("🎂 <b>Birthdays today</b>"),
    "birthday_line": N_("• %(name)s, %(position)s (%(partner)s)"),
    "birthday_line_short": N_("• %(name)s (%(partner)s)"),
    "cadence": N_("📇 <b>Time to contact %(partner)s</b>"),
    "cadence_last": N_("Last contact: %(date)s (%(days)s ago); agreed: every %(cadence)s"),
    "cadence_never": N_("No contact yet; agreed: every %(cadence)s"),
    # my day
    "my_day": N_("☀️ <b>Your day, %(date)s</b>"),
    "my_day_meetings": N_("Calls and meetings:"),
    "my_day_task": N_("• %(time)s %(title)s"),
    "my_day_meeting": N_("• %(time)s %(icon)s %(subject)s"),
    "my_day_birthdays": N_("🎂 Birthdays: %(names)s"),
    # buttons
    "btn_done": N_("✅ Done"),
    "btn_open": N_("Open"),
    "btn_snooze_hour": N_("⏰ In an hour"),
    "btn_snooze_minutes": N_("⏰ In %(minutes)s min"),
    "btn_log_call": N_("📞 Log a call"),
    "btn_snooze_days": N_("💤 Snooze %(days)s d"),
    "btn_lost": N_("✖ Mark lost"),
}


def tr(key: str, locale: str, **params: Any) -> str:
    """The text `key` of `T` in `locale`, with `params` (already formatted and escaped)."""
    template = gettext(T[key], locale)
    return template % params if params else template


def tasks_today(count: int, locale: str) -> str:
    return ngettext("%(count)s task for today:", "%(count)s tasks for today:", count, locale) % {
        "count": count
    }


def tasks_overdue(count: int, locale: str) -> str:
    return ngettext("❗ %(count)s overdue task", "❗ %(count)s overdue tasks", count, locale) % {
        "count": count
    }


def deals_idle(count: int, locale: str) -> str:
    return ngettext(
        "💤 %(count)s deal without activity", "💤 %(count)s deals without activity", count, locale
    ) % {"count": count}


def days(n: int, locale: str) -> str:
    """'1 день', '3 дні', '5 днів'."""
    return format_days(n, locale)


def esc(text: object) -> str:
    return html.escape(str(text or ""), quote=False)


def money(minor: int, currency: str, locale: str) -> str:
    return format_money(int(minor), currency or "UAH", locale)


def date(day: dt.date, locale: str) -> str:
    return format_date(day, locale)


def signed(value: int, locale: str) -> str:
    """+3, −2, ±0."""
    if value > 0:
        return f"+{value}"
    if value < 0:
        return f"{MINUS}{-value}"
    return "±0"


def signed_money(minor: int, currency: str, locale: str) -> str:
    if minor == 0:
        return "±0"
    text = money(abs(minor), currency, locale)
    return ("+" if minor > 0 else MINUS) + text


def local(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    return moment.astimezone(zone)


def clock_time(moment: dt.datetime, zone: zoneinfo.ZoneInfo, today: dt.date | None = None) -> str:
    """'10:30' today, '28.11.2026 10:30' on another day (local time)."""
    value = moment.astimezone(zone)
    if today is not None and value.date() != today:
        return value.strftime("%d.%m.%Y %H:%M")
    return value.strftime("%H:%M")


def visible_length(text: str) -> int:
    """Characters Telegram counts (tags left out, entities as one)."""
    import re

    plain = re.sub(r"<[^>]+>", "", text)
    return len(html.unescape(plain))


def fit(lines: list[str], limit: int) -> str:
    """Join lines, dropping the last ones (but keeping the first) until it fits `limit`."""
    kept = list(lines)
    while len(kept) > 1 and visible_length("\n".join(kept)) > limit:
        kept.pop()
    return "\n".join(kept)
