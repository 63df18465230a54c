"""`crm demo seed`: a consistent, deterministic demo company built through the services."""

from __future__ import annotations

import pytest
from tortoise.context import tortoise_test_context

from core.db import APP_LABEL, MODELS_MODULE
from models import (
    Counterparty,
    Deal,
    DealStageLog,
    Employee,
    Interaction,
    Partner,
    Shipment,
)
from models.base import DealStatus, StageResult
from services import validation
from services.demo import DemoAlreadySeeded, seed_demo
from tests.conftest import PG_URL, _drop_pg_database, fresh_db_url

DEALS = 30


async def _fingerprint() -> list[tuple]:
    partners = await Partner.all().order_by("external_id").values_list("external_id", "name")
    codes = await Counterparty.all().order_by("external_id").values_list("edrpou", "rnokpp", "iban")
    deals = await Deal.all().order_by("number").values_list(
        "number", "title", "status", "potential_minor"
    )
    return [tuple(partners), tuple(codes), tuple(deals)]


async def test_demo_histories_are_consistent(db):
    report = await seed_demo(7, deals_count=DEALS)
    assert report.deals == DEALS == report.won + report.lost + report.open
    assert report.won > 0 and report.lost > 0
    assert await Employee.filter(role="head").count() == 2
    # every open deal sits in exactly one current stage row, which is the deal's stage
    for deal in await Deal.all():
        current = await DealStageLog.filter(deal_id=deal.id, result=StageResult.CURRENT)
        if deal.status == DealStatus.OPEN:
            assert [row.stage_id for row in current] == [deal.stage_id], deal.number
        else:
            assert current == [], deal.number
            assert deal.ended_at is not None
        rows = await DealStageLog.filter(deal_id=deal.id)
        assert all(r.left_at is None or r.left_at >= r.entered_at for r in rows), deal.number
    lost = await Deal.filter(status=DealStatus.LOST)
    assert all(deal.loss_reason_id for deal in lost)
    assert await DealStageLog.filter(result=StageResult.LOST).count() == len(lost)
    # won deals have their goods shipped; every open deal has something planned
    won_ids = await Deal.filter(status=DealStatus.WON).values_list("id", flat=True)
    shipped = await Shipment.filter(deal_id__in=won_ids).values_list("deal_id", flat=True)
    assert set(shipped) == set(won_ids)
    for deal in await Deal.filter(status=DealStatus.OPEN):
        assert await Interaction.filter(deal_id=deal.id, done=False).exists(), deal.number
    # the requisites are valid Ukrainian codes
    for edrpou, rnokpp, iban in await Counterparty.all().values_list("edrpou", "rnokpp", "iban"):
        if edrpou:
            validation.check_edrpou(edrpou)
        if rnokpp:
            validation.check_rnokpp(rnokpp)
        validation.check_iban(iban)


async def test_seeding_twice_is_refused(db):
    await seed_demo(1, deals_count=2)
    with pytest.raises(DemoAlreadySeeded):
        await seed_demo(1, deals_count=2)


async def test_the_same_seed_gives_the_same_company(db):
    await seed_demo(3, deals_count=8)
    first = await _fingerprint()
    url = fresh_db_url()
    try:
        async with tortoise_test_context([MODELS_MODULE], db_url=url, app_label=APP_LABEL):
            await seed_demo(3, deals_count=8)
            second = await _fingerprint()
    finally:
        if PG_URL:
            await _drop_pg_database(url)
    assert first == second
    assert len(first[0]) > 50
