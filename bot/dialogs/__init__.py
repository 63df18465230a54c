"""The dialogs of the bot: the ONE list of feature modules, and the main-menu registry.

Adding a feature dialog (deals, calls, partners, ...):

1. put its states into `bot/dialogs/states.py` (`<Feature>SG`);
2. create `bot/dialogs/<feature>/{dialog.py, getters.py, handlers.py}`; `dialog.py` defines
   `build_dialogs() -> list[Dialog]` (fresh objects on every call: a router can be attached to
   one dispatcher only, and tests build many) and, when it belongs in the main menu,
   `MENU_ENTRIES = (MenuEntry(id="deals", title=N_("My deals"), state=DealsSG.LIST,
   order=ORDER["my_deals"]),)`;
3. add the module path to `FEATURES` below.

The main menu shows exactly the registered entries the employee's role allows, and re-checks
the role when the button is pressed. Every dialog still checks access itself (`bot.access`).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from aiogram import Router
from aiogram.fsm.state import State

from bot.access import EVERYONE
from models.base import Role

FEATURES: tuple[str, ...] = (
    "bot.dialogs.menu.dialog",
    "bot.dialogs.settings.dialog",
    "bot.dialogs.claims.dialog",
    "bot.dialogs.reports.dialog",
    "bot.dialogs.admin.dialog",
    "bot.dialogs.log_interaction.dialog",
    "bot.dialogs.tasks.dialog",
    "bot.dialogs.my_day.dialog",
    "bot.dialogs.deals.dialog",
    "bot.dialogs.deal_card.dialog",
    "bot.dialogs.new_deal.dialog",
    "bot.dialogs.partners.dialog",
)

# The main menu's order; later features take their slot by id.
ORDER = {
    "my_day": 10,
    "my_deals": 20,
    "new_deal": 30,
    "log_call": 40,
    "log_meeting": 50,
    "partners": 60,
    "tasks": 70,
    "claims": 75,
    "reports": 80,
    "settings": 90,
}


@dataclass(frozen=True)
class MenuEntry:
    """A main-menu button that starts a dialog."""

    id: str  # short snake_case, a persisted API (it is in callback data)
    title: str  # an N_() msgid
    state: State  # the state the dialog starts in
    order: int = 100
    roles: frozenset[Role] = field(default=EVERYONE)


@dataclass(frozen=True)
class DialogSet:
    router: Router
    menu: tuple[MenuEntry, ...]


def build_dialogs(features: Iterable[str] = FEATURES) -> DialogSet:
    """One router with every feature's dialogs, and the menu entries sorted by `order`."""
    router = Router(name="dialogs")
    entries: list[MenuEntry] = []
    for path in features:
        module = importlib.import_module(path)
        for dialog in module.build_dialogs():
            router.include_router(dialog)
        entries.extend(getattr(module, "MENU_ENTRIES", ()))
    ids = [entry.id for entry in entries]
    if len(ids) != len(set(ids)):
        raise ValueError(f"duplicate main-menu ids: {sorted(ids)}")
    return DialogSet(router=router, menu=tuple(sorted(entries, key=lambda e: (e.order, e.id))))
