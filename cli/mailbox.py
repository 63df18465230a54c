"""`crm mailbox add|list|remove|test`: the IMAP mailboxes whose mail lands on deals."""

from __future__ import annotations

import asyncio

import click

from cli.common import fail, locale, run_db
from core.i18n import N_, gettext

SECURITY = ("tls", "starttls", "plain")


def _(message: str) -> str:
    return gettext(message, locale())


@click.group("mailbox")
def mailbox_group() -> None:
    """Mailboxes the ingest workers watch (IMAP)."""


@mailbox_group.command("add")
@click.argument("name")
@click.option("--host", required=True, help="IMAP server, e.g. imap.ukr.net")
@click.option("--port", type=int, default=None, help="Default: 993 with tls, 143 otherwise.")
@click.option(
    "--security",
    type=click.Choice(SECURITY),
    default="tls",
    show_default=True,
    help="plain only for a server on loopback.",
)
@click.option("--user", "username", required=True, help="IMAP login, usually the address.")
@click.option(
    "--password-env",
    default=None,
    metavar="VARIABLE",
    help="Environment variable that holds the password.",
)
@click.option(
    "--password-file",
    default=None,
    type=click.Path(dir_okay=False),
    help="File with the password, readable by its owner only (chmod 600).",
)
@click.option(
    "--folder",
    "folders",
    multiple=True,
    default=("INBOX",),
    show_default=True,
    help="Folder to watch; repeat for several.",
)
@click.option(
    "--plus-pattern",
    default="",
    metavar="PATTERN",
    help="Plus-addresses that name a deal, e.g. sales+{tag}@firm.ua "
    "(default: the login's address with +{tag}).",
)
@click.option(
    "--after-commit",
    default="",
    metavar="ACTION",
    help="After a message is stored: nothing (default), 'seen', or 'move:FOLDER'.",
)
def add_cmd(
    name: str,
    host: str,
    port: int | None,
    security: str,
    username: str,
    password_env: str | None,
    password_file: str | None,
    folders: tuple[str, ...],
    plus_pattern: str,
    after_commit: str,
) -> None:
    """Add a mailbox NAME."""
    from services.mailboxes import add_mailbox

    row = run_db(
        add_mailbox,
        name,
        host=host,
        port=port,
        security=security,
        username=username,
        password_env=password_env,
        password_file=password_file,
        folders=list(folders),
        plus_pattern=plus_pattern,
        after_commit=after_commit,
    )
    click.echo(
        _(N_("Mailbox %(name)s added: %(user)s at %(host)s:%(port)s."))
        % {"name": row.name, "user": row.username, "host": row.host, "port": row.port}
    )


@mailbox_group.command("list")
def list_cmd() -> None:
    """List the mailboxes with their progress (last UID done per folder)."""
    from services.mailboxes import list_mailboxes

    rows = run_db(list_mailboxes)
    if not rows:
        click.echo(_(N_("No mailboxes yet: add one with `crm mailbox add`.")))
        return
    for row in rows:
        state = "" if row.active else " " + _(N_("(inactive)"))
        click.echo(
            f"{row.name}{state}: {row.username} @ {row.host}:{row.port} ({row.security}), "
            f"{', '.join(row.folders)}; {row.password_source}"
        )
        for progress in row.progress:
            click.echo(
                "  "
                + _(N_("%(folder)s: UIDVALIDITY %(validity)s, last UID %(uid)s"))
                % {
                    "folder": progress.folder,
                    "validity": progress.uidvalidity,
                    "uid": progress.last_uid,
                }
            )


@mailbox_group.command("remove")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask.")
def remove_cmd(name: str, yes: bool) -> None:
    """Remove the mailbox NAME (the mail already taken in stays)."""
    from services.mailboxes import remove_mailbox

    if not yes:
        click.confirm(_(N_("Remove mailbox %(name)s?")) % {"name": name}, abort=True)
    run_db(remove_mailbox, name)
    click.echo(_(N_("Mailbox %(name)s removed.")) % {"name": name})


@mailbox_group.command("test")
@click.argument("name")
def test_cmd(name: str) -> None:
    """Log in to NAME and look at its folders, without taking any mail."""
    from ingest.worker import ConnectionLost

    try:
        lines = run_db(_check, name)
    except ConnectionLost as error:
        fail(_(N_("Cannot log in to %(name)s: %(error)s")) % {"name": name, "error": error})
    for line in lines:
        click.echo(line)


async def _check(name: str) -> list[str]:
    from ingest.worker import ConnectionLost, ImapSession
    from services.mailboxes import get_mailbox, resolve_password

    row = await get_mailbox(name)
    session = ImapSession(row, resolve_password(row), timeout=30)
    await asyncio.to_thread(session.connect)  # ConnectionLost: reported by the command
    lines = [
        _(N_("Logged in to %(host)s:%(port)s as %(user)s."))
        % {"host": row.host, "port": row.port, "user": row.username}
    ]
    lines.append(
        _(N_("IDLE: supported."))
        if "IDLE" in session.capabilities
        else _(N_("IDLE: not supported; the worker will poll."))
    )
    try:
        for folder in row.folders:
            try:
                validity, count = await asyncio.to_thread(session.select, folder, readonly=True)
            except ConnectionLost as error:
                lines.append(
                    _(N_("%(folder)s: cannot open (%(error)s)"))
                    % {"folder": folder, "error": error}
                )
                continue
            lines.append(
                _(N_("%(folder)s: messages: %(count)s, UIDVALIDITY %(validity)s"))
                % {"folder": folder, "count": count, "validity": validity}
            )
    finally:
        await asyncio.to_thread(session.close)
    return lines
