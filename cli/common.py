"""What every `crm` sub-command shares: the settings, the database, errors as one sentence."""

from __future__ import annotations

import asyncio
import functools
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from core.config import ConfigError, Settings, get_settings
from core.errors import DomainError
from core.i18n import translate_error

T = TypeVar("T")


def settings() -> Settings:
    try:
        return get_settings()
    except ConfigError as error:
        click.echo(str(error), err=True)
        sys.exit(2)


def locale() -> str:
    return settings().default_locale


def fail(message: str, code: int = 1) -> None:
    click.echo(message, err=True)
    sys.exit(code)


def run_db(func: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
    """Run `func` with the database open (migrated first); errors become one clear sentence."""
    from core.db import orm

    conf = settings()

    async def main() -> T:
        async with orm(conf):
            return await func(*args, **kwargs)

    try:
        return asyncio.run(main())
    except DomainError as error:
        fail(translate_error(error, conf.default_locale))
    except ConfigError as error:
        fail(str(error), 2)
    raise AssertionError("unreachable")


def with_db(func: Callable[..., Awaitable[T]]) -> Callable[..., T]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        return run_db(func, *args, **kwargs)

    return wrapper
