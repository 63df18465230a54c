"""What My deals and the deal card share: labels, error sentences, notices, navigation.

- `error_text(err, locale)` says a `DomainError` in the user's language (the services this
  module imports register the texts of their codes with `core.i18n.register_messages`).
- `set_notice()` keeps one line (already escaped HTML) in dialog data for the next window to
  show above its text: a refusal, "done", or "the deal has changed, reload". Errors are shown in
  the window rather than as pop-ups, so every button press is answered exactly once.
- `tr(locale, msgid, **params)` translates and fills `%(name)s` with escaped values.
"""

from __future__ import annotations

from typing import Any

from aiogram_dialog import DialogManager

# acting, as_id, locale_of and the navigation are shared with the other dialogs; the deal card
# and claims import them from here.
from bot.dialogs.log_interaction.common import acting as acting
from bot.dialogs.log_interaction.common import as_id as as_id
from bot.dialogs.widgets import back_text as back_text
from bot.dialogs.widgets import home_button as home_button
from bot.dialogs.widgets import locale_of as locale_of
from bot.dialogs.widgets import nav as nav
from bot.texts.helpers import Html, escape
from core import i18n as core_i18n
from core.errors import DomainError
from core.i18n import N_, gettext
from services import deal_card, environment, i18n_extra_pipeline, probability

NOTICE_KEY = "notice"
ERROR_KEY = "error"

STATUS_NAMES = {"open": N_("In progress"), "won": N_("Won"), "lost": N_("Lost")}
STATUS_MARKS = {"open": "🟢", "won": "🏆", "lost": "⚫"}
CONTROL_NAMES = {
    "manual": N_("stages moved by hand"),
    "guided": N_("guided by tasks"),
    "none": N_("without stages"),
}
ROLE_NAMES = {
    "client": N_("Client"),
    "competitor": N_("Competitor"),
    "subcontractor": N_("Subcontractor"),
    "influencer": N_("Influencer"),
    "decision_maker": N_("Decision maker"),
    "other": N_("Other"),
}
ATTITUDE_NAMES = {
    "supporter": N_("Supporter"),
    "neutral": N_("Neutral"),
    "opponent": N_("Opponent"),
}
DOC_KIND_MARKS = {"regulation": "📘", "instruction": "📗", "template": "📄", "other": "📎"}


# --- translation ---------------------------------------------------------------------------------


def tr(locale: str, msgid: str, **params: Any) -> Html:
    """The translated msgid with `%(name)s` filled by escaped values (Html values kept)."""
    template = gettext(msgid, locale)  # msgids are ours: they may hold <b> tags
    if not params:
        return Html(template)
    values = {k: escape(v) if isinstance(v, str) else v for k, v in params.items()}
    try:
        return Html(template % values)
    except (KeyError, TypeError, ValueError):
        return Html(template)


def local_name(uk: str | None, en: str | None, locale: str) -> str:
    """A name stored in both languages (kinds, stages, loss reasons), in the user's one."""
    return str((en if locale == "en" else uk) or uk or en or "")


def short(text: str | None, limit: int = 60) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# Importing these services registers the texts of the codes they raise (`register_messages`).
TEXTS_OF = (deal_card, environment, i18n_extra_pipeline, probability)


def error_text(error: DomainError, locale: str) -> str:
    """One sentence in the user's language (plain text: escape it before HTML); a missing exit
    check is named in words."""
    return core_i18n.translate_error(error, locale)


# --- notices and input errors ---------------------------------------------------------------------


def set_notice(manager: DialogManager, text: str, *, mark: str = "✅") -> None:
    """One line for the next window (escaped here)."""
    manager.dialog_data[NOTICE_KEY] = f"{mark} {escape(text)}" if mark else str(escape(text))


def notice_error(manager: DialogManager, error: DomainError) -> None:
    set_notice(manager, error_text(error, locale_of(manager)), mark="⚠️")


def pop_notice(manager: DialogManager) -> Html:
    return Html(manager.dialog_data.pop(NOTICE_KEY, "") or "")


def set_error(manager: DialogManager, text: str | None) -> None:
    """The refusal of a typed value, shown under the question until the next answer."""
    if text is None:
        manager.dialog_data.pop(ERROR_KEY, None)
    else:
        manager.dialog_data[ERROR_KEY] = "⚠️ " + escape(text)


def error_line(manager: DialogManager) -> Html:
    return Html(manager.dialog_data.get(ERROR_KEY) or "")
