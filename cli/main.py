"""The `crm` command: one group per area, registered here."""

from __future__ import annotations

import click

from cli.db import db_group


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def crm() -> None:
    """A CRM that lives in Telegram."""


crm.add_command(db_group)


def _register_optional() -> None:
    """Groups of later areas register themselves here as they appear."""
    import importlib

    for module, attr in (
        ("cli.users", "users_group"),
        ("cli.io", "import_group"),
        ("cli.io", "export_group"),
        ("cli.demo", "demo_group"),
        ("cli.run", "run_cmd"),
        ("cli.pipelines", "pipelines_group"),
        ("cli.deal", "deal_group"),
        ("cli.mailbox", "mailbox_group"),
        ("cli.ingest", "ingest_cmd"),
        ("cli.report", "report_cmd"),
        ("cli.classify", "classify_cmd"),
        ("cli.jobs", "jobs_group"),
        ("cli.claims", "claims_group"),
    ):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as error:
            if error.name != module:
                raise
            continue
        crm.add_command(getattr(mod, attr))


_register_optional()


def main() -> None:
    crm()


if __name__ == "__main__":
    main()
