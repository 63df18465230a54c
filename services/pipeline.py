"""Process kinds, stages, the stage log, manual moves and the guided route.

Process kinds are data (YAML, see `services/pipelines/*.yaml`): `load_pipelines` upserts them by
code. Changing a kind never rewrites history: a stage removed from the file is *retired* (kept,
hidden from new moves) while the kind has deals, and deleted only when nothing refers to it.

The stage log (`DealStageLog`) keeps 1C's semantics: one row per (deal, stage); entering a stage
opens a row (result `current`); a forward move closes it as `passed` and logs every skipped
stage as passed with `skipped=True`; a move back deletes the rows of the stages after the target
and reopens the target's row (as 1C does), while the append-only `DealEvent` log keeps what
really happened, including the removed rows. So while a deal is open exactly one row is current
and it is the deal's stage; when it is won or lost none is current, and a lost deal has exactly
one `lost` row: the stage where it was lost. Durations are computed from timestamps in exact
days (`row_days`, `stage_durations`), and open rows are left out of averages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from tortoise.transactions import in_transaction

from core import clock
from core.errors import DomainError, NotFound, ValidationFailed
from models import (
    Deal,
    DealKind,
    DealStageLog,
    Employee,
    ProcessDocument,
    Stage,
    Task,
)
from models.base import (
    ControlType,
    DealStatus,
    DocumentKind,
    Importance,
    Role,
    StageResult,
    TaskStatus,
)
from services.audit import claim_deal, record_event
from services.checks import EXIT_CHECKS, require_exit_checks, run_exit_checks

DEFAULTS_DIR = Path(__file__).resolve().parent / "pipelines"
DEFAULT_FILES = ("typical_sale.yaml", "simple_deal.yaml")
SECONDS_PER_DAY = 86_400


class DealStateConflict(DomainError):
    """The command does not fit the deal's state: closed, guided, already manual..."""

    code = "deal_state_conflict"


# --- process files ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentSpec:
    title: str
    doc_kind: str
    body: str


@dataclass(frozen=True)
class StageSpec:
    code: str
    name_uk: str
    name_en: str
    planned_days: int
    default_probability: int
    rot_days: int | None
    checklist: list[dict[str, str]]
    exit_checks: list[str]
    task_templates: list[dict[str, Any]]
    documents: list[DocumentSpec]

    def values(self, order: int) -> dict[str, Any]:
        return {
            "name_uk": self.name_uk,
            "name_en": self.name_en,
            "order": order,
            "planned_days": self.planned_days,
            "default_probability": self.default_probability,
            "rot_days": self.rot_days,
            "checklist": self.checklist,
            "exit_checks": self.exit_checks,
            "task_templates": self.task_templates,
            "retired": False,
        }


@dataclass(frozen=True)
class KindSpec:
    code: str
    name_uk: str
    name_en: str
    control_type: ControlType
    description: str
    allowed: bool
    stages: list[StageSpec]
    documents: list[DocumentSpec]

    def values(self) -> dict[str, Any]:
        return {
            "name_uk": self.name_uk,
            "name_en": self.name_en,
            "control_type": self.control_type,
            "description": self.description,
            "allowed": self.allowed,
        }


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    stages_added: int = 0
    stages_updated: int = 0
    stages_retired: int = 0
    stages_restored: int = 0
    stages_deleted: int = 0
    documents_written: int = 0
    documents_removed: int = 0


def _bad(path: str, reason: str, **params: Any) -> ValidationFailed:
    return ValidationFailed("invalid", field=path, reason=reason, **params)


def _names(raw: dict[str, Any], path: str) -> tuple[str, str]:
    name = raw.get("name")
    if isinstance(name, dict):
        uk, en = name.get("uk"), name.get("en")
    else:
        uk = raw.get("name_uk", name)
        en = raw.get("name_en", name)
    if not isinstance(uk, str) or not uk.strip():
        raise _bad(f"{path}.name.uk", "required")
    if not isinstance(en, str) or not en.strip():
        raise _bad(f"{path}.name.en", "required")
    if len(uk) > 200 or len(en) > 200:
        raise _bad(f"{path}.name", "too_long", max=200)
    return uk.strip(), en.strip()


