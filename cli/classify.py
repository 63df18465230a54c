"""`crm classify`: run the ABC/XYZ classification of clients and keep it (jobs schedule it too)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import click

from cli.common import locale, run_db
from core.i18n import N_, format_date, gettext

if TYPE_CHECKING:
    from services.classification import ClassificationRun

TEXTS = {
    "done": N_("Classification (%(basis)s, %(method)s): %(date_from)s – %(date_to)s."),
    "run": N_("Run: %(run)s"),
    "clients": N_("Clients: %(count)s, of them lost: %(lost)s"),
    "abc": N_("ABC: A %(A)s · B %(B)s · C %(C)s"),
    "xyz": N_("XYZ: X %(X)s · Y %(Y)s · Z %(Z)s"),
    "stages": N_("Stages: regular %(regular)s · one-time %(one_time)s · lost %(lost)s"),
    "replaced": N_("This window had been classified before: its rows were replaced."),
    "kept": N_("A later window exists: the clients keep its relationship stages."),
    "changes": N_("Changed class since the previous run: %(count)s"),
}


@click.command("classify")
@click.option(
    "--basis",
    type=click.Choice(["revenue", "profit", "count"]),
    default="revenue",
    show_default=True,
    help="What to classify by: revenue, gross profit or number of sales.",
)
@click.option(
    "--method",
    type=click.Choice(["adaptive", "classic"]),
    default="adaptive",
    show_default=True,
    help="1C's adaptive cut, or the classic 80/15/5 with CV bounds 10/25 %.",
)
@click.option(
    "--to",
    "period_to",
    type=click.DateTime(formats=["%Y-%m-%d", "%d.%m.%Y"]),
    default=None,
    help="Last day of the window (whole months up to it); default: yesterday.",
)
@click.option(
    "--months",
    type=click.IntRange(1, 36),
    default=3,
    show_default=True,
    help="Months in the window (XYZ looks at each of them).",
)
@click.option(
    "--abc-months",
    type=click.IntRange(1, 36),
    default=None,
    help="Last months of the window that ABC sums (default: all of them; 1C uses 1).",
)
def classify_cmd(
    basis: str, method: str, period_to: dt.datetime | None, months: int, abc_months: int | None
) -> None:
    """Classify clients by ABC/XYZ, keep the result and set their relationship stages."""
    from services.classification import classify_clients, list_class_changes

    async def main() -> tuple[ClassificationRun, int | None]:
        run = await classify_clients(
            basis=basis,
            method=method,
            period_to=period_to.date() if period_to else None,
            months=months,
            abc_months=abc_months,
        )
        changes = None
        if run.previous_run_id is not None:
            changes = len(await list_class_changes(run.run_id, run.previous_run_id))
        return run, changes

    run, changes = run_db(main)
    lang = locale()

    def say(key: str, **params: object) -> None:
        click.echo(gettext(TEXTS[key], lang) % params)

    say(
        "done",
        basis=basis,
        method=method,
        date_from=format_date(run.period_from, lang),
        date_to=format_date(run.period_to, lang),
    )
    say("run", run=run.run_id)
    say("clients", count=run.clients, lost=run.stage_counts.get("lost", 0))
    say("abc", **{key: run.abc_counts.get(key, 0) for key in ("A", "B", "C")})
    say("xyz", **{key: run.xyz_counts.get(key, 0) for key in ("X", "Y", "Z")})
    say("stages", **{key: run.stage_counts.get(key, 0) for key in ("regular", "one_time", "lost")})
    if changes is not None:
        say("changes", count=changes)
    if run.replaced:
        say("replaced")
    if not run.stages_updated:
        say("kept")
