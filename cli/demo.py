import click

from cli.common import locale, run_db, settings
from core.i18n import N_, format_datetime, gettext

ROLE_LABELS = {"manager": N_("manager"), "head": N_("head of sales"), "admin": N_("administrator")}
INVITATION_TTL_HOURS = 24 * 7


@click.group("demo")
def demo_group() -> None:
    """The demo company."""


@demo_group.command("seed")
@click.option("--seed", default=1, show_default=True, help="the same seed gives the same company")
@click.option(
    "--deals", "deals_count", default=300, show_default=True, type=click.IntRange(0, 20000)
)
@click.option(
    "--invitations",
    is_flag=True,
    help="Also print an invitation per demo head of sales and manager, to try their role in "
    "the bot with /start.",
)
def seed_cmd(seed: int, deals_count: int, invitations: bool) -> None:
    """Fill the database with a realistic Ukrainian trading company (through the services)."""
    from rich.progress import Progress

    from services.demo import seed_demo

    with Progress(transient=True) as bar:
        task = bar.add_task("deals", total=deals_count)

        def progress(_step: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = run_db(seed_demo, seed, deals_count=deals_count, progress=progress)
    click.echo(
        f"employees {report.employees}, partners {report.partners}, "
        f"counterparties {report.counterparties}, contacts {report.contacts}, "
        f"deals {report.deals} (won {report.won}, lost {report.lost}, open {report.open}), "
        f"interactions {report.interactions}, orders {report.orders}, claims {report.claims}"
    )
    if invitations:
        _print_invitations()


def _print_invitations() -> None:
    """One invitation per demo head and manager, with that person's role and team: /start with
    it registers the Telegram account in that role and team. To act as exactly that person
    (their own deals and tasks), `crm users link EMAIL --telegram-id N` binds the account."""
    from cli.users import invite_link
    from services import employees

    async def create():
        rows = await employees.list_employees()
        made = []
        for row in rows:
            if row.role not in ("head", "manager"):
                continue
            invitation = await employees.create_invitation(
                role=row.role, team_id=row.team_id, ttl_hours=INVITATION_TTL_HOURS
            )
            made.append((row, invitation.token, invitation.expires_at))
        return made

    conf = settings()
    lang = locale()
    made = run_db(create)
    username = (conf.bot_username or "").strip().lstrip("@")
    click.echo("")
    click.echo(
        gettext(
            N_(
                "Invitations into the demo roles (each works once, until %(until)s); /start "
                "with one registers your Telegram account with that role and team:"
            ),
            lang,
        )
        % {"until": format_datetime(made[0][2], conf.timezone, lang) if made else "—"}
    )
    for row, token, _ in made:
        target = invite_link(username, token) if username else f"/start {token}"
        role = gettext(ROLE_LABELS[row.role], lang)
        click.echo(f"{row.full_name} · {role} · {row.team_name or ''} · {row.email}: {target}")
    if not username:
        click.echo(
            gettext(N_("CRM_BOT_USERNAME is not set: send the bot /start with the code."), lang)
        )
    click.echo(
        gettext(
            N_(
                "To act as exactly that person (their deals and tasks), bind your account "
                "instead: crm users link EMAIL --telegram-id YOUR_ID."
            ),
            lang,
        )
    )
