"""Error codes of import and export, for the lead to merge into core/i18n.py.

Until they are merged, the CLI calls `merge_into_core()` before it translates import problems
(only keys core does not have yet are added), so messages already read well.
"""

from __future__ import annotations

from core.i18n import N_, register_messages

EXTRA_ERROR_MESSAGES: dict[str, str] = {
    "missing_columns": N_("Required columns are missing: %(columns)s."),
}

# "parent", "main_manager", "segment", "comment", "vat_number", "bank_name", "legal_address" and
# the reason "parent_cycle" come from services/i18n_extra_partners.py (the partners service).
EXTRA_FIELD_NAMES: dict[str, str] = {
    "column": N_("Column"),
    "type": N_("Partner type"),
}

EXTRA_REASONS: dict[str, str] = {
    "empty_file": N_("has no header row"),
    "bad_csv": N_("cannot be read as CSV"),
    "bad_xlsx": N_("cannot be read as an Excel .xlsx workbook"),
    "old_xls": N_("is an old Excel .xls file: save it as .xlsx or as CSV"),
    "extra_cells": N_(
        "the row has %(count)s cells but the header only %(expected)s "
        "(a delimiter inside an unquoted value?)"
    ),
    "duplicate_column": N_("appears in more than one column: %(columns)s"),
    "ambiguous_reference": N_("matches several records: %(value)s"),
    "conflicting_tax_id": N_("does not match the EDRPOU or RNOKPP column"),
    "other_partner": N_(
        "%(value)s is not the partner this record belongs to; an import does not move records"
    ),
}

register_messages(fields=EXTRA_FIELD_NAMES, reasons=EXTRA_REASONS, errors=EXTRA_ERROR_MESSAGES)


def merge_into_core() -> None:
    """Make the codes above known to `core.i18n` (no-op for keys it already has)."""
    import contextlib
    import importlib
    import sys

    from core import i18n

    sources = [sys.modules[__name__]]
    with contextlib.suppress(ModuleNotFoundError):
        sources.append(importlib.import_module("services.i18n_extra_partners"))
    for source in sources:
        for name, target in (
            ("EXTRA_ERROR_MESSAGES", i18n.ERROR_MESSAGES),
            ("EXTRA_FIELD_NAMES", i18n.FIELD_NAMES),
            ("EXTRA_REASONS", i18n.REASONS),
        ):
            for key, value in getattr(source, name, {}).items():
                target.setdefault(key, value)
