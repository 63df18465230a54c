"""Claims out as CSV (Excel in a Ukrainian locale), JSON and XLSX, limited to what the viewer
may see."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from openpyxl import load_workbook

from core import clock
from core.errors import ValidationFailed
from services.claims import close_claim, export_claims
from tests.services.test_claims_lifecycle import claims_world, register


async def two_claims(frozen_clock):
    w = await claims_world()
    with clock.simulated(frozen_clock - dt.timedelta(days=3)):
        first = await register(w, claimed_minor=1_234_567_89)  # due 2 days ago: overdue
    second = await register(w, partner_id=w.p2, shipment_id=w.ship2, responsible_id=w.m3,
                            author_id=w.m3, description='Лапки "в описі"; крапка з комою',
                            cause_id=w.causes["price_error"], claimed_minor=50_00)
    await close_claim(second.id, satisfied=True, resolution="Виправили рахунок", actor_id=w.m3,
                      settled_minor=50_00, guilty_department="Бухгалтерія",
                      guilty_employee_id=w.m3)
    return w, first, second


async def test_csv_in_ukrainian_for_excel(db, frozen_clock):
    _w, first, second = await two_claims(frozen_clock)
    exported = await export_claims("csv", viewer_id=None, locale="uk")
    assert exported.count == 2 and exported.filename == "claims-2026-11-27.csv"
    assert exported.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig")), delimiter=";"))
    header, *body = rows
    assert header[:4] == ["Номер", "Зареєстровано", "Статус", "Партнер"]
    records = [dict(zip(header, row, strict=True)) for row in body]
    assert [r["Номер"] for r in records] == [first.number, second.number]  # oldest first
    one, two = records
    assert one["Сума претензії"] == "1234567,89" and one["Прострочено"] == "так"
    assert one["Статус"] == "Зареєстрована" and one["Зареєстровано"] == "24.11.2026 11:00"
    assert one["Відвантаження"] and one["Угода"].startswith("D-")
    assert two["Статус"] == "Задоволена" and two["Відшкодовано"] == "50,00"
    assert two["Суть претензії"] == 'Лапки "в описі"; крапка з комою'
    assert two["Винний підрозділ"] == "Бухгалтерія"
    assert two["Винний співробітник"] == "Наталія Мельник"
    assert two["Причина"] == "Помилка в ціні або в рахунку" and two["Прострочено"] == ""


async def test_json_keeps_codes_minor_units_and_utc(db, frozen_clock):
    w, first, _second = await two_claims(frozen_clock)
    exported = await export_claims("json", viewer_id=w.m1, locale="en")
    records = json.loads(exported.data)
    assert [r["number"] for r in records] == [first.number]  # m1 sees only their client's
    record = records[0]
    assert record["claimed_minor"] == 1_234_567_89 and record["status"] == "registered"
    assert record["cause"] == "damaged_goods" and record["overdue"] is True
    assert record["registered_at"] == "2026-11-24T09:00:00+00:00"
    assert record["partner"] == "ТОВ «Будмайстер»" and record["responsible"] == "Дмитро Ткаченко"
    assert record["closed_at"] is None


async def test_xlsx_has_numbers_for_money_and_english_headers(db, frozen_clock):
    w, _first, second = await two_claims(frozen_clock)
    exported = await export_claims("xlsx", viewer_id=w.admin, locale="en",
                                   status=["satisfied", "not_satisfied"])
    sheet = load_workbook(io.BytesIO(exported.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert sheet.title == "Claims" and exported.count == 1
    header, row = rows
    record = dict(zip(header, row, strict=True))
    assert record["Number"] == second.number and record["Status"] == "Satisfied"
    assert record["Amount claimed"] == pytest.approx(50.0)
    assert record["Closed at"] == "27.11.2026 11:00"
    assert record["Cause"] == "Price or invoice error"


async def test_a_date_range_and_a_bad_format(db, frozen_clock):
    _w, _first, second = await two_claims(frozen_clock)
    recent = await export_claims("json", viewer_id=None,
                                 registered_from=frozen_clock - dt.timedelta(days=1))
    assert [r["number"] for r in json.loads(recent.data)] == [second.number]
    with pytest.raises(ValidationFailed):
        await export_claims("pdf", viewer_id=None)
