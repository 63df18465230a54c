"""`crm pipelines`: load process kinds from YAML, list them, show one with its stages."""

from __future__ import annotations

from pathlib import Path

import click

from cli.common import fail, locale, with_db
from core.errors import DomainError
from core.i18n import N_, gettext, ngettext
from models.base import ControlType
from services.i18n_extra_pipeline import translate_pipeline_error

CONTROL_NAMES = {
    ControlType.GUIDED: N_("guided (tasks move the deal)"),
    ControlType.MANUAL: N_("manual (moved by hand)"),
    ControlType.NONE: N_("no stages"),
}


def _t(message: str) -> str:
    return gettext(message, locale())


def _name(obj: object, loc: str) -> str:
    return str(getattr(obj, "name_en" if loc == "en" else "name_uk"))


@click.group("pipelines")
def pipelines_group() -> None:
    """Sales process kinds: load from YAML, list, show."""


@pipelines_group.command("load")
@click.argument(
    "file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--defaults", is_flag=True, help="Load the shipped kinds (typical_sale, simple_deal)."
)
def load_cmd(file: Path | None, defaults: bool) -> None:
    """Create or update process kinds from FILE (run it again: nothing changes)."""
    if (file is None) == (not defaults):
        fail(_t(N_("Give a YAML file or --defaults (one of them).")), 2)
    report = _load(file)
    loc = locale()
    for code in report.created:
        click.echo(gettext(N_("created: %(code)s"), loc) % {"code": code})
    for code in report.updated:
        click.echo(gettext(N_("updated: %(code)s"), loc) % {"code": code})
    for code in report.unchanged:
        click.echo(gettext(N_("unchanged: %(code)s"), loc) % {"code": code})
    lines = (
        ngettext("%(n)s stage added", "%(n)s stages added", report.stages_added, loc),
        ngettext("%(n)s stage updated", "%(n)s stages updated", report.stages_updated, loc),
        ngettext("%(n)s stage retired", "%(n)s stages retired", report.stages_retired, loc),
        ngettext("%(n)s stage restored", "%(n)s stages restored", report.stages_restored, loc),
        ngettext("%(n)s stage deleted", "%(n)s stages deleted", report.stages_deleted, loc),
    )
    numbers = (
        report.stages_added,
        report.stages_updated,
        report.stages_retired,
        report.stages_restored,
        report.stages_deleted,
    )
    for n, line in zip(numbers, lines, strict=True):
        if n:
            click.echo(line % {"n": n})


@with_db
async def _load(file: Path | None):  # type: ignore[no-untyped-def]
    from services.pipeline import load_default_pipelines, load_pipelines

    try:
        if file is None:
            return await load_default_pipelines()
        return await load_pipelines(file)
    except DomainError as error:
        raise click.ClickException(translate_pipeline_error(error, locale())) from None


@pipelines_group.command("list")
def list_cmd() -> None:
    """Every process kind with its control type and number of stages."""
    rows = _list()
    loc = locale()
    if not rows:
        click.echo(gettext(N_("No process kinds yet: run `crm pipelines load --defaults`."), loc))
        return
    for kind, active in rows:
        flags = "" if kind.allowed else " " + gettext(N_("(new deals not allowed)"), loc)
        stages = ngettext("%(n)s stage", "%(n)s stages", active, loc) % {"n": active}
        control = gettext(CONTROL_NAMES[kind.control_type], loc)
        click.echo(f"{kind.code}\t{_name(kind, loc)}\t{control}\t{stages}{flags}")


@with_db
async def _list():  # type: ignore[no-untyped-def]
    from services.pipeline import list_kinds, stages_in_order

    kinds = await list_kinds()
    return [(kind, len(await stages_in_order(kind.id, include_retired=False))) for kind in kinds]


@pipelines_group.command("show")
@click.argument("code")
def show_cmd(code: str) -> None:
    """One kind: its stages in route order with days, probability, checks and tasks."""
    details = _show(code)
    loc = locale()
    kind = details.kind
    click.echo(
        f"{_name(kind, loc)} ({kind.code}), {gettext(CONTROL_NAMES[kind.control_type], loc)}"
    )
    if kind.description:
        click.echo(kind.description)
    number = 0
    for stage in details.stages:
        if stage.retired:
            label = "-"
        else:
            number += 1
            label = str(number)
        days = ngettext("%(n)s day", "%(n)s days", stage.planned_days, loc) % {
            "n": stage.planned_days
        }
        retired = " " + gettext(N_("(retired)"), loc) if stage.retired else ""
        click.echo(
            f"{label}. {_name(stage, loc)} [{stage.code}] {days}, "
            f"{stage.default_probability}%{retired}"
        )
        if stage.exit_checks:
            label_checks = gettext(N_("exit checks"), loc)
            click.echo(f"   {label_checks}: {', '.join(stage.exit_checks)}")
        for template in stage.task_templates:
            title = template["title"].get(loc) or template["title"]["uk"]
            click.echo(f"   {gettext(N_('task'), loc)}: {title}")
        for item in stage.checklist:
            click.echo(f"   - {item.get(loc) or item['uk']}")
    if details.documents:
        click.echo(gettext(N_("Documents:"), loc))
        codes = {stage.id: stage.code for stage in details.stages}
        for doc in details.documents:
            where = f" [{codes[doc.stage_id]}]" if doc.stage_id else ""
            click.echo(f"   {doc.title} ({doc.doc_kind.value}){where}")


@with_db
async def _show(code: str):  # type: ignore[no-untyped-def]
    from services.pipeline import get_kind

    try:
        return await get_kind(code)
    except DomainError as error:
        raise click.ClickException(translate_pipeline_error(error, locale())) from None
