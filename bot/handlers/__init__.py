"""Plain (non-dialog) handlers. `bot.app` includes them around the dialogs in this order:

    errors.build_router()      error handlers (any position: errors propagate to every router)
    commands.build_router()    /start, /menu, /cancel, /help: before the dialogs, so they work
                               even while a dialog is open
    <bot.dialogs>              every feature dialog (bot/dialogs/__init__.py lists them)
    fallback.build_router()    last: whatever nobody handled

Each module exposes `build_router()` returning a fresh Router (no import-time side effects;
tests build many apps). A later `notifications` module (buttons on pushed messages) goes into
`BEFORE_DIALOGS` after `commands`.
"""

from __future__ import annotations

import importlib

from aiogram import Router

ERRORS = "bot.handlers.errors"
BEFORE_DIALOGS: tuple[str, ...] = ("bot.handlers.commands", "bot.handlers.notifications")
AFTER_DIALOGS: tuple[str, ...] = ("bot.handlers.fallback",)


def build_routers(modules: tuple[str, ...]) -> list[Router]:
    return [importlib.import_module(path).build_router() for path in modules]
