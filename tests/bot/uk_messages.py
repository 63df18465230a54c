"""Formerly the Ukrainian translations of the bot's msgids, overlaid by the tests until they were
in the catalogue. They are now in locales/uk/LC_MESSAGES/crm.po: edit the catalogue instead."""

UK: dict[str, str] = {}
