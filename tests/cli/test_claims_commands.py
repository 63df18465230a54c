"""`crm claims export` and `crm claims causes` against a real migrated database."""

from __future__ import annotations

import csv
import io
import json

from openpyxl import load_workbook

from tests.cli.conftest import crm_run, run_in_db


async def _seed():
    from tests.services.test_claims_lifecycle import claims_world, register

    w = await claims_world()
    first = await register(w)
    second = await register(w, partner_id=w.p2, shipment_id=w.ship2, responsible_id=w.m3,
                            author_id=w.m3)
    from models import Employee

    await Employee.filter(id=w.m3).update(telegram_username="natalia")
    return first.number, second.number


def test_export_every_format_and_as_an_employee(database_url, tmp_path, frozen_clock):
    first, second = run_in_db(database_url, _seed)

    as_csv = crm_run("claims", "export")
    assert as_csv.exit_code == 0, as_csv.output
    rows = list(csv.reader(io.StringIO(as_csv.stdout_bytes.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Number", "Registered at", "Status"]  # the configured locale (en)
    assert [r[0] for r in rows[1:]] == [first, second]

    as_json = crm_run("claims", "export", "--format", "json", "--as", "@natalia")
    assert as_json.exit_code == 0, as_json.output
    assert [r["number"] for r in json.loads(as_json.stdout_bytes)] == [second]

    out = tmp_path / "claims.xlsx"
    as_xlsx = crm_run("claims", "export", "--format", "xlsx", "--out", str(out), "--locale", "uk",
                      "--status", "registered", "--from", "27.11.2026")
    assert as_xlsx.exit_code == 0, as_xlsx.output
    assert "2 претензії" in as_xlsx.stderr  # --locale uk: Ukrainian, with its plural form
    sheet = load_workbook(out).active
    assert sheet.title == "Претензії"
    assert [row[0] for row in sheet.iter_rows(values_only=True)] == ["Номер", first, second]

    nobody = crm_run("claims", "export", "--as", "@nobody")
    assert nobody.exit_code == 1 and "@nobody" in nobody.stderr
    bad_date = crm_run("claims", "export", "--from", "31.02.2026")
    assert bad_date.exit_code == 1 and "DD.MM.YYYY" in bad_date.stderr
    later = crm_run("claims", "export", "--format", "json", "--from", "28.11.2026")
    assert json.loads(later.stdout_bytes) == []


def test_causes_are_filled_once_and_listed(database_url):
    first = crm_run("claims", "causes")
    assert first.exit_code == 0, first.output
    assert "damaged_goods" in first.stdout and "Goods damaged in transit" in first.stdout
    again = crm_run("claims", "causes", "--locale", "uk")
    assert again.exit_code == 0
    assert "Пошкодження товару під час перевезення" in again.stdout
    assert len(again.stdout.splitlines()) == len(first.stdout.splitlines())