def _code(raw: dict[str, Any], path: str) -> str:
    code = raw.get("code")
    if not isinstance(code, str) or not code.strip():
        raise _bad(f"{path}.code", "required")
    code = code.strip()
    if len(code) > 64:
        raise _bad(f"{path}.code", "too_long", max=64)
    return code


def _int(raw: dict[str, Any], key: str, path: str, *, default: int | None, high: int) -> int | None:
    value = raw.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
        raise _bad(f"{path}.{key}", "bad_number")
    return value


def _bilingual(value: Any, path: str) -> dict[str, str]:
    if isinstance(value, str) and value.strip():
        return {"uk": value.strip(), "en": value.strip()}
    if isinstance(value, dict):
        uk, en = value.get("uk"), value.get("en")
        if isinstance(uk, str) and uk.strip() and isinstance(en, str) and en.strip():
            return {"uk": uk.strip(), "en": en.strip()}
    raise _bad(path, "required")


def _performer(value: Any, path: str) -> dict[str, str]:
    if value is None or value == "owner":
        return {"type": "owner"}
    if isinstance(value, str) and ":" in value:
        head, _, ref = value.partition(":")
        value = {head.strip(): ref.strip()}
    if isinstance(value, dict) and len(value) == 1:
        ((key, ref),) = value.items()
        if key == "role" and ref in {role.value for role in Role}:
            return {"type": "role", "role": ref}
        if key == "employee" and isinstance(ref, str) and ref.strip():
            return {"type": "employee", "ref": ref.strip().lstrip("@")}
    raise _bad(path, "bad_performer")


def _documents(raw: Any, path: str) -> list[DocumentSpec]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _bad(path, "bad_choice", choices="a list")
    docs = []
    titles: set[str] = set()
    choices = ", ".join(kind.value for kind in DocumentKind)
    for index, item in enumerate(raw):
        here = f"{path}[{index}]"
        if not isinstance(item, dict):
            raise _bad(here, "required")
        title = item.get("title")
        if not isinstance(title, str) or not title.strip():
            raise _bad(f"{here}.title", "required")
        if len(title) > 300:
            raise _bad(f"{here}.title", "too_long", max=300)
        if title.strip() in titles:
            raise _bad(f"{here}.title", "duplicate_code", value=title.strip())
        titles.add(title.strip())
        doc_kind = item.get("kind", DocumentKind.OTHER.value)
        if doc_kind not in {kind.value for kind in DocumentKind}:
            raise _bad(f"{here}.kind", "bad_choice", choices=choices)
        body = item.get("body", "")
        if not isinstance(body, str):
            raise _bad(f"{here}.body", "required")
        docs.append(DocumentSpec(title=title.strip(), doc_kind=doc_kind, body=body.rstrip()))
    return docs


def _task_templates(raw: Any, path: str, planned_days: int) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _bad(path, "bad_choice", choices="a list")
    templates = []
    codes: set[str] = set()
    importances = {item.value for item in Importance}
    for index, item in enumerate(raw):
        here = f"{path}[{index}]"
        if not isinstance(item, dict):
            raise _bad(here, "required")
        code = _code(item, here)
        if code in codes:
            raise _bad(f"{here}.code", "duplicate_code", value=code)
        codes.add(code)
        importance = item.get("importance", Importance.NORMAL.value)
        if importance not in importances:
            raise _bad(f"{here}.importance", "bad_choice", choices=", ".join(sorted(importances)))
        due_days = _int(item, "due_days", here, default=planned_days, high=3650)
        templates.append(
            {
                "code": code,
                "title": _bilingual(item.get("title"), f"{here}.title"),
                "performer": _performer(item.get("performer"), f"{here}.performer"),
                "due_days": due_days,
                "importance": importance,
            }
        )
    return templates


