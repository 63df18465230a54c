"""`crm pipelines load|list|show` against a real database file (or PostgreSQL)."""

from __future__ import annotations

from click.testing import CliRunner

from cli.main import crm

TENDERS = """
code: tenders
name: {uk: Тендер, en: Tender}
stages:
  - {code: found, name: {uk: Знайдено, en: Found}, planned_days: 1}
  - {code: bid, name: {uk: Заявка, en: Bid}, planned_days: 5, probability: 30}
"""




def _run(*args: str):
    return CliRunner().invoke(crm, ["pipelines", *args])


def test_the_defaults_load_once_and_then_are_unchanged(database_url) -> None:
    empty = _run("list")
    assert empty.exit_code == 0 and "crm pipelines load --defaults" in empty.output

    first = _run("load", "--defaults")
    assert first.exit_code == 0, first.output
    assert "created: typical_sale" in first.output and "created: simple_deal" in first.output
    assert "14 stages added" in first.output

    again = _run("load", "--defaults")
    assert again.exit_code == 0, again.output
    assert again.output == "unchanged: typical_sale\nunchanged: simple_deal\n"

    listing = _run("list")
    lines = listing.output.splitlines()
    assert lines[0].startswith("simple_deal\tSimple deal\tmanual") and lines[0].endswith("5 stages")
    assert lines[1].startswith("typical_sale\tTypical sale\tguided") and "9 stages" in lines[1]


def test_show_lists_the_route_with_checks_tasks_and_documents(database_url) -> None:
    _run("load", "--defaults")
    shown = _run("show", "typical_sale")
    assert shown.exit_code == 0, shown.output
    text = shown.output
    assert "1. Primary contact [primary_contact] 2 days, 10%" in text
    assert "9. Recording the result [result] 1 day" in text
    assert "exit checks: counterparty_set, order_exists" in text
    assert "task: Approve the discount with the head of sales" in text
    assert "Регламент типового продажу (regulation)" in text


def test_a_file_is_loaded_and_a_removed_stage_is_reported(database_url, tmp_path) -> None:
    path = tmp_path / "tenders.yaml"
    path.write_text(TENDERS, encoding="utf-8")
    assert "created: tenders" in _run("load", str(path)).output
    path.write_text(TENDERS.replace("  - {code: found", "  - {code: scouted"), encoding="utf-8")
    report = _run("load", str(path))
    assert report.exit_code == 0, report.output
    # no deals yet, so the old stage is deleted rather than retired
    assert "updated: tenders" in report.output and "1 stage deleted" in report.output
    assert "1 stage added" in report.output


def test_a_bad_file_names_the_place_of_the_problem(database_url, tmp_path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(TENDERS.replace("planned_days: 5", "exit_checks: [telepathy]"), "utf-8")
    result = _run("load", str(path))
    assert result.exit_code == 1
    assert "tenders.stages[1].exit_checks" in result.output
    assert "unknown exit check telepathy" in result.output
    assert "Traceback" not in result.output


def test_wrong_usage_is_refused(database_url) -> None:
    assert _run("load").exit_code == 2
    unknown = _run("show", "nope")
    assert unknown.exit_code == 1 and "not found" in unknown.output
