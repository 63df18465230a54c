"""Who finds which partner behind the Partners and New deal screens (services.partner_view and
services.access): the scoped search returns exactly the visible part of the full search, in its
order, page after page, whichever way it is computed."""

from __future__ import annotations

import pytest

from core.errors import AccessDenied
from models.base import Role
from services import partner_view, partners
from services.access import get_partner_for
from services.deals import create_deal
from services.employees import create_team
from services.pipeline import load_default_pipelines
from tests.factories import make_employee


@pytest.fixture
async def people(db, frozen_clock):
    await load_default_pipelines()
    team = await create_team("Львів")
    olena = await make_employee(role=Role.MANAGER, team=team)
    ivan = await make_employee(role=Role.MANAGER)
    hanna = await make_employee(role=Role.HEAD, team=team)
    adam = await make_employee(role=Role.ADMIN)
    gone = await make_employee(role=Role.MANAGER, active=False)
    for n in range(12):
        owner = (olena, ivan, None)[n % 3]
        await partners.create_partner(
            name=f"ТОВ Фірма {n:02d}", main_manager_id=owner.id if owner else None
        )
    # Ivan also works with one of Olena's partners through his deal
    shared = await partners.search_partners("Фірма 03")
    await create_deal(owner_id=ivan.id, title="Пісок", kind_code="simple_deal",
                      partner_id=shared[0].id)  # fmt: skip
    return {"olena": olena, "ivan": ivan, "hanna": hanna, "adam": adam, "gone": gone}


def _numbers(rows) -> list[str]:
    return [row.name[-2:] for row in rows]


EXPECTED = {
    "olena": ["00", "03", "06", "09"],
    "ivan": ["01", "03", "04", "07", "10"],  # 03 through his deal
    "hanna": ["00", "03", "06", "09"],  # her team: Olena (and herself)
    "adam": [f"{n:02d}" for n in range(12)],  # also the partners nobody manages
}


@pytest.mark.parametrize("who", list(EXPECTED))
async def test_the_search_returns_the_visible_partners_page_by_page(people, who):
    employee = people[who]
    assert (
        _numbers(await partner_view.search_partners_for(employee, "фірма", limit=50))
        == (EXPECTED[who])
    )
    pages = [
        _numbers(await partner_view.search_partners_for(employee, "фірма", limit=2, offset=o))
        for o in range(0, 12, 2)
    ]
    assert [n for page in pages for n in page] == EXPECTED[who]
    listed = await partner_view.list_partners_for(employee, limit=50)
    assert [p.name[-2:] for p in listed] == EXPECTED[who]


async def test_the_batched_search_crosses_batches(people, monkeypatch):
    monkeypatch.setattr(partner_view, "SEARCH_BATCH", 2)
    rows = await partner_view.search_partners_for(people["ivan"], "фірма", limit=3, offset=1)
    assert _numbers(rows) == ["03", "04", "07"]


async def test_partners_of_others_and_unknown_ids_are_denied_alike(people):
    [olenas] = await partners.search_partners("Фірма 00")
    assert (await get_partner_for(people["hanna"], olenas.id)).id == olenas.id
    for who, partner_id in (("ivan", olenas.id), ("olena", 10_000), ("olena", "1"),
                            ("gone", olenas.id)):  # fmt: skip
        with pytest.raises(AccessDenied):
            await get_partner_for(people[who], partner_id)
    with pytest.raises(AccessDenied):
        await partner_view.add_contact(people["ivan"], olenas.id, full_name="Хтось")
