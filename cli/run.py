"""`crm run`: migrate the database and start the bot (long polling, or a webhook when
CRM_WEBHOOK_URL is set). A missing or malformed token stops it with one sentence, exit code 2."""

from __future__ import annotations

import sys

import click


@click.command("run")
def run_cmd() -> None:
    """Start the bot: migrate the database, then serve Telegram until stopped."""
    from bot.app import main

    sys.exit(main())
