"""A wrong or missing setting stops start-up with one sentence naming it; secrets stay hidden."""

from __future__ import annotations

import pytest

from core.config import ConfigError, load_settings

GOOD_TOKEN = "123456789:AAHhT0kenT0kenT0kenT0kenT0kenT0ken"


def test_defaults_are_the_embedded_sqlite_and_ukrainian_locale(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("CRM_DATABASE_URL", "CRM_DATA_DIR", "CRM_DEFAULT_LOCALE", "CRM_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.db_url == "sqlite://data/crm.sqlite3"
    assert settings.default_locale == "uk"
    assert settings.timezone == "Europe/Kyiv"
    assert settings.currency == "UAH"
    assert settings.telegram_api_base == "https://api.telegram.org"
    assert settings.files_path.as_posix() == "data/files"


def test_missing_token_says_where_to_get_it_and_where_to_put_it(monkeypatch):
    monkeypatch.delenv("CRM_BOT_TOKEN", raising=False)
    settings = load_settings(_env_file=None)
    with pytest.raises(ConfigError) as info:
        settings.require_bot_token()
    message = str(info.value)
    assert "CRM_BOT_TOKEN" in message and "@BotFather" in message and ".env" in message


def test_malformed_token_is_refused_without_echoing_it():
    settings = load_settings(bot_token="not-a-token-at-all")
    with pytest.raises(ConfigError) as info:
        settings.require_bot_token()
    assert "not-a-token-at-all" not in str(info.value)


def test_token_never_appears_in_repr_or_dump():
    settings = load_settings(bot_token=GOOD_TOKEN)
    assert settings.require_bot_token() == GOOD_TOKEN
    assert GOOD_TOKEN not in repr(settings)
    assert GOOD_TOKEN not in str(settings.model_dump())


@pytest.mark.parametrize(
    ("env", "value", "named"),
    [
        ("CRM_TIMEZONE", "Mars/Olympus", "CRM_TIMEZONE"),
        ("CRM_DEFAULT_LOCALE", "fr", "CRM_DEFAULT_LOCALE"),
        ("CRM_CURRENCY", "hryvnia", "CRM_CURRENCY"),
        ("CRM_TELEGRAM_API_BASE", "ftp://x", "CRM_TELEGRAM_API_BASE"),
        ("CRM_DATABASE_URL", "mysql://x/y", "CRM_DATABASE_URL"),
    ],
)
def test_invalid_setting_is_named_in_one_sentence(monkeypatch, env, value, named):
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith(named) and message.count("\n") == 0


def test_postgres_url_is_accepted_and_self_hosted_api_base_is_kept(monkeypatch):
    monkeypatch.setenv("CRM_DATABASE_URL", "postgres://u:p@127.0.0.1:5432/crm")
    monkeypatch.setenv("CRM_TELEGRAM_API_BASE", "http://127.0.0.1:8081/")
    settings = load_settings()
    assert settings.db_url == "postgres://u:p@127.0.0.1:5432/crm"
    assert settings.telegram_api_base == "http://127.0.0.1:8081"
