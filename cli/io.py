"""`crm import ...` and `crm export ...`: master data (partners, counterparties, contact persons)
and sales history (deals, their stage log, interactions; tasks are exported only) as files.

The formats are described in docs/import.md. Import reads CSV (UTF-8 or windows-1251, `;` or
`,`) or XLSX and either writes the whole file or nothing, listing every problem with its line.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from cli.common import fail, run_db, settings
from core.errors import ImportFailed
from core.i18n import N_, gettext, ngettext, translate_error

KINDS = ("partners", "counterparties", "contacts")
HISTORY_IMPORTS = ("deals", "stage-log", "interactions")  # services.exchange_deals
HISTORY_EXPORTS = (*HISTORY_IMPORTS, "tasks")
EXPORT_FORMATS = ("csv", "json", "xlsx")
# Files shorter than this import in a blink: no progress bar.
PROGRESS_FROM_ROWS = 500

PHASES = {"check": N_("Checking"), "write": N_("Writing")}


def _locale() -> str:
    return settings().default_locale


# --- import -------------------------------------------------------------------------------------


@click.group("import")
def import_group() -> None:
    """Import partners, counterparties, contact persons or sales history from CSV or XLSX."""


class _ProgressBar:
    """A rich progress bar on stderr, shown only for long files and only on a terminal."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.bar = None
        self.task = None

    def __call__(self, phase: str, done: int, total: int) -> None:
        if total < PROGRESS_FROM_ROWS:
            return
        if self.bar is None:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

            self.bar = Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
        description = gettext(PHASES.get(phase, phase), self.locale)
        if self.task is None:
            self.task = self.bar.add_task(description, total=total)
            self.bar.start()
        self.bar.update(self.task, description=description, completed=done, total=total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def format_problem(problem, locale: str) -> str:
    """'Line 5: EDRPOU code: has a wrong check digit ("12345670")'."""
    message = translate_error(problem.error, locale)
    if problem.value and problem.value not in message:
        message = f'{message} ("{problem.value}")'
    if problem.line is None:
        return message
    template = gettext("Line %(line)s: %(message)s", locale)
    return template % {"line": problem.line, "message": message}


def _print_failure(error: ImportFailed, locale: str) -> None:
    problems = error.params.get("problems", [])
    count = len(problems)
    click.echo(
        ngettext(
            "The file was not imported, nothing was changed: %(count)s problem found.",
            "The file was not imported, nothing was changed: %(count)s problems found.",
            count,
            locale,
        )
        % {"count": count},
        err=True,
    )
    for problem in problems:
        click.echo(format_problem(problem, locale), err=True)


def _print_report(report, path: Path, locale: str) -> None:
    read = ngettext(
        "%(count)s row read from %(file)s.",
        "%(count)s rows read from %(file)s.",
        report.rows,
        locale,
    )
    click.echo(read % {"count": report.rows, "file": path.name})
    click.echo(
        gettext("Created: %(created)s, updated: %(updated)s, unchanged: %(unchanged)s.", locale)
        % {"created": report.created, "updated": report.updated, "unchanged": report.unchanged}
    )
    if report.ignored_columns:
        click.echo(
            gettext("Columns ignored (not known): %(columns)s.", locale)
            % {"columns": ", ".join(report.ignored_columns)}
        )
    removed = getattr(report, "removed", 0)
    if removed:
        click.echo(
            ngettext(
                "%(count)s stage-log row the file no longer has was removed.",
                "%(count)s stage-log rows the file no longer has were removed.",
                removed,
                locale,
            )
            % {"count": removed}
        )
    if report.dry_run:
        click.echo(gettext("Dry run: nothing was written.", locale))


def _import(kind: str, path: Path, dry_run: bool) -> None:
    from services.exchange import import_master_data
    from services.exchange_deals import import_deal_history
    from services.exchange_deals import merge_into_core as merge_history_codes
    from services.exchange_i18n import merge_into_core

    merge_into_core()
    merge_history_codes()
    importer = import_deal_history if kind in HISTORY_IMPORTS else import_master_data
    locale = _locale()
    data = path.read_bytes()
    bar = _ProgressBar(locale)

    async def work():
        try:
            return await importer(kind, data, filename=path.name, progress=bar, dry_run=dry_run)
        except ImportFailed as error:
            return error

    try:
        result = run_db(work)
    finally:
        bar.close()
    if isinstance(result, ImportFailed):
        _print_failure(result, locale)
        sys.exit(1)
    _print_report(result, path, locale)


def _import_command(kind: str, help_text: str) -> Callable[..., None]:
    @import_group.command(kind, help=help_text)
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Check the file and count, write nothing.")
    def command(file: Path, dry_run: bool) -> None:
        _import(kind, file, dry_run)

    return command


import_partners_cmd = _import_command(
    "partners", "Partners (external id, name, roles, parent, manager, phones, e-mails...)."
)
import_counterparties_cmd = _import_command(
    "counterparties", "Counterparties of partners (ЄДРПОУ / РНОКПП, IBAN, address...)."
)
import_contacts_cmd = _import_command(
    "contacts", "Contact persons of partners (name, position, phones, e-mails...)."
)
import_deals_cmd = _import_command(
    "deals", "Deals by number (kind, stage, owner, partner, potential, status, dates, loss...)."
)
import_stage_log_cmd = _import_command(
    "stage-log", "The stage log of deals (deal, stage, entered, left, result): whole per deal."
)
import_interactions_cmd = _import_command(
    "interactions", "Calls, meetings, letters, notes of deals or partners (type, start, owner...)."
)


# --- export -------------------------------------------------------------------------------------


@click.group("export")
def export_group() -> None:
    """Export master data or sales history (deals, stage log, interactions, tasks)."""


def _export(kind: str, fmt: str, out: Path | None) -> None:
    from services.exchange import export_master_data
    from services.exchange_deals import export_deal_history

    exporter = export_deal_history if kind in HISTORY_EXPORTS else export_master_data
    locale = _locale()
    stdout = sys.stdout.buffer
    if out is None and fmt == "xlsx" and stdout.isatty():
        fail(gettext("An XLSX file cannot be shown in the terminal: add --out FILE.", locale))
    exported = run_db(exporter, kind, fmt, locale=locale)
    if out is None:
        stdout.write(exported.data)
        stdout.flush()
        return
    try:
        out.write_bytes(exported.data)
    except OSError as error:
        fail(
            gettext("Cannot write %(file)s: %(error)s", locale)
            % {"file": out, "error": error.strerror or error}
        )
    done = ngettext(
        "%(count)s record exported to %(file)s.",
        "%(count)s records exported to %(file)s.",
        exported.count,
        locale,
    )
    click.echo(done % {"count": exported.count, "file": out}, err=True)


def _export_command(kind: str, help_text: str) -> Callable[..., None]:
    @export_group.command(kind, help=help_text)
    @click.option(
        "--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="csv", show_default=True,
        help="csv: UTF-8 with BOM and ';' for Excel; json; xlsx.",
    )  # fmt: skip
    @click.option(
        "--out", type=click.Path(dir_okay=False, path_type=Path),
        help="Write to this file instead of the standard output.",
    )  # fmt: skip
    def command(fmt: str, out: Path | None) -> None:
        _export(kind, fmt, out)

    return command


export_partners_cmd = _export_command("partners", "Every partner, in the import's columns.")
export_counterparties_cmd = _export_command(
    "counterparties", "Every counterparty, in the import's columns."
)
export_contacts_cmd = _export_command("contacts", "Every contact person, in the import's columns.")
export_deals_cmd = _export_command("deals", "Every deal, in the import's columns.")
export_stage_log_cmd = _export_command(
    "stage-log", "The stage log of every deal, in route order, in the import's columns."
)
export_interactions_cmd = _export_command(
    "interactions", "Every interaction (crm:<id> keys), in the import's columns."
)
export_tasks_cmd = _export_command(
    "tasks", "Every task with its performer, checker, assignment step and status."
)


def _add_claims_export() -> None:
    """`crm export claims` is the same command as `crm claims export`."""
    from cli.claims import export_claims_cmd

    export_group.add_command(export_claims_cmd, "claims")


_add_claims_export()
