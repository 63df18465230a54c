"""`crm claims ...`: export the claims, fill and show the catalogue of claim causes.

    crm claims export --format xlsx --out claims.xlsx
    crm claims export --format csv --status registered --status in_processing > open.csv
    crm claims export --format json --as @olena --from 01.09.2026     # what Olena may see
    crm claims causes                                                 # the catalogue

The operator exports every claim unless `--as` names an employee, whose visibility then applies
(a manager: the claims they handle, wrote or whose client they manage; a head: the team's).
`export_claims_cmd` is one click command; the `export` group may show it as `crm export claims`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cli.common import fail, run_db, settings
from core.i18n import LOCALES, N_, gettext, ngettext

FORMATS = ("csv", "json", "xlsx")
STATUSES = ("registered", "in_processing", "satisfied", "not_satisfied")

LABELS = {
    "needs_out": N_("An XLSX file cannot be shown in the terminal: add --out FILE."),
    "cannot_write": N_("Cannot write %(file)s: %(error)s"),
    "causes_header": N_("Claim causes (response time in hours):"),
}


@click.group("claims")
def claims_group() -> None:
    """Claims (претензії): export them, the catalogue of causes."""


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True,
              help="csv: UTF-8 with BOM and ';' for Excel; json; xlsx.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of the standard output.")
@click.option("--status", "statuses", multiple=True, type=click.Choice(STATUSES),
              help="Only claims in this status (repeat for several).")
@click.option("--from", "date_from", metavar="DATE", help="Registered on or after (DD.MM.YYYY).")
@click.option("--to", "date_to", metavar="DATE", help="Registered on or before (DD.MM.YYYY).")
@click.option("--as", "viewer", metavar="WHO", help="Only what this employee may see.")
@click.option("--locale", "lang", type=click.Choice(LOCALES), default=None,
              help="Language of headers and words (the configured default otherwise).")
def export_claims_cmd(
    fmt: str,
    out: Path | None,
    statuses: tuple[str, ...],
    date_from: str | None,
    date_to: str | None,
    viewer: str | None,
    lang: str | None,
) -> None:
    """Every claim (or the chosen ones) as CSV, JSON or XLSX."""
    conf = settings()
    lang = lang or conf.default_locale
    stdout = sys.stdout.buffer
    if out is None and fmt == "xlsx" and stdout.isatty():
        fail(gettext(LABELS["needs_out"], lang), 2)

    async def work():
        from cli.report import parse_date
        from services.analytics.common import find_employee_id, make_period
        from services.claims import export_claims

        viewer_id = await find_employee_id(viewer) if viewer else None
        first = parse_date(date_from, "date_from")
        last = parse_date(date_to, "date_to")
        start = make_period(first, first, conf.timezone).start if first else None
        end = make_period(last, last, conf.timezone).end if last else None
        return await export_claims(
            fmt, viewer_id=viewer_id, locale=lang, tz=conf.timezone,
            status=list(statuses) or None, registered_from=start, registered_to=end,
        )  # fmt: skip

    exported = run_db(work)
    if out is None:
        stdout.write(exported.data)
        stdout.flush()
        return
    try:
        out.write_bytes(exported.data)
    except OSError as error:
        fail(gettext(LABELS["cannot_write"], lang)
             % {"file": out, "error": error.strerror or error})  # fmt: skip
    done = ngettext(
        "%(count)s claim exported to %(file)s.", "%(count)s claims exported to %(file)s.",
        exported.count, lang,
    )  # fmt: skip
    click.echo(done % {"count": exported.count, "file": out}, err=True)


@click.command("causes")
@click.option("--locale", "lang", type=click.Choice(LOCALES), default=None)
def causes_cmd(lang: str | None) -> None:
    """Add the missing default causes (edited ones are kept) and list the catalogue."""
    from services.claims import ensure_default_causes

    lang = lang or settings().default_locale
    causes = run_db(ensure_default_causes)
    click.echo(gettext(LABELS["causes_header"], lang))
    for cause in causes:
        click.echo(f"  {cause.code:<16} {cause.response_hours:>4}  {cause.name(lang)}")


claims_group.add_command(export_claims_cmd)
claims_group.add_command(causes_cmd)
