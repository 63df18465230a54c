"""`crm users`: invite colleagues into the bot and list the employees."""

from __future__ import annotations

import datetime as dt

import click

from cli.common import locale, run_db, settings
from core.i18n import N_, format_datetime, gettext
from models.base import Role
from services import employees

ROLE_CHOICES = [role.value for role in Role]
ROLE_LABELS = {"manager": N_("manager"), "head": N_("head of sales"), "admin": N_("administrator")}


@click.group("users")
def users_group() -> None:
    """Employees: invitations into the bot, the list of users."""


def invite_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username.strip().lstrip('@')}?start={token}"


@users_group.command("invite")
@click.option("--role", type=click.Choice(ROLE_CHOICES), default="manager", show_default=True)
@click.option("--team", "team_name", default=None, help="Team name; created when missing.")
@click.option("--name", "full_name", default=None, help="The colleague's full name.")
@click.option("--ttl-hours", type=int, default=72, show_default=True, help="Validity in hours.")
def invite_cmd(role: str, team_name: str | None, full_name: str | None, ttl_hours: int) -> None:
    """Create a one-time invitation and print the link to send to the colleague."""

    async def create() -> tuple[str, dt.datetime]:
        team_id = None
        if team_name:
            team = await employees.find_team_by_name(team_name)
            if team is None:
                team = await employees.create_team(team_name)
            team_id = team.id
        invitation = await employees.create_invitation(
            role=role, team_id=team_id, full_name=full_name, ttl_hours=ttl_hours
        )
        return invitation.token, invitation.expires_at

    conf = settings()
    lang = locale()
    token, expires_at = run_db(create)
    until = format_datetime(expires_at, conf.timezone, lang)
    if conf.bot_username and conf.bot_username.strip().lstrip("@"):
        click.echo(invite_link(conf.bot_username, token))
        click.echo(
            gettext(N_("Send this link to the colleague; it works once, until %(until)s."), lang)
            % {"until": until}
        )
    else:
        click.echo(token)
        click.echo(
            gettext(
                N_(
                    "CRM_BOT_USERNAME is not set, so this is the bare invitation code: the "
                    "colleague opens the bot and sends /start %(token)s (valid once, until "
                    "%(until)s). Set CRM_BOT_USERNAME to get a ready link."
                ),
                lang,
            )
            % {"token": token, "until": until}
        )


@users_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include deactivated employees.")
def list_cmd(show_all: bool) -> None:
    """The employees: name, role, team, Telegram account, status."""
    lang = locale()
    rows = run_db(employees.list_employees, active_only=not show_all)
    if not rows:
        click.echo(gettext(N_("No employees yet: invite one with `crm users invite`."), lang))
        return
    header = [
        gettext(N_("ID"), lang),
        gettext(N_("Full name"), lang),
        gettext(N_("Role"), lang),
        gettext(N_("Team"), lang),
        gettext(N_("Telegram"), lang),
        gettext(N_("Status"), lang),
    ]
    table = [header]
    for row in rows:
        telegram = f"@{row.telegram_username}" if row.telegram_username else ""
        if not telegram and row.telegram_id:
            telegram = str(row.telegram_id)
        status = gettext(N_("active"), lang) if row.active else gettext(N_("deactivated"), lang)
        table.append(
            [
                str(row.id),
                row.full_name,
                gettext(ROLE_LABELS.get(row.role, row.role), lang),
                row.team_name or "",
                telegram,
                status,
            ]
        )
    widths = [max(len(line[col]) for line in table) for col in range(len(header))]
    for line in table:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )


@users_group.command("link")
@click.argument("employee_ref", metavar="EMPLOYEE")
@click.option(
    "--telegram-id",
    "telegram_id",
    required=True,
    help="The numeric id of the Telegram account (not the @username).",
)
def link_cmd(employee_ref: str, telegram_id: str) -> None:
    """Bind an employee (by id or e-mail) to a Telegram account: a colleague's new account, or
    yours to step into a demo employee. An account bound to someone else is refused."""
    from services.employee_links import get_employee_by_ref, link_telegram

    async def link():
        employee = await get_employee_by_ref(employee_ref)
        return await link_telegram(employee.id, telegram_id)

    lang = locale()
    employee = run_db(link)
    click.echo(
        gettext(
            N_(
                "%(name)s (%(role)s, id %(id)s) is now linked to the Telegram account "
                "%(telegram_id)s: the bot knows them from their next message."
            ),
            lang,
        )
        % {
            "name": employee.full_name,
            "role": gettext(ROLE_LABELS[Role(employee.role).value], lang),
            "id": employee.id,
            "telegram_id": employee.telegram_id,
        }
    )
