"""Light sales documents: products, orders, invoices, shipments and payments.

Accounting stays in the accounting system; these records feed deal monitoring, exit checks and
analytics. Amounts are integer kopiyky; quantities are thousandths (`quantity_milli`), so
1.5 kg is 1500. Every document is written with its lines in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from core import clock
from core.errors import NotFound, ValidationFailed
from models import (
    Counterparty,
    Deal,
    Invoice,
    InvoiceLine,
    Order,
    OrderLine,
    Partner,
    Payment,
    Product,
    Shipment,
    ShipmentLine,
)
from services import validation as v

MAX_AMOUNT_MINOR = 10**13  # 100 billion hryvnias: anything above is a typo


@dataclass(frozen=True)
class Line:
    product_id: int
    quantity_milli: int
    price_minor: int | None = None  # the product's price when None


def _invalid(field: str, reason: str, **extra: object) -> ValidationFailed:
    return ValidationFailed("invalid", field=field, reason=reason, **extra)


def _amount(value: int, field: str = "amount") -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _invalid(field, "bad_number")
    if value < 0:
        raise _invalid(field, "negative")
    if value > MAX_AMOUNT_MINOR:
        raise _invalid(field, "too_large", max=MAX_AMOUNT_MINOR)
    return value


async def create_product(
    *,
    sku: str,
    name: str,
    price_minor: int,
    cost_minor: int = 0,
    group: str = "",
    unit: str = "шт",
    external_id: str | None = None,
) -> Product:
    return await Product.create(
        sku=v.check_name(sku, "sku", 64),
        name=v.check_name(name, "name", 300),
        group=group.strip()[:200],
        unit=unit.strip()[:16] or "шт",
        price_minor=_amount(price_minor),
        cost_minor=_amount(cost_minor),
        external_id=external_id,
    )


async def _priced_lines(lines: Sequence[Line]) -> list[tuple[Product, int, int, int, int]]:
    """(product, quantity_milli, price, amount, cost) per line, products read in one query."""
    if not lines:
        raise _invalid("lines", "required")
    products = {p.id: p for p in await Product.filter(id__in={line.product_id for line in lines})}
    priced = []
    for line in lines:
        product = products.get(line.product_id)
        if product is None:
            raise NotFound("not_found", what="product", id=line.product_id)
        if line.quantity_milli <= 0:
            raise _invalid("quantity", "not_positive")
        price = product.price_minor if line.price_minor is None else _amount(line.price_minor)
        amount = price * line.quantity_milli // 1000
        cost = product.cost_minor * line.quantity_milli // 1000
        priced.append((product, line.quantity_milli, price, _amount(amount), cost))
    return priced


async def _parties(
    partner_id: int, deal_id: int | None, counterparty_id: int | None
) -> tuple[Partner, Deal | None, Counterparty | None]:
    partner = await Partner.get_or_none(id=partner_id)
    if partner is None:
        raise NotFound("not_found", what="partner", id=partner_id)
    deal = await Deal.get_or_none(id=deal_id) if deal_id else None
    if deal_id and deal is None:
        raise NotFound("not_found", what="deal", id=deal_id)
    counterparty = await Counterparty.get_or_none(id=counterparty_id) if counterparty_id else None
    if counterparty_id and (counterparty is None or counterparty.partner_id != partner.id):
        raise _invalid("counterparty", "unknown_reference", value=counterparty_id)
    return partner, deal, counterparty


def _date(value: dt.date | None) -> dt.date:
    return value or clock.today()


async def create_order(
    *,
    partner_id: int,
    lines: Sequence[Line],
    deal_id: int | None = None,
    counterparty_id: int | None = None,
    manager_id: int | None = None,
    number: str | None = None,
    date: dt.date | None = None,
) -> Order:
    partner, deal, counterparty = await _parties(partner_id, deal_id, counterparty_id)
    priced = await _priced_lines(lines)
    async with in_transaction():
        order = await Order.create(
            number=number or "",
            date=_date(date),
            partner=partner,
            deal=deal,
            counterparty=counterparty,
            manager_id=manager_id or (deal.owner_id if deal else None),
            amount_minor=sum(p[3] for p in priced),
        )
        if not number:
            order.number = f"ЗМ-{order.id:06d}"
            await order.save(update_fields=["number"])
        await OrderLine.bulk_create(
            OrderLine(
                order=order,
                product=product,
                quantity_milli=qty,
                price_minor=price,
                amount_minor=amount,
                cost_minor=cost,
            )
            for product, qty, price, amount, cost in priced
        )
    return order


async def _order_lines(order_id: int) -> tuple[Order, list[Line]]:
    order = await Order.get_or_none(id=order_id)
    if order is None:
        raise NotFound("not_found", what="order", id=order_id)
    rows = await OrderLine.filter(order_id=order_id).values(
        "product_id", "quantity_milli", "price_minor"
    )
    return order, [Line(r["product_id"], r["quantity_milli"], r["price_minor"]) for r in rows]


async def create_invoice(
    *, order_id: int, date: dt.date | None = None, due_in_days: int = 5
) -> Invoice:
    """An invoice for the whole order."""
    order, lines = await _order_lines(order_id)
    priced = await _priced_lines(lines)
    day = _date(date)
    async with in_transaction():
        invoice = await Invoice.create(
            number="",
            date=day,
            due_on=day + dt.timedelta(days=due_in_days),
            order=order,
            deal_id=order.deal_id,
            partner_id=order.partner_id,
            counterparty_id=order.counterparty_id,
            amount_minor=sum(p[3] for p in priced),
        )
        invoice.number = f"РФ-{invoice.id:06d}"
        await invoice.save(update_fields=["number"])
        await InvoiceLine.bulk_create(
            InvoiceLine(
                invoice=invoice, product=p, quantity_milli=q, price_minor=pr, amount_minor=a
            )
            for p, q, pr, a, _c in priced
        )
    return invoice


async def create_shipment(
    *, order_id: int, date: dt.date | None = None, share_percent: int = 100
) -> Shipment:
    """A shipment (видаткова накладна) of the order, whole or a share of every line."""
    if not 0 < share_percent <= 100:
        raise _invalid("share", "bad_choice", choices="1..100")
    order, lines = await _order_lines(order_id)
    part = [
        Line(line.product_id, max(1, line.quantity_milli * share_percent // 100), line.price_minor)
        for line in lines
    ]
    priced = await _priced_lines(part)
    async with in_transaction():
        shipment = await Shipment.create(
            number="",
            date=_date(date),
            order=order,
            deal_id=order.deal_id,
            partner_id=order.partner_id,
            counterparty_id=order.counterparty_id,
            amount_minor=sum(p[3] for p in priced),
            cost_minor=sum(p[4] for p in priced),
        )
        shipment.number = f"ВН-{shipment.id:06d}"
        await shipment.save(update_fields=["number"])
        await ShipmentLine.bulk_create(
            ShipmentLine(
                shipment=shipment,
                product=p,
                quantity_milli=q,
                price_minor=pr,
                amount_minor=a,
                cost_minor=c,
            )
            for p, q, pr, a, c in priced
        )
    return shipment


async def register_payment(
    *, invoice_id: int, amount_minor: int | None = None, date: dt.date | None = None
) -> Payment:
    invoice = await Invoice.get_or_none(id=invoice_id)
    if invoice is None:
        raise NotFound("not_found", what="invoice", id=invoice_id)
    amount = invoice.amount_minor if amount_minor is None else _amount(amount_minor)
    async with in_transaction():
        payment = await Payment.create(
            number="",
            date=_date(date),
            invoice=invoice,
            deal_id=invoice.deal_id,
            partner_id=invoice.partner_id,
            counterparty_id=invoice.counterparty_id,
            amount_minor=amount,
        )
        payment.number = f"ПН-{payment.id:06d}"
        await payment.save(update_fields=["number"])
    return payment
