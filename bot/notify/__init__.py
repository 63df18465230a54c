"""Pushed messages with buttons (HOUSE_STYLE: `handlers/notifications`): the e-mail notifier
ingest calls after a commit (`bot.notify.email`) and the handlers of its buttons
(`bot.notify.handlers`, included by `bot.app` before the dialogs)."""
