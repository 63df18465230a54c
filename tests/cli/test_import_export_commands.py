"""`crm import ...` and `crm export ...` against a real database file (or PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from core.config import get_settings
from models import Counterparty, Employee, Partner
from tests.cli.conftest import crm_run, run_in_db

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"


def test_import_prints_the_counts_and_a_second_run_changes_nothing(database_url):
    run_in_db(
        database_url,
        lambda: Employee.create(full_name="Олена Коваль", email="o.koval@firm.ua"),
    )
    path = str(FIXTURES / "partners_1c_cp1251.csv")

    first = crm_run("import", "partners", path)
    second = crm_run("import", "partners", path)

    assert first.exit_code == 0, first.output
    assert "3 rows read from partners_1c_cp1251.csv." in first.stdout
    assert "Created: 3, updated: 0, unchanged: 0." in first.stdout
    assert second.exit_code == 0, second.output
    assert "Created: 0, updated: 0, unchanged: 3." in second.stdout
    assert run_in_db(database_url, lambda: Partner.all().count()) == 3


def test_a_bad_file_exits_non_zero_lists_every_problem_and_writes_nothing(database_url, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "Код;Найменування;Телефони\nA;Альфа;067 123 45 67\nB;;\nC;Гама;12-34\nA;Дубль;\n",
        encoding="cp1251",
    )

    result = crm_run("import", "partners", str(bad))

    assert result.exit_code == 1
    assert "nothing was changed: 3 problems found." in result.stderr
    assert "Line 3: Name: is required" in result.stderr
    assert 'Line 4: Phone: is not a phone number ("12-34")' in result.stderr
    assert "Line 5: External id: repeats line 2" in result.stderr
    assert run_in_db(database_url, lambda: Partner.all().count()) == 0


def test_missing_columns_are_named_in_one_line(database_url, tmp_path):
    bad = tmp_path / "contacts.csv"
    bad.write_text("ПІБ;Посада\nІваненко Марія;Бухгалтер\n", encoding="utf-8")

    result = crm_run("import", "contacts", str(bad))

    assert result.exit_code == 1
    assert (
        "Line 1: Required columns are missing: external_id / Код, "
        "partner_external_id / Код партнера." in result.stderr
    )


def test_problems_are_told_in_ukrainian_in_a_ukrainian_crm(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_DEFAULT_LOCALE", "uk")
    get_settings.cache_clear()
    bad = tmp_path / "bad.csv"
    bad.write_text("Код;Найменування\nA;\n", encoding="utf-8")

    result = crm_run("import", "partners", str(bad))

    assert result.exit_code == 1
    assert "Назва: обов'язкове поле" in result.stderr


def test_export_xlsx_to_a_file_and_import_it_back_unchanged(database_url, tmp_path):
    crm_run("import", "partners", str(FIXTURES / "partners_utf8_bom_comma.csv"))
    out = tmp_path / "partners.xlsx"

    exported = crm_run("export", "partners", "--format", "xlsx", "--out", str(out))
    back = crm_run("import", "partners", str(out))

    assert exported.exit_code == 0, exported.output
    assert "3 records exported to" in exported.stderr
    assert out.read_bytes().startswith(b"PK")
    assert back.exit_code == 0, back.output
    assert "Created: 0, updated: 0, unchanged: 3." in back.stdout


def test_export_csv_to_standard_output_opens_in_excel(database_url):
    crm_run("import", "partners", str(FIXTURES / "partners_utf8_bom_comma.csv"))
    crm_run("import", "counterparties", str(FIXTURES / "counterparties.csv"))  # unknown partners

    result = crm_run("export", "partners")

    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.startswith(b"\xef\xbb\xbf")
    lines = result.stdout_bytes.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("external_id;name;roles;")
    assert any(line.startswith("A-1;Alfa Trade, LLC;client, supplier;") for line in lines)
    assert run_in_db(database_url, lambda: Counterparty.all().count()) == 0


def test_dry_run_says_so_and_writes_nothing(database_url):
    result = crm_run(
        "import", "partners", str(FIXTURES / "partners_utf8_bom_comma.csv"), "--dry-run"
    )

    assert result.exit_code == 0, result.output
    assert "Created: 3, updated: 0, unchanged: 0." in result.stdout
    assert "Dry run: nothing was written." in result.stdout
    assert run_in_db(database_url, lambda: Partner.all().count()) == 0
