"""The composition root: one function wires settings, the ORM, the Bot, the dispatcher with its
middlewares, routers and dialogs; `run()` serves it by long polling or a webhook.

    app = build_app(settings)                 # nothing happens yet: no I/O at build time
    await run(app)                            # polling; a webhook when CRM_WEBHOOK_URL is set

Tests call `build_app()` with fakes (a Bot pointed at the fake Bot API, `JsonMemoryStorage`,
`MockMessageManager`, `manage_orm=False` when the test already opened the database). Later
workers (the scheduler, the IMAP ingest) attach through `extra_startup` / `extra_shutdown`:
coroutines taking the `App`, run after the ORM is open and before it is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
import signal
import sys
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError, TelegramUnauthorizedError
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.types import BotCommandScopeDefault, Update
from aiogram_dialog import BgManagerFactory, setup_dialogs
from aiogram_dialog.api.protocols import MessageManagerProtocol
from aiohttp import web

from bot.deps import Services
from bot.dialogs import FEATURES, MenuEntry, build_dialogs
from bot.dialogs.message_manager import LimitedMessageManager
from bot.handlers import AFTER_DIALOGS, BEFORE_DIALOGS, ERRORS, build_routers
from bot.handlers.commands import bot_commands
from bot.middlewares.employee import EmployeeMiddleware
from bot.middlewares.locale import LocaleMiddleware
from bot.middlewares.strangers import RefusalBook, StrangerMiddleware
from bot.middlewares.throttling import ChatSerialMiddleware, DuplicateCallbackMiddleware
from bot.notify.handlers import build_router as build_notify_router
from bot.session import build_bot
from bot.storage import build_storage
from core.config import ConfigError, Settings, load_settings
from core.i18n import LOCALES

logger = logging.getLogger(__name__)

Hook = Callable[["App"], Awaitable[None]]
DEFAULT_WEBHOOK_LISTEN = "127.0.0.1:8080"
BAD_TOKEN = (
    "Telegram refused CRM_BOT_TOKEN (Unauthorized): copy the token again from @BotFather "
    "into .env and start again."
)


@dataclass
class App:
    settings: Settings
    bot: Bot
    dispatcher: Dispatcher
    storage: BaseStorage
    bg_manager_factory: BgManagerFactory
    menu: tuple[MenuEntry, ...]
    manage_orm: bool = True
    extra_startup: list[Hook] = field(default_factory=list)
    extra_shutdown: list[Hook] = field(default_factory=list)
    drain_timeout: float = 20.0
    webhook_handler: Any = None

    async def startup(self) -> None:
        """Open the ORM, register the commands, start the extra workers (dispatcher startup)."""
        if self.manage_orm:
            from core.db import init_orm

            await init_orm(self.settings)
        await set_commands(self.bot, self.settings.default_locale)
        for hook in self.extra_startup:
            await hook(self)

    async def shutdown(self) -> None:
        """Let the updates in flight finish (they still write the FSM records), then close."""
        await self.drain()
        for hook in reversed(self.extra_shutdown):
            try:
                await hook(self)
            except Exception:
                logger.exception("a shutdown hook failed")
        await self.storage.close()
        if self.manage_orm:
            from core.db import close_orm

            await close_orm()

    async def drain(self) -> None:
        """Wait (up to `drain_timeout`) for the updates being handled: aiogram stops polling
        and shuts down without waiting for them, and they would meet a closed database."""
        tasks = set(getattr(self.dispatcher, "_handle_update_tasks", ()))
        if self.webhook_handler is not None:
            tasks |= set(getattr(self.webhook_handler, "_background_feed_update_tasks", ()))
        tasks.discard(asyncio.current_task())  # type: ignore[arg-type]
        if tasks:
            logger.info("waiting for %d update(s) in flight", len(tasks))
            await asyncio.wait(tasks, timeout=self.drain_timeout)

    def allowed_updates(self) -> list[str]:
        used = self.dispatcher.resolve_used_update_types()
        return [name for name in used if name in Update.model_fields]


def build_app(
    settings: Settings,
    *,
    bot: Bot | None = None,
    storage: BaseStorage | None = None,
    events_isolation: BaseEventIsolation | None = None,
    message_manager: MessageManagerProtocol | None = None,
    services: Services | None = None,
    features: Iterable[str] = FEATURES,
    manage_orm: bool = True,
    extra_startup: Iterable[Hook] = (),
    extra_shutdown: Iterable[Hook] = (),
) -> App:
    """Wire everything; no I/O happens until the dispatcher starts up."""
    bot = bot or build_bot(settings)
    if storage is None:
        storage, isolation = build_storage(settings)
    else:
        isolation = events_isolation or SimpleEventIsolation()
    services = services or Services.default()
    dialogs = build_dialogs(features)
    strangers = RefusalBook()

    dispatcher = Dispatcher(
        storage=storage,
        settings=settings,
        services=services,
        menu_entries=dialogs.menu,
        strangers=strangers,
    )
    dispatcher.update.outer_middleware(DuplicateCallbackMiddleware())
    dispatcher.update.outer_middleware(ChatSerialMiddleware(isolation))
    dispatcher.update.outer_middleware(
        EmployeeMiddleware(services.employees.find_employee_by_telegram)
    )
    dispatcher.update.outer_middleware(LocaleMiddleware(settings.default_locale))
    dispatcher.update.outer_middleware(StrangerMiddleware(strangers))

    dispatcher.include_routers(*build_routers((ERRORS,)))
    dispatcher.include_routers(*build_routers(BEFORE_DIALOGS))
    dispatcher.include_router(build_notify_router())  # buttons of pushed e-mail notifications
    dispatcher.include_router(dialogs.router)
    dispatcher.include_routers(*build_routers(AFTER_DIALOGS))
    use_collision_free_intent_ids()
    bg_manager_factory = setup_dialogs(
        dispatcher,
        message_manager=message_manager or LimitedMessageManager(),
        events_isolation=isolation,
    )

    app = App(
        settings=settings,
        bot=bot,
        dispatcher=dispatcher,
        storage=storage,
        bg_manager_factory=bg_manager_factory,
        menu=dialogs.menu,
        manage_orm=manage_orm,
        extra_startup=list(extra_startup),
        extra_shutdown=list(extra_shutdown),
    )
    dispatcher["app"] = app
    dispatcher.startup.register(app.startup)
    dispatcher.shutdown.register(app.shutdown)
    return app


async def set_commands(bot: Bot, default_locale: str) -> None:
    """/start, /menu, /cancel, /help in every language (and the default for other clients)."""
    try:
        await bot.set_my_commands(bot_commands(default_locale), scope=BotCommandScopeDefault())
        for locale in LOCALES:
            await bot.set_my_commands(bot_commands(locale), language_code=locale)
    except TelegramUnauthorizedError:
        raise
    except TelegramAPIError as error:
        logger.warning("could not register the bot's commands: %s", error)


# --- serving -----------------------------------------------------------------------------------


async def run(app: App) -> None:
    """Serve until SIGTERM/SIGINT: a webhook when CRM_WEBHOOK_URL is set, else long polling."""
    if app.settings.webhook_url:
        await run_webhook(app)
    else:
        await run_polling(app)


async def run_polling(app: App) -> None:
    await app.bot.delete_webhook(drop_pending_updates=False)
    await app.dispatcher.start_polling(
        app.bot, allowed_updates=app.allowed_updates(), handle_signals=True
    )


def webhook_secret(settings: Settings) -> str:
    """CRM_WEBHOOK_SECRET, or one derived from the token so that it is stable across restarts."""
    if settings.webhook_secret is not None and settings.webhook_secret.get_secret_value():
        return settings.webhook_secret.get_secret_value()
    token = settings.require_bot_token().encode()
    return hashlib.sha256(b"crm-webhook:" + token).hexdigest()


def build_webhook_app(app: App) -> web.Application:
    """The aiohttp application receiving Telegram's POSTs; a wrong secret header gets 401."""
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application

    path = urlsplit(app.settings.webhook_url or "").path or "/"
    web_app = web.Application()
    app.webhook_handler = SimpleRequestHandler(
        dispatcher=app.dispatcher, bot=app.bot, secret_token=webhook_secret(app.settings)
    )
    app.webhook_handler.register(web_app, path=path)
    setup_application(web_app, app.dispatcher, bot=app.bot)
    return web_app