def _stage(raw: Any, path: str) -> StageSpec:
    if not isinstance(raw, dict):
        raise _bad(path, "required")
    code = _code(raw, path)
    name_uk, name_en = _names(raw, path)
    planned = _int(raw, "planned_days", path, default=0, high=3650) or 0
    probability = raw.get("probability", raw.get("default_probability", 0))
    if (
        isinstance(probability, bool)
        or not isinstance(probability, int)
        or not (0 <= probability <= 100)
    ):
        raise _bad(f"{path}.probability", "not_a_percent")
    checklist_raw = raw.get("checklist") or []
    if not isinstance(checklist_raw, list):
        raise _bad(f"{path}.checklist", "bad_choice", choices="a list")
    checklist = [
        _bilingual(item, f"{path}.checklist[{index}]") for index, item in enumerate(checklist_raw)
    ]
    checks = raw.get("exit_checks") or []
    if not isinstance(checks, list):
        raise _bad(f"{path}.exit_checks", "bad_choice", choices=", ".join(EXIT_CHECKS))
    for check in checks:
        if check not in EXIT_CHECKS:
            raise _bad(f"{path}.exit_checks", "unknown_check", value=str(check))
    return StageSpec(
        code=code,
        name_uk=name_uk,
        name_en=name_en,
        planned_days=planned,
        default_probability=probability,
        rot_days=_int(raw, "rot_days", path, default=None, high=3650),
        checklist=checklist,
        exit_checks=list(dict.fromkeys(checks)),
        task_templates=_task_templates(raw.get("tasks"), f"{path}.tasks", planned),
        documents=_documents(raw.get("documents"), f"{path}.documents"),
    )


def _kind(raw: Any, path: str) -> KindSpec:
    if not isinstance(raw, dict):
        raise _bad(path, "required")
    code = _code(raw, path)
    path = code
    name_uk, name_en = _names(raw, path)
    control = raw.get("control_type", ControlType.MANUAL.value)
    if control not in {item.value for item in ControlType}:
        choices = ", ".join(item.value for item in ControlType)
        raise _bad(f"{path}.control_type", "bad_choice", choices=choices)
    stages_raw = raw.get("stages") or []
    if not isinstance(stages_raw, list):
        raise _bad(f"{path}.stages", "no_stages")
    stages = [_stage(item, f"{path}.stages[{index}]") for index, item in enumerate(stages_raw)]
    if control != ControlType.NONE.value and not stages:
        raise _bad(f"{path}.stages", "no_stages")
    seen: set[str] = set()
    for index, stage in enumerate(stages):
        if stage.code in seen:
            raise _bad(f"{path}.stages[{index}].code", "duplicate_code", value=stage.code)
        seen.add(stage.code)
    allowed = raw.get("allowed", True)
    description = raw.get("description", "")
    if not isinstance(allowed, bool):
        raise _bad(f"{path}.allowed", "bad_choice", choices="true, false")
    if not isinstance(description, str):
        raise _bad(f"{path}.description", "required")
    return KindSpec(
        code=code,
        name_uk=name_uk,
        name_en=name_en,
        control_type=ControlType(control),
        description=description.strip(),
        allowed=allowed,
        stages=stages,
        documents=_documents(raw.get("documents"), f"{path}.documents"),
    )


