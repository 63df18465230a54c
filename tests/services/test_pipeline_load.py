"""Process kinds as data: the shipped defaults, idempotent loads, retire-not-delete, bad files."""

from __future__ import annotations

import pytest

from core.errors import ValidationFailed
from models import DealKind, DealStageLog, ProcessDocument, Stage
from models.base import ControlType, DocumentKind
from services.pipeline import (
    get_kind,
    list_kinds,
    list_stage_documents,
    load_default_pipelines,
    load_pipelines,
    move_to_stage,
)
from tests.factories import load_default_kinds, make_deal

KIND = """
code: tenders
name: {uk: Тендер, en: Tender}
control_type: manual
documents:
  - {title: Регламент тендерів, kind: regulation, body: Подаємо вчасно.}
stages:
  - code: found
    name: {uk: Знайдено, en: Found}
    planned_days: 1
    probability: 5
  - code: bid
    name: {uk: Заявка, en: Bid}
    planned_days: 5
    probability: 30
    rot_days: 4
    documents:
      - {title: Шаблон заявки, kind: template, body: "Заявка на участь"}
  - code: award
    name: {uk: Рішення, en: Award}
    planned_days: 10
    probability: 60
"""


async def _snapshot() -> list[tuple]:
    stages = await Stage.all().order_by("id").values_list("id", "code", "order", "retired")
    kinds = await DealKind.all().order_by("id").values_list("id", "code", "version")
    docs = await ProcessDocument.all().order_by("id").values_list("id", "title", "body")
    return [*kinds, *stages, *docs]


async def test_the_defaults_are_the_typical_sale_and_the_simple_deal(db):
    report = await load_default_pipelines()
    assert report.created == ["typical_sale", "simple_deal"]

    typical = await get_kind("typical_sale")
    assert typical.kind.control_type == ControlType.GUIDED
    assert (typical.kind.name_uk, typical.kind.name_en) == ("Типовий продаж", "Typical sale")
    assert [(s.code, s.planned_days) for s in typical.stages] == [
        ("primary_contact", 2), ("qualification", 2), ("offer", 3), ("presentation", 5),
        ("negotiation", 7), ("order", 1), ("confirm_obligations", 2), ("fulfilment", 14),
        ("result", 1),
    ]  # fmt: skip
    checks = {s.code: s.exit_checks for s in typical.stages}
    assert checks["primary_contact"] == ["done_interaction"]
    assert checks["order"] == ["counterparty_set", "order_exists"]
    assert checks["fulfilment"] == ["paid_and_shipped"]
    assert all(s.task_templates and s.checklist and s.rot_days for s in typical.stages)
    probabilities = [s.default_probability for s in typical.stages]
    assert probabilities == sorted(probabilities)
    performers = [t["performer"] for s in typical.stages for t in s.task_templates]
    assert {"type": "role", "role": "head"} in performers
    kinds_of_docs = {d.doc_kind for d in typical.documents}
    assert {
        DocumentKind.REGULATION,
        DocumentKind.INSTRUCTION,
        DocumentKind.TEMPLATE,
    } <= kinds_of_docs

    simple = await get_kind("simple_deal")
    assert simple.kind.control_type == ControlType.MANUAL
    assert len(simple.stages) == 5 and simple.stages[0].name_en == "New deal"
    assert [k.code for k in await list_kinds()] == ["simple_deal", "typical_sale"]


async def test_loading_the_same_file_again_changes_nothing(db):
    first = await load_pipelines(KIND)
    await load_default_pipelines()
    before = await _snapshot()
    again = await load_pipelines(KIND)
    defaults_again = await load_default_pipelines()

    assert first.created == ["tenders"] and first.stages_added == 3
    assert again.unchanged == ["tenders"] and again.updated == []
    assert (again.stages_added, again.stages_updated, again.documents_written) == (0, 0, 0)
    assert defaults_again.unchanged == ["typical_sale", "simple_deal"]
    assert await _snapshot() == before