async def run_webhook(app: App) -> None:
    settings = app.settings
    host, _, port = str(
        getattr(settings, "webhook_listen", None) or DEFAULT_WEBHOOK_LISTEN
    ).rpartition(":")
    runner = web.AppRunner(build_webhook_app(app), handle_signals=False)
    await runner.setup()  # dispatcher startup: ORM, commands, workers
    try:
        await web.TCPSite(runner, host or "0.0.0.0", int(port)).start()
        await app.bot.set_webhook(
            str(settings.webhook_url),
            secret_token=webhook_secret(settings),
            allowed_updates=app.allowed_updates(),
        )
        logger.info("webhook %s, listening on %s:%s", settings.webhook_url, host, port)
        await _wait_for_signal()
    finally:
        await runner.cleanup()


async def _wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


# --- the process -------------------------------------------------------------------------------


async def serve(settings: Settings) -> None:
    """Migrate the database, then run the bot until a signal."""
    from core.db import close_orm, migrate

    try:
        await migrate(settings)
    finally:
        await close_orm()
    ingest_startup, ingest_shutdown = ingest_hooks(settings)
    jobs_startup, jobs_shutdown = jobs_hooks(settings)
    app = build_app(
        settings,
        extra_startup=[default_pipelines, ingest_startup, jobs_startup],
        extra_shutdown=[ingest_shutdown, jobs_shutdown],  # run in reverse: jobs stop first
    )
    try:
        await run(app)
    finally:  # also when start-up failed half-way (e.g. Telegram refused the token)
        await app.bot.session.close()
        await close_orm()