def parse_pipelines(text: str) -> list[KindSpec]:
    """Validate a process file (pure); the first problem raises `ValidationFailed` whose `field`
    is the path inside the file, e.g. `typical_sale.stages[2].exit_checks`."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        detail = str(getattr(error, "problem", "") or error).strip()
        raise _bad("pipeline_file", "bad_yaml", detail=detail) from None
    if isinstance(data, dict) and "kinds" in data:
        data = data["kinds"]
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not data:
        raise _bad("pipeline_file", "required")
    specs = [_kind(item, f"kinds[{index}]") for index, item in enumerate(data)]
    codes = [spec.code for spec in specs]
    for code in codes:
        if codes.count(code) > 1:
            raise _bad("pipeline_file", "duplicate_code", value=code)
    return specs


def _read_source(source: str | Path) -> str:
    if isinstance(source, Path):
        return source.read_text(encoding="utf-8")
    looks_like_path = "\n" not in source and source.strip().endswith((".yaml", ".yml"))
    if looks_like_path:
        return Path(source.strip()).read_text(encoding="utf-8")
    return source


async def load_pipelines(source: str | Path) -> LoadReport:
    """Upsert the process kinds of a YAML text or file by code, in one transaction.

    Loading the same file twice changes nothing (the report lists the kinds as unchanged).
    """
    specs = parse_pipelines(_read_source(source))
    report = LoadReport()
    async with in_transaction():
        for spec in specs:
            await _upsert_kind(spec, report)
    return report


async def load_default_pipelines() -> LoadReport:
    """The shipped kinds: "Типовий продаж" (guided) and "Проста угода" (manual)."""
    specs = [
        spec
        for name in DEFAULT_FILES
        for spec in parse_pipelines((DEFAULTS_DIR / name).read_text(encoding="utf-8"))
    ]
    report = LoadReport()
    async with in_transaction():
        for spec in specs:
            await _upsert_kind(spec, report)
    return report


async def ensure_default_pipelines() -> LoadReport | None:
    """The shipped kinds on a database that has no process kind at all (a fresh install can
    take deals at once); None when any kind exists, so an administrator's kinds and edits are
    never overwritten on start."""
    if await DealKind.exists():
        return None
    return await load_default_pipelines()


async def _upsert_kind(spec: KindSpec, report: LoadReport) -> None:
    kind = await DealKind.filter(code=spec.code).order_by("-version").first()
    if kind is None:
        kind = await DealKind.create(code=spec.code, version=1, **spec.values())
        for index, stage_spec in enumerate(spec.stages):
            await Stage.create(kind=kind, code=stage_spec.code, **stage_spec.values(_order(index)))
            report.stages_added += 1
        await _sync_documents(kind, spec, report)
        report.created.append(spec.code)
        return

    changed = False
    kind_diff = {key: value for key, value in spec.values().items() if getattr(kind, key) != value}
    if kind_diff:
        changed = True
        for key, value in kind_diff.items():
            setattr(kind, key, value)

    existing = {stage.code: stage for stage in await Stage.filter(kind_id=kind.id)}
    for index, stage_spec in enumerate(spec.stages):
        values = stage_spec.values(_order(index))
        stage = existing.pop(stage_spec.code, None)
        if stage is None:
            await Stage.create(kind=kind, code=stage_spec.code, **values)
            report.stages_added += 1
            changed = True
            continue
        diff = {key: value for key, value in values.items() if getattr(stage, key) != value}
        if diff:
            if stage.retired:
                report.stages_restored += 1
            else:
                report.stages_updated += 1
            await Stage.filter(id=stage.id).update(**diff)
            changed = True

    has_deals = await Deal.filter(kind_id=kind.id).exists()
    for stage in existing.values():
        if stage.retired:
            continue
        if has_deals or await DealStageLog.filter(stage_id=stage.id).exists():
            await Stage.filter(id=stage.id).update(retired=True)
            report.stages_retired += 1
        else:
            await stage.delete()
            report.stages_deleted += 1
        changed = True

    if await _sync_documents(kind, spec, report):
        changed = True
    if changed:
        kind.version += 1
        await kind.save()
        report.updated.append(spec.code)
    else:
        report.unchanged.append(spec.code)


def _order(index: int) -> int:
    return (index + 1) * 10


async def _sync_documents(kind: DealKind, spec: KindSpec, report: LoadReport) -> bool:
    """Text documents of the file replace the kind's text documents; uploaded files stay."""
    stage_ids = {stage.code: stage.id for stage in await Stage.filter(kind_id=kind.id)}
    wanted: dict[tuple[int | None, str], DocumentSpec] = {
        (None, doc.title): doc for doc in spec.documents
    }
    for stage_spec in spec.stages:
        for doc in stage_spec.documents:
            wanted[(stage_ids[stage_spec.code], doc.title)] = doc
    changed = False
    existing = await ProcessDocument.filter(kind_id=kind.id, file_id=None)
    for document in existing:
        doc = wanted.pop((document.stage_id, document.title), None)
        if doc is None:
            await document.delete()
            report.documents_removed += 1
            changed = True
        elif document.body != doc.body or document.doc_kind != doc.doc_kind:
            document.body, document.doc_kind = doc.body, DocumentKind(doc.doc_kind)
            await document.save()
            report.documents_written += 1
            changed = True
    for (stage_id, title), doc in wanted.items():
        await ProcessDocument.create(
            kind=kind, stage_id=stage_id, title=title, doc_kind=doc.doc_kind, body=doc.body
        )
        report.documents_written += 1
        changed = True
    return changed


