"""Overlay `tests.bot.uk_messages.UK` on the gettext catalogue (only msgids it lacks).

Used by the `uk_catalogue` fixture in-process and installed first by the end-to-end bot
process (`python -c "from tests.bot.uk_overlay import install; install(); ..."`), so both speak
real Ukrainian before the lead merges these msgids into locales/uk."""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Callable

import core.i18n
from tests.bot.uk_messages import UK

Translations = Callable[[str], _gettext.NullTranslations]


class Overlay(_gettext.NullTranslations):
    def __init__(self, base: _gettext.NullTranslations, extra: dict[str, str]) -> None:
        super().__init__()
        self.base, self.extra = base, extra

    def gettext(self, message: str) -> str:
        translated = self.base.gettext(message)
        return self.extra.get(message, translated) if translated == message else translated

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.base.ngettext(singular, plural, n)


def overlaid(real: Translations) -> Translations:
    def translations(locale: str) -> _gettext.NullTranslations:
        base = real(locale)
        return base if locale == "en" else Overlay(base, UK)

    return translations


def install() -> None:
    core.i18n.translations = overlaid(core.i18n.translations)  # type: ignore[assignment]
