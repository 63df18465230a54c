"""Formerly overlaid `tests.bot.uk_messages.UK` on the gettext catalogue; the Ukrainian texts
are now in locales/uk/LC_MESSAGES/crm.po, so `overlaid()` and `install()` change nothing and the
bot tests read the real catalogue. `Overlay` stays for tests that add texts of their own."""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Callable

Translations = Callable[[str], _gettext.NullTranslations]


class Overlay(_gettext.NullTranslations):
    """The catalogue, plus `extra` texts for the msgids it does not translate."""

    def __init__(self, base: _gettext.NullTranslations, extra: dict[str, str]) -> None:
        super().__init__()
        self.base, self.extra = base, extra

    def gettext(self, message: str) -> str:
        translated = self.base.gettext(message)
        return self.extra.get(message, translated) if translated == message else translated

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.base.ngettext(singular, plural, n)


def overlaid(real: Translations) -> Translations:
    """The real translations, unchanged (the catalogue is complete)."""
    return real


def install() -> None:
    """Nothing to install any more: kept for the end-to-end bot process's start line."""
