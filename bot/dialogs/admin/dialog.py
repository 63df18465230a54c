"""Administration (admins only): invite an employee as a manager, a head of sales or an
administrator; the one-time link (or the bare token when the bot's username is not
configured) is shown to pass on."""

from __future__ import annotations

from operator import itemgetter

from aiogram_dialog import Dialog, Window
from aiogram_dialog.widgets.kbd import Column, Select, SwitchTo
from aiogram_dialog.widgets.text import Format

from bot.access import ADMINS
from bot.dialogs import MenuEntry
from bot.dialogs.admin import handlers as h
from bot.dialogs.admin.getters import done_getter, main_getter, roles_getter
from bot.dialogs.log_interaction.common import back_text, nav
from bot.dialogs.states import AdminSG
from bot.dialogs.widgets import Tr, TrFormat
from core.i18n import N_

MENU_ENTRIES = (
    MenuEntry(id="admin", title=N_("Administration"), state=AdminSG.MAIN, order=95, roles=ADMINS),
)


def build_dialogs() -> list[Dialog]:
    return [
        Dialog(
            Window(
                Tr(N_("<b>Administration</b>")),
                SwitchTo(
                    Tr(N_("Invite an employee"), prefix="✉️ "),
                    id="invite",
                    state=AdminSG.INVITE_ROLE,
                ),
                nav(),
                state=AdminSG.MAIN,
                getter=main_getter,
            ),
            Window(
                Tr(N_("Invite as:")),
                Column(
                    Select(
                        Format("{item[label]}"),
                        id="role",
                        items="roles",
                        item_id_getter=itemgetter("id"),
                        on_click=h.on_invite_role,
                    ),
                ),
                nav(SwitchTo(back_text(), id="back", state=AdminSG.MAIN)),
                state=AdminSG.INVITE_ROLE,
                getter=roles_getter,
            ),
            Window(
                TrFormat(
                    N_(
                        "Invitation for a {role} created. Pass this on; it works once, "
                        "until {expires}:\n<code>{link}</code>"
                    )
                ),
                nav(SwitchTo(back_text(), id="back", state=AdminSG.MAIN)),
                state=AdminSG.INVITE_DONE,
                getter=done_getter,
            ),
        ),
    ]
