"""Field and reason codes used by services.validation / partners / employees that core.i18n does
not have yet. The lead merges these dicts into core.i18n (FIELD_NAMES, REASONS, ERROR_MESSAGES).
"""

from __future__ import annotations

from core.i18n import N_, register_messages

EXTRA_FIELD_NAMES: dict[str, str] = {
    "website": N_("Website"),
    "address": N_("Address"),
    "legal_address": N_("Legal address"),
    "vat_number": N_("VAT payer number"),
    "bank_name": N_("Bank"),
    "segment": N_("Segment"),
    "comment": N_("Comment"),
    "description": N_("Description"),
    "parent": N_("Parent partner"),
    "employee": N_("Employee"),
    "main_manager": N_("Main manager"),
    "relationship_stage": N_("Relationship stage"),
    "contact_cadence_days": N_("Contact every (days)"),
    "business_region": N_("Business region"),
    "strategy": N_("Relationship strategy"),
    "roles": N_("Roles"),
    "link": N_("Link"),
    "link_kind": N_("Link kind"),
    "reverse_name": N_("Reverse name"),
    "team": N_("Team"),
    "invitation": N_("Invitation"),
    "ttl_hours": N_("Validity (hours)"),
    "locale": N_("Language"),
    "telegram_id": N_("Telegram id"),
}

EXTRA_REASONS: dict[str, str] = {
    "bad_url": N_("is not a web address"),
    "already_used": N_("is already used by another record"),
    "self_link": N_("cannot be linked to itself"),
    "wrong_legal_form": N_("does not fit the chosen legal form"),
    "parent_cycle": N_("would make the partner a parent of itself"),
}

EXTRA_ERROR_MESSAGES: dict[str, str] = {}

register_messages(fields=EXTRA_FIELD_NAMES, reasons=EXTRA_REASONS, errors=EXTRA_ERROR_MESSAGES)