# --- kinds and stages: queries ----------------------------------------------------------------


@dataclass(frozen=True)
class KindDetails:
    kind: DealKind
    stages: list[Stage]  # in route order; retired ones included (see `Stage.retired`)
    documents: list[ProcessDocument]

    @property
    def active_stages(self) -> list[Stage]:
        return [stage for stage in self.stages if not stage.retired]


async def list_kinds(*, allowed_only: bool = False) -> list[DealKind]:
    query = DealKind.all()
    if allowed_only:
        query = query.filter(allowed=True)
    return await query.order_by("code", "-version")


async def find_kind(code: str) -> DealKind | None:
    return await DealKind.filter(code=code).order_by("-version").first()


async def get_kind(code: str) -> KindDetails:
    """A kind by code with its stages (route order) and documents; raises NotFound."""
    kind = await find_kind(code)
    if kind is None:
        raise NotFound("not_found", what="kind")
    stages = await stages_in_order(kind.id)
    documents = await ProcessDocument.filter(kind_id=kind.id).order_by("stage_id", "id")
    return KindDetails(kind=kind, stages=stages, documents=documents)


async def stages_in_order(kind_id: int, *, include_retired: bool = True) -> list[Stage]:
    stages = await Stage.filter(kind_id=kind_id)
    stages.sort(key=lambda stage: (stage.order, stage.id))
    return [stage for stage in stages if include_retired or not stage.retired]


async def get_stage(stage_id: int) -> Stage:
    stage = await Stage.get_or_none(id=stage_id)
    if stage is None:
        raise NotFound("not_found", what="stage")
    return stage


async def list_stage_documents(stage_id: int) -> list[ProcessDocument]:
    """Documents of the stage and of its kind (the "instructions for the deal" button)."""
    stage = await get_stage(stage_id)
    docs = await ProcessDocument.filter(kind_id=stage.kind_id).order_by("id")
    return [doc for doc in docs if doc.stage_id in (None, stage.id)]


# --- the stage log ----------------------------------------------------------------------------


def row_days(row: DealStageLog, *, until: dt.datetime | None = None) -> float | None:
    """Exact days spent in the row's stage; None for an open row unless `until` is given."""
    end = row.left_at or until
    if end is None:
        return None
    return (end - row.entered_at).total_seconds() / SECONDS_PER_DAY


async def list_stage_log(deal_id: int) -> list[DealStageLog]:
    """The deal's log rows in route order, with their stages."""
    rows = await DealStageLog.filter(deal_id=deal_id).prefetch_related("stage")
    rows.sort(key=lambda row: (row.stage.order, row.stage.id, row.id))
    return rows


@dataclass(frozen=True)
class StageDuration:
    stage_id: int
    code: str
    name_uk: str
    name_en: str
    retired: bool
    average_days: float | None  # over closed, not skipped rows; None without any
    closed_rows: int
    open_rows: int  # left out of the average