async def test_a_kind_with_deals_retires_a_removed_stage_and_keeps_its_history(db, frozen_clock):
    await load_default_kinds()
    await load_pipelines(KIND)
    tender = await get_kind("tenders")
    bid = next(s for s in tender.stages if s.code == "bid")
    deal = await make_deal(kind_code="tenders")
    await move_to_stage(deal.id, bid.id, actor_id=None)
    without_bid = KIND.replace(
        KIND[KIND.index("  - code: bid") : KIND.index("  - code: award")], ""
    )
    changed = without_bid.replace("{uk: Рішення, en: Award}", "{uk: Рішення комісії, en: Award}")
    changed += """  - code: contract
    name: {uk: Договір, en: Contract}
    planned_days: 3
"""

    report = await load_pipelines(changed)

    assert report.updated == ["tenders"]
    assert (report.stages_retired, report.stages_added, report.stages_updated) == (1, 1, 1)
    stage = await Stage.get(id=bid.id)
    assert stage.retired  # not deleted: the deal's history still points at it
    assert await DealStageLog.filter(deal_id=deal.id, stage_id=bid.id).exists()
    details = await get_kind("tenders")
    assert [s.code for s in details.active_stages] == ["found", "award", "contract"]
    assert next(s for s in details.stages if s.code == "award").name_uk == "Рішення комісії"
    assert details.kind.version == 2
    # the deal still sits in the retired stage, may leave it, but nobody can enter it again
    award = next(s for s in details.stages if s.code == "award")
    await move_to_stage(deal.id, award.id, actor_id=None)
    with pytest.raises(ValidationFailed) as caught:
        await move_to_stage(deal.id, bid.id, actor_id=None)
    assert caught.value.params["reason"] == "retired_stage"
    # the stage document went with the stage; the kind's stays
    docs = await ProcessDocument.filter(kind_id=details.kind.id).values_list("title", flat=True)
    assert docs == ["Регламент тендерів"]

    restored = await load_pipelines(KIND)
    assert restored.stages_restored == 1 and not (await Stage.get(id=bid.id)).retired
    assert restored.stages_retired == 1  # "contract" now has a deal kind with deals: retired


async def test_a_kind_without_deals_simply_loses_the_removed_stage(db):
    await load_pipelines(KIND)
    without_award = KIND[: KIND.index("  - code: award")]
    report = await load_pipelines(without_award)
    assert report.stages_deleted == 1 and report.stages_retired == 0
    assert await Stage.filter(code="award").count() == 0


async def test_new_deals_start_at_the_first_active_stage(db, frozen_clock):
    await load_pipelines(KIND)
    await make_deal(kind_code="tenders")
    await load_pipelines(KIND.replace("  - code: found", "  - code: scouted"))
    deal = await make_deal(kind_code="tenders")
    assert (await Stage.get(id=deal.stage_id)).code == "scouted"


async def test_stage_documents_come_with_the_kinds_documents(db):
    await load_pipelines(KIND)
    bid = await Stage.get(code="bid")
    found = await Stage.get(code="found")
    assert [d.title for d in await list_stage_documents(bid.id)] == [
        "Регламент тендерів",
        "Шаблон заявки",
    ]
    assert [d.title for d in await list_stage_documents(found.id)] == ["Регламент тендерів"]


@pytest.mark.parametrize(
    ("text", "field", "reason"),
    [
        (KIND.replace("probability: 30", "probability: 130"), "tenders.stages[1].probability",
         "not_a_percent"),
        (KIND.replace("rot_days: 4", "rot_days: 4\n    exit_checks: [telepathy]"),
         "tenders.stages[1].exit_checks", "unknown_check"),
        (KIND.replace("code: award", "code: bid"), "tenders.stages[2].code", "duplicate_code"),
        (KIND.replace("control_type: manual", "control_type: chaotic"), "tenders.control_type",
         "bad_choice"),
        (KIND.replace("{uk: Заявка, en: Bid}", "{uk: Заявка}"), "tenders.stages[1].name.en",
         "required"),
        (KIND + "    tasks: [{code: t, title: T, performer: 'boss'}]\n",
         "tenders.stages[2].tasks[0].performer", "bad_performer"),
        ("code: [unclosed", "pipeline_file", "bad_yaml"),
        ("code: empty\nname: E\nstages: []\n", "empty.stages", "no_stages"),
    ],
)  # fmt: skip
async def test_a_bad_file_is_refused_with_the_place_of_the_problem(db, text, field, reason):
    with pytest.raises(ValidationFailed) as caught:
        await load_pipelines(text)
    assert (caught.value.params["field"], caught.value.params["reason"]) == (field, reason)
    assert await DealKind.all().count() == 0


async def test_a_file_path_is_read(db, tmp_path):
    path = tmp_path / "tenders.yaml"
    path.write_text(KIND, encoding="utf-8")
    report = await load_pipelines(str(path))
    assert report.created == ["tenders"]
