"""Field and reason codes of the mail ingest that core.i18n does not have yet: the lead merges
`EXTRA_FIELD_NAMES` / `EXTRA_REASONS` into FIELD_NAMES / REASONS (the codes services.mailboxes,
services.mail and services.files raise). The note about an attachment that was not kept is in
services.mail (`SKIPPED_ATTACHMENT_NOTE`), where the bot can reach it.
"""

from __future__ import annotations

from core.i18n import N_, register_messages

EXTRA_FIELD_NAMES: dict[str, str] = {
    "mailbox": N_("Mailbox"),
    "host": N_("Mail server"),
    "port": N_("Port"),
    "username": N_("Login"),
    "password": N_("Password"),
    "security": N_("Connection security"),
    "folders": N_("Folders"),
    "plus_pattern": N_("Plus-address pattern"),
    "after_commit": N_("After a message is stored"),
    "deal": N_("Deal"),
    "domain": N_("Domain"),
}

EXTRA_REASONS: dict[str, str] = {
    "password_source": N_("give an environment variable or a file, exactly one of them"),
    "bad_env_name": N_("%(name)s is not a valid environment variable name"),
    "env_missing": N_("the environment variable %(name)s is not set"),
    "file_unreadable": N_("cannot read the file %(path)s"),
    "file_too_open": N_("the file %(path)s must be readable by its owner only (chmod 600)"),
    "file_not_owned": N_("the file %(path)s must belong to the user who runs the CRM"),
    "bad_plus_pattern": N_("must look like sales+{tag}@firm.ua"),
    "bad_after_commit": N_("must be empty, seen or move:FOLDER"),
    "bad_port": N_("must be a number from 1 to 65535"),
    "bad_deal_number": N_("is not a deal number like D-000123"),
    "bad_domain": N_("is not a domain name"),
    "no_target": N_("must be attached to a deal, an interaction, a claim, a partner or a kind"),
}

EXTRA_ERROR_MESSAGES: dict[str, str] = {}

register_messages(fields=EXTRA_FIELD_NAMES, reasons=EXTRA_REASONS, errors=EXTRA_ERROR_MESSAGES)