def use_collision_free_intent_ids() -> None:
    """aiogram-dialog 2.6 names a new dialog by the current second plus one of 100 random
    numbers, so two dialogs opened by one user within a second (a wizard, then the card that
    replaces it) share an id once in 100, and closing the first deletes the second ("Stack is
    broken", the user lands in the main menu; Tishka17/aiogram_dialog#501). 45 random bits keep
    the id within 8 characters of callback data."""
    from aiogram_dialog.api.entities import stack

    stack.new_id = lambda: stack.id_to_str(secrets.randbits(45))


async def default_pipelines(app: App) -> None:
    """A fresh install gets the shipped process kinds, so New deal works from the first day;
    a database with any kind is left as it is (`crm pipelines load` updates kinds)."""
    from services.pipeline import ensure_default_pipelines

    report = await ensure_default_pipelines()
    if report is not None:
        logger.info("no process kinds yet: loaded the defaults %s", ", ".join(report.created))


def ingest_hooks(settings: Settings) -> tuple[Hook, Hook]:
    """The IMAP workers beside the bot (`crm run`; `crm ingest` runs them alone): started once
    the ORM is open, only when at least one active mailbox is configured (`crm mailbox add`),
    with the e-mail notifier on this App's Bot. A failure to start them is logged and the bot
    serves on; mailboxes added later are watched from the next start."""
    import os

    from bot.notify.email import make_notifier
    from ingest.pipeline import IngestOptions
    from ingest.runner import app_hooks
    from services.mailboxes import list_mailboxes

    cpus = os.cpu_count() or 1
    options = IngestOptions(
        files_dir=settings.files_path, parse_workers=min(2, cpus) if cpus > 1 else 0
    )
    start, stop = app_hooks(make_notifier, options=options)

    async def startup(app: App) -> None:
        if not await list_mailboxes(active_only=True):
            logger.info("ingest: no active mailboxes (`crm mailbox add` configures one)")
            return
        try:
            await start(app)
        except Exception:
            logger.exception("ingest: the mailbox workers did not start; the bot runs without")

    return startup, stop


def jobs_hooks(settings: Settings) -> tuple[Hook, Hook]:
    """The scheduled digests and reminders beside the bot (`crm run`; `crm jobs` runs them
    alone): started once the ORM is open, stopped before it closes (the sender finishes what it
    queued; what it could not send stays recorded and goes at the next start). With
    CRM_JOBS_ENABLED=false the hooks do nothing: the scheduler runs elsewhere (`crm jobs`)."""
    from jobs.scheduler import start_jobs, stop_jobs

    async def startup(app: App) -> None:
        if not settings.jobs_enabled:
            logger.info("jobs: CRM_JOBS_ENABLED=false, the scheduler runs elsewhere (`crm jobs`)")
            return
        await start_jobs(app)

    return startup, stop_jobs


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)  # a line per update otherwise


def main() -> int:
    """`crm run` and `python -m bot`: the exit code (2 for a configuration problem)."""
    try:
        settings = load_settings()
        settings.require_bot_token()
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        asyncio.run(serve(settings))
    except TelegramUnauthorizedError:
        print(BAD_TOKEN, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0
