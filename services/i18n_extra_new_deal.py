"""Reasons added by the New deal and Partners screens (services.new_deal, services.partner_view).

The lead merges these dicts into core.i18n (FIELD_NAMES, REASONS, ERROR_MESSAGES).
"""

from __future__ import annotations

from core.i18n import N_, register_messages

EXTRA_FIELD_NAMES: dict[str, str] = {}

EXTRA_REASONS: dict[str, str] = {
    "in_past": N_("cannot be in the past"),
}

EXTRA_ERROR_MESSAGES: dict[str, str] = {}

register_messages(fields=EXTRA_FIELD_NAMES, reasons=EXTRA_REASONS, errors=EXTRA_ERROR_MESSAGES)
