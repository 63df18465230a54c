"""`crm classify` on a real SQLite file: it migrates, classifies and says what it wrote."""

import sqlite3

import pytest
from click.testing import CliRunner

from cli.classify import classify_cmd
from core.config import get_settings

NOW = "2026-11-27 09:00:00+00:00"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CRM_DEFAULT_LOCALE", "en")
    monkeypatch.delenv("CRM_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def add_sales(path, sales):
    conn = sqlite3.connect(path)
    for partner, name in {(p, n) for p, n, _, _ in sales}:
        conn.execute(
            "INSERT INTO partner (id, created_at, updated_at, name, search_key, is_group,"
            " is_division, is_client, is_supplier, is_competitor, is_other, is_person,"
            " relationship_stage, business_region, strategy, comment, active)"
            " VALUES (?, ?, ?, ?, ?, 0, 0, 1, 0, 0, 0, 0, 'potential', '', '', '', 1)",
            (partner, NOW, NOW, name, name.lower()),
        )
    conn.executemany(
        "INSERT INTO shipment (created_at, updated_at, number, date, status, amount_minor,"
        " currency, comment, cost_minor, partner_id) VALUES (?, ?, 'В-1', ?, 'posted', ?,"
        " 'UAH', '', 0, ?)",
        [(NOW, NOW, day, amount, partner) for partner, _, day, amount in sales],
    )
    conn.commit()
    conn.close()


def test_classify_command_writes_and_reports(data_dir):
    runner = CliRunner()
    first = runner.invoke(classify_cmd, ["--to", "2026-10-31"])
    assert first.exit_code == 0, first.output
    assert "Clients: 0" in first.output

    add_sales(
        data_dir / "crm.sqlite3",
        [
            (1, "Альфа", "2026-09-10", 50_000_00),
            (1, "Альфа", "2026-10-10", 50_000_00),
            (2, "Бета", "2026-10-20", 1_000_00),
        ],
    )
    result = runner.invoke(classify_cmd, ["--to", "31.10.2026", "--months", "2"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Classification (revenue, adaptive): 01.09.2026 – 31.10.2026."
    assert "Run: revenue:adaptive:20260901-20261031:2" in lines
    # Shares 98 and 100, T = 198 / 3 = 66 is exceeded at once: B, then the last is C.
    assert "ABC: A 0 · B 1 · C 1" in lines
    # CVs 100 (Бета) and 0: shares 100 and 100, T = 66.7 is exceeded at once, so 1C's cut
    # gives Y, then X: both are regular.
    assert "XYZ: X 1 · Y 1 · Z 0" in lines
    assert "Stages: regular 2 · one-time 0 · lost 0" in lines

    again = runner.invoke(classify_cmd, ["--to", "2026-10-31", "--months", "2"])
    assert "This window had been classified before: its rows were replaced." in again.output
    conn = sqlite3.connect(data_dir / "crm.sqlite3")
    assert conn.execute("SELECT COUNT(*) FROM client_classification").fetchone() == (2,)
    stages = dict(conn.execute("SELECT name, relationship_stage FROM partner"))
    assert stages == {"Альфа": "regular", "Бета": "regular"}


def test_bad_options_are_refused(data_dir):
    result = CliRunner().invoke(classify_cmd, ["--basis", "margin"])
    assert result.exit_code == 2
    assert "margin" in result.output
