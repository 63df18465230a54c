"""The foundation's promise: `crm demo seed` fills a database that `crm export ... --format xlsx`
exports and `crm import` reads back unchanged."""

from __future__ import annotations

import pytest

from models import Counterparty, Partner
from tests.cli.conftest import crm_run, run_in_db


@pytest.mark.parametrize("kind", ["partners", "counterparties", "contacts"])
def test_demo_data_exported_to_xlsx_imports_back_unchanged(database_url, tmp_path, kind):
    seeded = crm_run("demo", "seed", "--seed", "5", "--deals", "6")
    assert seeded.exit_code == 0, seeded.output
    assert "partners" in seeded.output

    out = tmp_path / f"{kind}.xlsx"
    exported = crm_run("export", kind, "--format", "xlsx", "--out", str(out))
    assert exported.exit_code == 0, exported.output
    assert out.read_bytes()[:2] == b"PK"  # a zip container: a real workbook

    before = run_in_db(database_url, _snapshot)
    imported = crm_run("import", kind, str(out))
    assert imported.exit_code == 0, imported.output
    assert "created: 0, updated: 0" in imported.output.lower()
    assert run_in_db(database_url, _snapshot) == before


async def _snapshot():
    partners = await Partner.all().order_by("id").values_list("id", "name", "updated_at")
    counterparties = await Counterparty.all().order_by("id").values_list("id", "edrpou", "iban")
    return partners, counterparties


def test_demo_seed_twice_says_the_database_already_has_it(database_url):
    assert crm_run("demo", "seed", "--deals", "1").exit_code == 0
    again = crm_run("demo", "seed", "--deals", "1")
    assert again.exit_code != 0
    assert "Traceback" not in again.output
