"""`crm deal show N`: a guided deal with its whole history, as JSON and as text."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from core import clock
from core.config import get_settings
from models import Deal, LossReason, Stage, Task
from models.base import TaskStatus
from services.deals import mark_lost, mark_won, set_potential, switch_to_manual, update_deal
from services.environment import add_participant
from services.interactions import log_interaction
from services.pipeline import move_to_stage
from services.tasks import complete_task, create_assignment
from tests.cli.conftest import crm_run, run_in_db
from tests.factories import (
    load_default_kinds,
    make_agreement,
    make_competitor,
    make_contact,
    make_deal,
    make_employee,
    make_partner,
)

NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
DAY0 = dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.UTC)  # 11:00 in Kyiv


def at(days: float) -> dt.datetime:
    return DAY0 + dt.timedelta(days=days)


async def _complete_open_tasks(deal_id: int, actor_id: int) -> None:
    for task in await Task.filter(deal_id=deal_id, status=TaskStatus.OPEN, stage_id__isnull=False):
        await complete_task(task.id, "зроблено", actor_id=actor_id)


async def _closed_history(owner, client) -> None:
    """Two won and one lost deal of the same kind: the probability has samples to show."""
    presentation = await Stage.get(code="presentation")
    for won in (True, True, False):
        with clock.simulated(at(-30)):
            deal = await make_deal(kind_code="typical_sale", owner=owner, partner=client)
            await switch_to_manual(deal.id, actor_id=owner.id)
            await move_to_stage(deal.id, presentation.id, actor_id=owner.id)
        with clock.simulated(at(-20)):
            if won:
                await mark_won(deal.id, actor_id=owner.id)
            else:
                reason = await LossReason.get(code="price_too_high")
                await mark_lost(deal.id, reason.id, actor_id=owner.id)


async def build_guided_history() -> str:
    """A "Типовий продаж" deal that went through three stages and sits in the fourth."""
    clock.freeze(NOW)
    await load_default_kinds()
    owner = await make_employee(full_name="Олена Коваль", email="o.koval@firm.ua")
    checker = await make_employee(full_name="Ігор Бондар")
    client = await make_partner(name="ТОВ «Агросвіт»")
    await _closed_history(owner, client)
    with clock.simulated(at(0)):
        deal = await make_deal(
            kind_code="typical_sale", owner=owner, partner=client, title="Поставка насіння"
        )
        await log_interaction(
            kind="call", direction="outgoing", owner_id=owner.id, deal_id=deal.id,
            starts_at=at(0), subject="Перший дзвінок", result="цікавляться насінням",
        )  # fmt: skip
    with clock.simulated(at(1)):
        await _complete_open_tasks(deal.id, owner.id)  # -> qualification
    with clock.simulated(at(3)):
        agreement = await make_agreement(client)
        await update_deal(deal.id, actor_id=owner.id, agreement_id=agreement.id)
        await _complete_open_tasks(deal.id, owner.id)  # -> offer
    with clock.simulated(at(5.5)):
        await set_potential(deal.id, 1_234_567_89, actor_id=owner.id)
        await _complete_open_tasks(deal.id, owner.id)  # -> presentation
        contact = await make_contact(client, full_name="Марія Іваненко")
        await add_participant(
            deal.id, contact_id=contact.id, role="decision_maker", influence=5,
            attitude="supporter", actor_id=owner.id,
        )  # fmt: skip
        rival = await make_competitor(name="ТОВ «Конкурент»")
        await add_participant(
            deal.id, partner_id=rival.id, role="competitor", influence=2, attitude="opponent",
            actor_id=owner.id,
        )  # fmt: skip
    with clock.simulated(at(6)):
        first = await create_assignment(
            title="Підготувати презентацію", performer_id=owner.id, checker_id=checker.id,
            due_at=at(8), deal_id=deal.id, author_id=checker.id,
        )  # fmt: skip
        await complete_task(first.id, "чернетка готова", actor_id=owner.id)
    await log_interaction(
        kind="meeting", owner_id=owner.id, deal_id=deal.id, done=False,
        starts_at=NOW + dt.timedelta(days=2), subject="Презентація в офісі клієнта",
    )  # fmt: skip
    return deal.number


@pytest.fixture
def guided_deal(database_url):
    try:
        number = run_in_db(database_url, build_guided_history)
        yield number
    finally:
        clock.unfreeze()


def test_json_shows_the_stage_log_tasks_participants_interactions_and_probability(
    database_url, guided_deal
):
    result = crm_run("deal", "show", guided_deal, "--format", "json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["number"] == guided_deal and data["status"] == "open"
    assert data["stage"]["code"] == "presentation" and data["kind"]["guided"] is True
    assert data["potential_minor"] == 1_234_567_89 and data["currency"] == "UAH"
    log = [(r["stage"], r["result"], r["days"], r["skipped"]) for r in data["stage_log"]]
    assert log == [
        ("primary_contact", "passed", 1.0, False),
        ("qualification", "passed", 2.0, False),
        ("offer", "passed", 2.5, False),
        ("presentation", "current", 5.5, False),  # entered 5.5 days before now
    ]
    assert data["stage_log"][0]["entered_at"] == "2026-11-16T09:00:00+00:00"
    assert data["stage_log"][-1]["left_at"] is None
    assert data["stage_log"][0]["responsible"] == "Олена Коваль"

    tasks = {(t["title"], t["status"], t["step"], t["checker"]) for t in data["tasks"]}
    assert ("Зафіксувати первинний контакт", "done", None, None) in tasks
    assert ("Підготувати презентацію", "done", "execute", "Ігор Бондар") in tasks
    assert ("Підготувати презентацію", "open", "check", "Ігор Бондар") in tasks
    route = [t for t in data["tasks"] if t["stage"] == "presentation"]
    assert route and all(t["status"] == "open" for t in route)

    roles = [(p["name"], p["role"], p["influence"], p["attitude"]) for p in data["participants"]]
    assert roles[0] == ("ТОВ «Агросвіт»", "client", None, "neutral")
    assert ("Марія Іваненко", "decision_maker", 5, "supporter") in roles
    assert ("ТОВ «Конкурент»", "competitor", 2, "opponent") in roles

    interactions = [(i["kind"], i["done"], i["subject"]) for i in data["interactions"]]
    assert interactions == [
        ("meeting", False, "Презентація в офісі клієнта"),
        ("call", True, "Перший дзвінок"),
    ]

    probability = data["probability"]
    assert probability["method"] == "shrunk" and 1 <= probability["percent"] <= 99
    components = {c["code"]: c for c in probability["components"]}
    assert {"stage", "owner", "partner", "kind"} <= set(components)
    # three closed deals of the kind reached "presentation": two won, one lost
    assert (components["stage"]["sample"], components["stage"]["won"]) == (3, 2)
    assert (components["kind"]["sample"], components["kind"]["lost"]) == (3, 1)
    assert all(c["explanation"] for c in probability["components"])


def test_text_is_in_the_crm_language_with_local_money_and_dates(
    database_url, guided_deal, monkeypatch
):
    monkeypatch.setenv("CRM_DEFAULT_LOCALE", "uk")
    get_settings.cache_clear()

    result = crm_run("deal", "show", guided_deal)

    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith(f"{guided_deal} · Поставка насіння\n")
    assert "1\u00a0234\u00a0567,89\u00a0грн" in text
    assert "Етап" in text or "Stage" in text
    # the stage log: Ukrainian stage names, Kyiv time, exact days with a decimal comma
    assert "1. Первинний контакт · 16.11.2026 11:00 → 17.11.2026 11:00 · 1,00 ·" in text
    assert "3. Формування пропозиції · 19.11.2026 11:00 → 21.11.2026 23:00 · 2,50 ·" in text
    assert "4. Презентація · 21.11.2026 23:00 → " in text and " · 5,50 · " in text
    assert "Марія Іваненко" in text and "ТОВ «Конкурент»" in text
    assert "29.11.2026 11:00" in text  # the planned meeting, local time
    assert "Ігор Бондар" in text


def test_the_deal_is_found_by_its_id_and_an_unknown_number_is_an_error(database_url, guided_deal):
    deal_id = run_in_db(database_url, lambda: Deal.get(number=guided_deal).values_list("id"))

    by_id = crm_run("deal", "show", str(deal_id[0]), "--format", "json")
    unknown = crm_run("deal", "show", "D-999999")

    assert by_id.exit_code == 0 and json.loads(by_id.stdout)["number"] == guided_deal
    assert unknown.exit_code == 1
    assert "Deal not found." in unknown.stderr
