"""`crm ingest`: run the mailbox workers alone (`crm run` runs them beside the bot)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal

import click

from cli.common import fail, locale, run_db, settings
from core.i18n import N_, gettext


@click.command("ingest")
@click.option(
    "--mailbox",
    "mailboxes",
    multiple=True,
    metavar="NAME",
    help="Only this mailbox; repeat for several (default: every active one).",
)
@click.option("--once", is_flag=True, help="Catch up once and exit (for cron or a first import).")
@click.option(
    "--parse-workers",
    type=int,
    default=None,
    help="Processes that parse mail (default: the number of CPUs, at most 4; "
    "0 parses in a thread).",
)
@click.option(
    "--batch-size",
    type=int,
    default=50,
    show_default=True,
    help="Messages fetched and stored per transaction.",
)
@click.option(
    "--max-attachment-mb",
    type=float,
    default=25.0,
    show_default=True,
    help="Larger attachments are not stored; the message says so.",
)
@click.option(
    "--loop-guard",
    nargs=2,
    type=int,
    default=(20, 60),
    show_default=True,
    metavar="COUNT MINUTES",
    help="Hold mail from a sender who sends more than COUNT messages in MINUTES.",
)
def ingest_cmd(
    mailboxes: tuple[str, ...],
    once: bool,
    parse_workers: int | None,
    batch_size: int,
    max_attachment_mb: float,
    loop_guard: tuple[int, int],
) -> None:
    """Take mail from the mailboxes onto deals until stopped (Ctrl+C or SIGTERM)."""
    from ingest.pipeline import IngestOptions
    from services.mail import LoopGuard

    conf = settings()
    logging.basicConfig(
        level=getattr(logging, conf.log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if parse_workers is None:
        parse_workers = min(4, os.cpu_count() or 1)
    options = IngestOptions(
        batch_size=max(1, batch_size),
        parse_workers=max(0, parse_workers),
        max_attachment_bytes=int(max_attachment_mb * 1024 * 1024),
        loop_guard=LoopGuard(max_messages=loop_guard[0], minutes=loop_guard[1]),
        files_dir=conf.files_path,
    )
    if once:
        stored = run_db(_once, options, list(mailboxes))
        for name, count in stored.items():
            click.echo(
                gettext(N_("%(name)s: new messages: %(count)s"), locale())
                % {"name": name, "count": count}
            )
        return
    run_db(_serve, options, list(mailboxes))


async def _once(options: object, names: list[str]) -> dict[str, int]:
    from ingest.runner import IngestRunner

    runner = IngestRunner(options=options, mailbox_names=names)  # type: ignore[arg-type]
    return await runner.run_once()


async def _serve(options: object, names: list[str]) -> None:
    from ingest.runner import IngestRunner

    # Without the bot in this process, notifications are recorded and the bot sends them
    # (`IngestPipeline.flush_pending`) when `crm run` starts its ingest hooks.
    runner = IngestRunner(options=options, mailbox_names=names)  # type: ignore[arg-type]
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, runner.stop_event.set)
    started = await runner.start()
    if not started:
        fail(gettext(N_("No active mailboxes: add one with `crm mailbox add`."), locale()))
    logging.getLogger("ingest").info("watching %s", ", ".join(started))
    await runner.stop_event.wait()
    await runner.stop()