async def stage_durations(kind_id: int) -> list[StageDuration]:
    """Average exact days per stage of a kind (one SQL aggregate, SQLite and PostgreSQL)."""
    conn = DealStageLog._meta.db
    if conn.capabilities.dialect == "sqlite":
        days = "(julianday(l.left_at) - julianday(l.entered_at))"
        param = "?"
    else:
        days = "(EXTRACT(EPOCH FROM (l.left_at - l.entered_at)) / 86400.0)"
        param = "$1"
    sql = f"""
        SELECT l.stage_id AS stage_id,
               SUM(CASE WHEN l.left_at IS NOT NULL AND NOT l.skipped THEN 1 ELSE 0 END) AS closed,
               SUM(CASE WHEN l.left_at IS NULL THEN 1 ELSE 0 END) AS open_rows,
               AVG(CASE WHEN l.left_at IS NOT NULL AND NOT l.skipped THEN {days} END) AS avg_days
        FROM deal_stage_log l JOIN stage s ON s.id = l.stage_id
        WHERE s.kind_id = {param}
        GROUP BY l.stage_id
    """
    rows = await conn.execute_query_dict(sql, [kind_id])
    by_stage = {int(row["stage_id"]): row for row in rows}
    result = []
    for stage in await stages_in_order(kind_id):
        row = by_stage.get(stage.id, {})
        average = row.get("avg_days")
        result.append(
            StageDuration(
                stage_id=stage.id,
                code=stage.code,
                name_uk=stage.name_uk,
                name_en=stage.name_en,
                retired=stage.retired,
                average_days=float(average) if average is not None else None,
                closed_rows=int(row.get("closed") or 0),
                open_rows=int(row.get("open_rows") or 0),
            )
        )
    return result


async def open_stage_row(deal: Deal, stage: Stage, at: dt.datetime) -> DealStageLog:
    return await DealStageLog.create(
        deal_id=deal.id,
        stage_id=stage.id,
        entered_at=at,
        result=StageResult.CURRENT,
        potential_minor=deal.potential_minor,
        responsible_id=deal.owner_id,
        created_at=at,
    )


async def close_stage_row(deal: Deal, result: StageResult, at: dt.datetime) -> None:
    """Close the current row (deal won: `passed`; lost: `lost`)."""
    await DealStageLog.filter(deal_id=deal.id, result=StageResult.CURRENT).update(
        result=result, left_at=at
    )


async def reopen_stage_row(deal: Deal, at: dt.datetime) -> None:
    """Reopened deal: the row of its stage is current again (end cleared, as in 1C)."""
    if deal.stage_id is None:
        return
    row = await DealStageLog.filter(deal_id=deal.id, stage_id=deal.stage_id).first()
    if row is None:
        stage = await get_stage(deal.stage_id)
        await open_stage_row(deal, stage, at)
        return
    await DealStageLog.filter(id=row.id).update(result=StageResult.CURRENT, left_at=None)


