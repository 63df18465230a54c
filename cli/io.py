"""`crm import ...` and `crm export ...`: partners, counterparties and contact persons as files.

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
EXPORT_FORMATS = ("csv", "json", "xlsx")
# Files shorter than this import in a blink: no progress bar.
PROGRESS_FROM_ROWS = 500

PHASES = {"check": N_("Checking"), "write": N_("Writing")}


def _locale() -> str:
    return settings().default_locale


# --- import -------------------------------------------------------------------------------------


@click.group("import")
def import_group() -> None:
    """Import partners, counterparties or contact persons from a CSV or XLSX file."""


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
    if report.dry_run:
        click.echo(gettext("Dry run: nothing was written.", locale))


def _import(kind: str, path: Path, dry_run: bool) -> None:
    from services.exchange import import_master_data
    from services.exchange_i18n import merge_into_core

    merge_into_core()
    locale = _locale()
    data = path.read_bytes()
    bar = _ProgressBar(locale)

    async def work():
        try:
            return await import_master_data(
                kind, data, filename=path.name, progress=bar, dry_run=dry_run
            )
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


# --- export -------------------------------------------------------------------------------------


@click.group("export")
def export_group() -> None:
    """Export partners, counterparties or contact persons as CSV, JSON or XLSX."""


def _export(kind: str, fmt: str, out: Path | None) -> None:
    from services.exchange import export_master_data

    locale = _locale()
    stdout = sys.stdout.buffer
    if out is None and fmt == "xlsx" and stdout.isatty():
        fail(gettext("An XLSX file cannot be shown in the terminal: add --out FILE.", locale))
    exported = run_db(export_master_data, kind, fmt, locale=locale)
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
