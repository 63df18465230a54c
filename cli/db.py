import asyncio

import click

from cli.common import fail, settings


@click.group("db")
def db_group() -> None:
    """The database: migrations."""


@db_group.command("migrate")
def migrate_cmd() -> None:
    """Apply every migration to the configured database (SQLite by default)."""
    from core.db import close_orm, migrate

    conf = settings()

    async def main() -> None:
        try:
            await migrate(conf)
        finally:
            await close_orm()

    try:
        asyncio.run(main())
    except OSError as error:
        fail(f"Cannot open the database {conf.db_url.split('@')[-1]}: {error}")
    click.echo("ok")