async def _move(deal: Deal, target: Stage, *, actor_id: int | None, cause: str) -> None:
    """Move an open deal to `target`, keeping the log consistent; no checks here."""
    now = clock.now()
    stages = await stages_in_order(deal.kind_id)
    position = {stage.id: index for index, stage in enumerate(stages)}
    rows = await DealStageLog.filter(deal_id=deal.id)
    by_stage = {row.stage_id: row for row in rows}
    source = next(stage for stage in stages if stage.id == deal.stage_id)
    data: dict[str, Any] = {"from": source.code, "to": target.code, "cause": cause}
    if position[target.id] > position[source.id]:
        data["direction"] = "forward"
        await close_stage_row(deal, StageResult.PASSED, now)
        skipped = []
        for stage in stages[position[source.id] + 1 : position[target.id]]:
            if stage.retired or stage.id in by_stage:
                continue
            await DealStageLog.create(
                deal_id=deal.id,
                stage_id=stage.id,
                entered_at=now,
                left_at=now,
                result=StageResult.PASSED,
                potential_minor=deal.potential_minor,
                responsible_id=deal.owner_id,
                skipped=True,
                created_at=now,
            )
            skipped.append(stage.code)
        data["skipped"] = skipped
    else:
        data["direction"] = "back"
        removed = [row for row in rows if position[row.stage_id] > position[target.id]]
        codes = {stage.id: stage.code for stage in stages}
        data["removed_rows"] = [
            {
                "stage": codes[row.stage_id],
                "entered_at": row.entered_at,
                "left_at": row.left_at,
                "result": row.result.value,
                "skipped": row.skipped,
            }
            for row in removed
        ]
        if removed:
            await DealStageLog.filter(id__in=[row.id for row in removed]).delete()
    target_row = by_stage.get(target.id)
    if target_row is None:
        await open_stage_row(deal, target, now)
    else:
        await DealStageLog.filter(id=target_row.id).update(
            result=StageResult.CURRENT, left_at=None, skipped=False
        )
    deal.stage_id = target.id
    deal.checklist_confirmed = False
    await Deal.filter(id=deal.id).update(stage_id=target.id, checklist_confirmed=False)
    await record_event(deal.id, "stage_moved", actor_id=actor_id, data=data, at=now)
    if deal.guided and deal.status == DealStatus.OPEN:
        await create_stage_tasks(deal, target, now)


async def move_to_stage(
    deal_id: int, stage_id: int, *, actor_id: int | None, expected_version: int | None = None
) -> Deal:
    """Manual mode: forward, back or jump to any active stage of the deal's kind."""
    async with in_transaction():
        deal = await claim_deal(deal_id, expected_version)
        if deal.status != DealStatus.OPEN:
            raise DealStateConflict("deal_closed", number=deal.number)
        if deal.guided:
            raise DealStateConflict("deal_guided", number=deal.number)
        if deal.stage_id is None:
            raise DealStateConflict("deal_without_stages", number=deal.number)
        target = await get_stage(stage_id)
        if target.kind_id != deal.kind_id:
            raise ValidationFailed("invalid", field="stage", reason="other_kind")
        if target.retired:
            raise ValidationFailed("invalid", field="stage", reason="retired_stage")
        if target.id == deal.stage_id:
            raise ValidationFailed("invalid", field="stage", reason="same_stage")
        await _move(deal, target, actor_id=actor_id, cause="manual")
    return deal


async def finish_won(deal: Deal, *, actor_id: int | None, via: str) -> None:
    """Close an open, claimed deal as won (the current row is passed)."""
    now = clock.now()
    await close_stage_row(deal, StageResult.PASSED, now)
    await cancel_route_tasks(deal.id, now)
    deal.status, deal.closed, deal.ended_at = DealStatus.WON, True, now
    await Deal.filter(id=deal.id).update(status=DealStatus.WON, closed=True, ended_at=now)
    stage = await Stage.get_or_none(id=deal.stage_id) if deal.stage_id else None
    await record_event(
        deal.id,
        "won",
        actor_id=actor_id,
        at=now,
        data={
            "via": via,
            "stage": stage.code if stage else None,
            "potential_minor": deal.potential_minor,
        },
    )


# --- the guided route -------------------------------------------------------------------------


async def advance_route(
    deal_id: int, *, actor_id: int | None, expected_version: int | None = None
) -> Deal:
    """Leave the current stage of a guided deal when its exit checks hold: enter the next
    active stage (creating its tasks) or, after the last one, close the deal as won.
    Call inside a transaction. Raises `ExitChecksNotMet` listing what is missing."""
    deal = await claim_deal(deal_id, expected_version)
    if deal.status != DealStatus.OPEN:
        raise DealStateConflict("deal_closed", number=deal.number)
    if not deal.guided:
        raise DealStateConflict("deal_already_manual", number=deal.number)
    current = await get_stage(deal.stage_id) if deal.stage_id else None
    if current is None:
        raise DealStateConflict("deal_without_stages", number=deal.number)
    require_exit_checks(await run_exit_checks(deal, current))
    stages = await stages_in_order(deal.kind_id)
    index = next(i for i, stage in enumerate(stages) if stage.id == current.id)
    following = [stage for stage in stages[index + 1 :] if not stage.retired]
    if following:
        await _move(deal, following[0], actor_id=actor_id, cause="route")
    else:
        await finish_won(deal, actor_id=actor_id, via="route")
    return deal


