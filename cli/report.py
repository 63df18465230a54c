"""`crm report NAME`: any registered analytics report as text, JSON, CSV, XLSX or a PNG chart.

    crm report --list
    crm report funnel --from 01.09.2026 --to 30.11.2026 --kind typical_sale --format json
    crm report managers --compare year --format xlsx --out managers.xlsx
    crm report lost --as @olena --format png --out lost.png    # what Olena would see

The operator runs reports as an administrator (everyone's figures) unless `--as` names an
employee, whose scope then applies (a manager: own figures, a head: the team's).
"""

from __future__ import annotations

import datetime as dt
import sys

import click

from cli.common import fail, locale, run_db, settings
from core.errors import ValidationFailed
from core.i18n import LOCALES, N_, gettext
from models.base import Role

FORMATS = ("text", "json", "csv", "xlsx", "png")
BINARY = ("xlsx", "png")

LABELS = {
    "needs_out": N_("The %(format)s format is binary: add --out FILE."),
    "written": N_("Written: %(path)s"),
    "no_name": N_("Name a report, or use --list to see them."),
    "list_header": N_("Reports:"),
    "bad_option": N_("%(pair)s: use KEY=VALUE"),
}


def parse_date(value: str | None, field: str) -> dt.date | None:
    """DD.MM.YYYY (what people type here) or YYYY-MM-DD."""
    if not value:
        return None
    text = value.strip()
    for pattern in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, pattern).date()  # noqa: DTZ007 (a calendar day)
        except ValueError:
            continue
    raise ValidationFailed("invalid", field=field, reason="bad_date")


def parse_options(pairs: tuple[str, ...]) -> dict[str, str]:
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(
                gettext(LABELS["bad_option"], locale()) % {"pair": repr(pair)},
                param_hint="--option",
            )
        options[key.strip()] = value.strip()
    return options


@click.command("report")
@click.argument("name", required=False)
@click.option("--list", "list_reports", is_flag=True, help="List the reports and exit.")
@click.option("--from", "date_from", metavar="DATE", help="First day (DD.MM.YYYY).")
@click.option("--to", "date_to", metavar="DATE", help="Last day (DD.MM.YYYY), today by default.")
@click.option("--kind", metavar="KIND", help="Deal kind: code or id.")
@click.option("--team", metavar="TEAM", help="Team: name or id.")
@click.option("--manager", metavar="WHO", help="Manager: id, @username or full name.")
@click.option("--as", "viewer", metavar="WHO", help="See what this employee would see.")
@click.option("--compare", type=click.Choice(["previous", "year"]), default="previous",
              show_default=True, help="Comparison period (managers).")
@click.option("--option", "-o", "options", multiple=True, metavar="KEY=VALUE",
              help="A report-specific setting, e.g. -o threshold=60.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file instead of the terminal.")
@click.option("--locale", "lang", type=click.Choice(LOCALES), default=None,
              help="Language of labels (the configured default otherwise).")
def report_cmd(
    name: str | None,
    list_reports: bool,
    date_from: str | None,
    date_to: str | None,
    kind: str | None,
    team: str | None,
    manager: str | None,
    viewer: str | None,
    compare: str,
    options: tuple[str, ...],
    fmt: str,
    out: str | None,
    lang: str | None,
) -> None:
    """Run an analytics report: funnel, forecast, lost, managers, execution and more."""
    from services import analytics

    lang = lang or locale()
    if list_reports:
        click.echo(gettext(LABELS["list_header"], lang))
        for spec in analytics.list_reports():
            line = f"  {spec.name:<12} {gettext(spec.title, lang)}"
            if spec.description:
                line += f": {gettext(spec.description, lang)}"
            click.echo(line)
        return
    if not name:
        fail(gettext(LABELS["no_name"], lang), 2)
        return
    if fmt in BINARY and out is None and sys.stdout.isatty():
        fail(gettext(LABELS["needs_out"], lang) % {"format": fmt}, 2)
        return
    extra = parse_options(options)
    tz = settings().timezone

    async def run() -> bytes:
        from services.analytics.common import (
            Compare,
            ReportParams,
            find_employee_id,
            resolve_filters,
            viewer_role,
        )
        from services.analytics.export import render

        spec = analytics.get_report(name)
        filters = await resolve_filters(kind, team, manager)
        viewer_id, role = None, Role.ADMIN
        if viewer:
            viewer_id = await find_employee_id(viewer)
            role = await viewer_role(viewer_id)
        params = ReportParams(
            viewer_id=viewer_id,
            viewer_role=role,
            date_from=parse_date(date_from, "date_from"),
            date_to=parse_date(date_to, "date_to"),
            kind_id=filters.kind_id,
            team_id=filters.team_id,
            manager_id=filters.manager_id,
            compare=Compare(compare),
            tz=tz,
            options=extra,
        )
        result = await spec.run(params)
        if fmt == "png":
            import asyncio

            return await asyncio.to_thread(render, result, fmt, lang)
        return render(result, fmt, lang)

    data = run_db(run)
    if out:
        with open(out, "wb") as handle:
            handle.write(data)
        click.echo(gettext(LABELS["written"], lang) % {"path": out}, err=True)
    elif fmt in BINARY:
        sys.stdout.buffer.write(data)
    else:
        click.echo(data.decode("utf-8"), nl=False)
