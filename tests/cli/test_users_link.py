"""`crm users link EMPLOYEE --telegram-id N`: an admin binds an employee (by e-mail or id) to a
Telegram account; an account bound to someone else is refused with one sentence."""

from __future__ import annotations

from core.config import get_settings
from models import Employee
from services import employees
from tests.cli.conftest import crm_run, run_in_db


def _seed():
    async def seed():
        olena = await employees.create_employee(
            full_name="Олена Гнатюк", role="head", email="o.hnatiuk@budtorg.ua",
            telegram_id=5001, telegram_username="olena_h",
        )  # fmt: skip
        taras = await employees.create_employee(
            full_name="Тарас Бойко", role="manager", email="t.boiko@budtorg.ua"
        )
        return olena.id, taras.id

    return seed


async def _accounts():
    rows = Employee.all().order_by("id")
    return await rows.values_list("full_name", "telegram_id", "telegram_username")


def test_link_by_email_binds_the_account_and_the_bot_then_knows_them(database_url):
    run_in_db(database_url, _seed())
    result = crm_run("users", "link", "T.Boiko@budtorg.ua", "--telegram-id", "6002")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Тарас Бойко (manager, id ")
    assert "linked to the Telegram account 6002" in result.output

    found = run_in_db(database_url, lambda: employees.find_employee_by_telegram(6002))
    assert found is not None and found.full_name == "Тарас Бойко"


def test_rebinding_by_id_replaces_the_old_account_and_forgets_its_username(database_url):
    olena_id, _ = run_in_db(database_url, _seed())
    result = crm_run("users", "link", str(olena_id), "--telegram-id", "7003")
    assert result.exit_code == 0, result.output
    assert run_in_db(database_url, _accounts)[0] == ("Олена Гнатюк", 7003, None)
    assert run_in_db(database_url, lambda: employees.find_employee_by_telegram(5001)) is None


def test_an_account_bound_to_someone_else_is_refused(database_url):
    olena_id, _ = run_in_db(database_url, _seed())
    before = run_in_db(database_url, _accounts)
    result = crm_run("users", "link", "t.boiko@budtorg.ua", "--telegram-id", "5001")
    assert result.exit_code == 1
    assert result.output == f"Telegram id: is already linked to Олена Гнатюк (id {olena_id})\n"
    assert run_in_db(database_url, _accounts) == before


def test_the_same_account_again_changes_nothing(database_url):
    run_in_db(database_url, _seed())
    before = run_in_db(database_url, _accounts)
    result = crm_run("users", "link", "o.hnatiuk@budtorg.ua", "--telegram-id", "5001")
    assert result.exit_code == 0, result.output
    assert run_in_db(database_url, _accounts) == before  # the @username stays too


def test_unknown_employee_and_bad_ids_are_one_sentence_each(database_url):
    run_in_db(database_url, _seed())
    unknown = crm_run("users", "link", "nobody@budtorg.ua", "--telegram-id", "6002")
    assert (unknown.exit_code, unknown.output) == (1, "Employee not found.\n")
    for bad in ("abc", "0", "-5", "99999999999999999999"):
        result = crm_run("users", "link", "t.boiko@budtorg.ua", "--telegram-id", bad)
        assert result.exit_code == 1, (bad, result.output)
        assert result.output.startswith("Telegram id: "), result.output
        assert "Traceback" not in result.output


def test_messages_in_ukrainian(database_url, monkeypatch):
    run_in_db(database_url, _seed())
    monkeypatch.setenv("CRM_DEFAULT_LOCALE", "uk")
    get_settings.cache_clear()
    done = crm_run("users", "link", "t.boiko@budtorg.ua", "--telegram-id", "6002")
    assert done.exit_code == 0, done.output
    assert done.output.startswith("Тарас Бойко (менеджер, id ")
    assert "тепер прив'язано до облікового запису Telegram 6002" in done.output
    refused = crm_run("users", "link", "o.hnatiuk@budtorg.ua", "--telegram-id", "6002")
    assert refused.exit_code == 1
    assert refused.output.startswith("Telegram id: уже прив'язаний до працівника Тарас Бойко")
