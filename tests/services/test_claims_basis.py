"""What a claim is registered on: the partner's own deal, order or shipment, and sane input."""

from __future__ import annotations

import pytest

from core.errors import NotFound, ValidationFailed
from models import Claim, ClaimCause
from services.claims import register_claim
from tests.factories import make_counterparty, make_deal, make_order, make_partner, make_shipment
from tests.services.test_claims_lifecycle import claims_world, register


@pytest.mark.parametrize("basis", ["deal_id", "order_id", "shipment_id", "counterparty_id"])
async def test_a_basis_of_another_partner_is_refused(db, frozen_clock, basis):
    w = await claims_world()
    other = await make_partner(name="ТОВ «Чужий»")
    other_deal = await make_deal(partner=other)
    documents = {
        "deal_id": other_deal.id,
        "order_id": (await make_order(other_deal)).id,
        "shipment_id": (await make_shipment(other_deal)).id,
        "counterparty_id": (await make_counterparty(other)).id,
    }
    with pytest.raises(ValidationFailed) as caught:
        await register(w, **{"shipment_id": None, basis: documents[basis]})
    assert caught.value.params == {"field": basis.removesuffix("_id"), "reason": "not_of_partner"}
    assert await Claim.all().count() == 0


async def test_documents_of_two_deals_are_refused(db, frozen_clock):
    w = await claims_world()
    from models import Partner

    second = await make_deal(partner=await Partner.get(id=w.p1))
    with pytest.raises(ValidationFailed) as caught:
        await register(w, shipment_id=w.ship1, deal_id=second.id)
    assert caught.value.params == {"field": "shipment", "reason": "not_of_deal"}
    with pytest.raises(ValidationFailed) as caught:
        await register(w, shipment_id=None, order_id=w.order1, deal_id=second.id)
    assert caught.value.params == {"field": "order", "reason": "not_of_deal"}
    # A deal of the partner alone, or an order alone, is fine; the order brings its deal.
    by_order = await register(w, shipment_id=None, order_id=w.order1)
    assert (by_order.deal_id, by_order.order_id, by_order.shipment_id) == (w.d1, w.order1, None)
    by_deal = await register(w, shipment_id=None, deal_id=second.id)
    assert by_deal.deal_id == second.id


async def test_the_counterparty_is_taken_from_the_basis_or_checked(db, frozen_clock):
    w = await claims_world()
    from models import Deal, Partner

    p1 = await Partner.get(id=w.p1)
    legal = await make_counterparty(p1, name="ТОВ «Будмайстер Плюс»")
    await Deal.filter(id=w.d1).update(counterparty_id=legal.id)
    claim = await register(w, shipment_id=None, deal_id=w.d1)
    assert claim.counterparty_id == legal.id
    own = await make_counterparty(p1)
    assert (await register(w, counterparty_id=own.id)).counterparty_id == own.id
    assert (await register(w, shipment_id=None)).counterparty_id is None


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        ({"description": "  "}, "description", "required"),
        ({"description": "я" * 4001}, "description", "too_long"),
        ({"claimed_minor": -1}, "claimed", "negative"),
        ({"claimed_minor": 10**14}, "claimed", "too_large"),
        ({"currency": "гривня"}, "currency", "bad_currency"),
    ],
)
async def test_bad_input_is_named(db, frozen_clock, overrides, field, reason):
    w = await claims_world()
    with pytest.raises(ValidationFailed) as caught:
        await register(w, **overrides)
    assert (caught.value.params["field"], caught.value.params["reason"]) == (field, reason)


async def test_an_inactive_cause_is_not_offered(db, frozen_clock):
    w = await claims_world()
    await ClaimCause.filter(id=w.causes["other"]).update(active=False)
    with pytest.raises(ValidationFailed) as caught:
        await register(w, cause_id=w.causes["other"])
    assert caught.value.params == {"field": "cause", "reason": "inactive"}
    with pytest.raises(NotFound):
        await register_claim(partner_id=w.p1, cause_id=w.causes["other"] + 1000, description="x",
                             responsible_id=w.m1, author_id=None)


async def test_a_claim_without_any_basis_and_by_the_system(db, frozen_clock):
    w = await claims_world()
    claim = await register_claim(partner_id=w.p2, cause_id=w.causes["service"],
                                 description="Менеджер не передзвонив", responsible_id=w.m3,
                                 author_id=None)
    assert (claim.deal_id, claim.order_id, claim.shipment_id, claim.author_id) == (
        None, None, None, None)
    assert claim.claimed_minor == 0 and claim.currency == "UAH"