async def after_route_task_done(task: Task, *, actor_id: int | None) -> Deal | None:
    """Called by `services.tasks.complete_task` (inside its transaction) for a route task:
    advances the route when it was the stage's last open task. Returns the deal if it moved."""
    deal = await Deal.get_or_none(id=task.deal_id)
    if deal is None or deal.status != DealStatus.OPEN or not deal.guided:
        return None
    if deal.stage_id != task.stage_id:
        return None  # a task of a stage the deal has already left
    still_open = await Task.filter(
        deal_id=deal.id, stage_id=deal.stage_id, status=TaskStatus.OPEN
    ).exists()
    if still_open:
        return None
    return await advance_route(deal.id, actor_id=actor_id)


async def _performer_for(deal: Deal, rule: dict[str, str], owner: Employee) -> Employee:
    if rule.get("type") == "role":
        candidates = Employee.filter(role=rule["role"], active=True)
        if owner.team_id is not None:
            same_team = await candidates.filter(team_id=owner.team_id).order_by("id").first()
            if same_team is not None:
                return same_team
        found = await candidates.order_by("id").first()
        return found or owner
    if rule.get("type") == "employee":
        ref = rule["ref"]
        found = await Employee.filter(active=True, telegram_username__iexact=ref).first()
        if found is None:
            found = await Employee.filter(active=True, email__iexact=ref).first()
        return found or owner
    return owner


def _local(texts: dict[str, str], locale: str) -> str:
    return texts.get(locale) or texts.get("uk") or next(iter(texts.values()), "")


async def create_stage_tasks(deal: Deal, stage: Stage, at: dt.datetime) -> list[Task]:
    """The stage's tasks for a guided deal (title in the performer's language, the stage
    checklist attached, due in N days). A stage without templates gets one task for the owner,
    so a guided route can always go on."""
    owner = await Employee.get(id=deal.owner_id)
    templates = stage.task_templates or [
        {
            "code": stage.code,
            "title": {"uk": stage.name_uk, "en": stage.name_en},
            "performer": {"type": "owner"},
            "due_days": stage.planned_days,
            "importance": Importance.NORMAL.value,
        }
    ]
    tasks = []
    for template in templates:
        performer = await _performer_for(deal, template.get("performer", {}), owner)
        locale = performer.locale or "uk"
        due_days = template.get("due_days")
        days = stage.planned_days if due_days is None else due_days
        tasks.append(
            await Task.create(
                title=_local(template["title"], locale)[:500],
                description="",
                checklist=[
                    {"text": _local(item, locale), "done": False} for item in stage.checklist
                ],
                performer_id=performer.id,
                author_id=deal.owner_id,
                due_at=at + dt.timedelta(days=days),
                importance=template.get("importance", Importance.NORMAL.value),
                status=TaskStatus.OPEN,
                deal_id=deal.id,
                partner_id=deal.partner_id,
                stage_id=stage.id,
                template_code=template["code"],
                created_at=at,
            )
        )
    return tasks


async def cancel_route_tasks(deal_id: int, at: dt.datetime) -> int:
    """Open route tasks of the deal are cancelled (deal closed, or switched to manual)."""
    return await Task.filter(
        deal_id=deal_id, status=TaskStatus.OPEN, stage_id__isnull=False
    ).update(status=TaskStatus.CANCELLED, completed_at=at)
