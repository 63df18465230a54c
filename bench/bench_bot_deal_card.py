"""The deal-card flow of `crm run` over the fake Bot API on loopback, beside a bare aiogram echo
bot measured in the same run against the same server.

Every chat is its own manager (English, so the button texts are known) with its own deals of the
manual kind "Simple deal" (advancing is one click), each with a timeline of more than one page.
A chat clicks through, one update at a time, waiting for the bot's reply (closed loop):

    deal number (open the card) -> Timeline -> Older (page 2) -> Back -> Next stage
    (at the last stage: Choose the stage -> 1.) -> Back (to My deals) -> the next deal ...

Both bots run at the same time, each polling its own fake server (the same FakeTelegram class
in this process); the measured windows alternate between them (`--rounds` of each), so that a
busy machine slows both alike. Printed: updates per second, p50/p99 latency and CPU per update of
both bots with 1 and with 50 concurrent chats, the ratio of `crm run` to the echo bot (target
>= 0.5), and the resident memory of `crm run` once it has handled 10,000 updates (the load goes on
with 50 chats until then).

    .venv/bin/python bench/bench_bot_deal_card.py [--seconds 10] [--rounds 5] [--chats 1,50]
        [--updates 10000] [--db sqlite|<postgres url>] [--profile out.prof] [--py-spy out]

`--py-spy out` samples `crm run` with py-spy (when it is on PATH) while its windows run, into
`out.1` and `out.50` (collapsed stacks; the echo windows are idle time, not sampled).
`--profile out.prof` runs `crm run` under cProfile (CPU time of the event loop's thread) in its
measured windows only (SIGUSR1/SIGUSR2 switch it) and writes the statistics there (`python -m
pstats out.prof`); the figures printed then include the profiler's large overhead.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from bench_bot_echo import (  # noqa: E402
    ECHO_BOT,
    cpu_seconds,
    echo_step,
    env_for,
    rss_mib,
    run_load,
    start_bot,
    stop_bot,
)

from tests.fakes.telegram import BotEvent, FakeTelegram  # noqa: E402

DEALS_PER_CHAT = 3
INTERACTIONS_PER_DEAL = 14  # the timeline has a second page
SETUP = """
import asyncio, datetime as dt, sys
from core import clock
from core.db import orm
from services.deals import create_deal, ensure_default_loss_reasons
from services.employees import create_employee
from services.interactions import log_interaction
from services.partners import create_partner
from services.pipeline import load_default_pipelines

async def main(chats, deals, interactions):
    async with orm():
        await load_default_pipelines()
        await ensure_default_loss_reasons()
        start = clock.now() - dt.timedelta(days=30)
        for chat in range(1, chats + 1):
            me = await create_employee(full_name=f"Bench Manager {chat}", role="manager",
                                       telegram_id=chat, locale="en")
            partner = await create_partner(name=f"ТОВ «Бенч {chat}»", is_client=True,
                                           main_manager_id=me.id)
            for n in range(deals):
                deal = await create_deal(kind_code="simple_deal", owner_id=me.id,
                                         partner_id=partner.id, title=f"Поставка {chat}-{n}",
                                         potential_minor=1_000_000 * (n + 1), actor_id=me.id)
                for i in range(interactions):
                    await log_interaction(
                        kind="call", owner_id=me.id, deal_id=deal.id, direction="outgoing",
                        subject=f"Дзвінок {i}", result="Домовились",
                        starts_at=start + dt.timedelta(hours=i),
                    )
                print(deal.number)

asyncio.run(main(*map(int, sys.argv[1:4])))
"""
CRM_RUN = "from cli.main import main; main()"
CRM_RUN_PROFILED = """
import cProfile, signal, sys
out = sys.argv.pop()  # the rest is `crm run`
import time
profile = cProfile.Profile(time.thread_time)  # CPU of the event loop thread
signal.signal(signal.SIGUSR1, lambda *_: profile.enable())
signal.signal(signal.SIGUSR2, lambda *_: profile.disable())
from cli.main import main
try:
    main()
finally:
    profile.disable()
    profile.dump_stats(out)
"""


@dataclass
class Chat:
    deals: list[str]
    at: str = "list"  # list | card_open | timeline | timeline_older | card_back | stages | card
    deal: int = 0
    last: BotEvent | None = None
    updates: int = 0
    surprises: list[str] = field(default_factory=list)


chats: dict[int, Chat] = {}
crm_updates = 0


def _next_click(chat: Chat) -> tuple[str, str]:
    """(button text to press, the state it leads to)."""
    if chat.at == "list":
        return chat.deals[chat.deal], "card_open"
    if chat.at == "card_open":
        return "Timeline", "timeline"
    if chat.at == "timeline":
        return "Older", "timeline_older"
    if chat.at == "timeline_older":
        return "Back", "card_back"
    if chat.at == "card_back":
        assert chat.last is not None
        if any("Next stage" in text for text in chat.last.button_texts()):
            return "Next stage", "card"
        return "Choose the stage", "stages"
    if chat.at == "stages":
        return "1. New deal", "card"
    return "Back", "list"  # card -> My deals


EXPECTED = {  # a piece of the text each window must show
    "card_open": "Stage:",
    "timeline": "timeline</b>, page 1",
    "timeline_older": "timeline</b>, page 2",
    "card_back": "Stage:",
    "stages": "Choose the stage",
    "card": "The deal is now at the stage",
    "list": "My deals",
}


async def deal_card_step(fake: FakeTelegram, number: int) -> None:
    """One button press of the deal-card flow and the bot's reply. A reply that is not the
    expected window is noted (printed at the end) and the chat starts again from /menu."""
    global crm_updates
    chat = chats[number]
    text, target = _next_click(chat)
    try:  # on the dialog's message: pushed messages (the morning digest) are not the flow
        await fake.click(number, text, message_id=chat.last.message["message_id"])
    except LookupError as error:
        chat.surprises.append(f"{chat.at} -> {text!r}: {error}"[:300])
        await open_deals(fake, number)
        chat.at = "list"
        return
    chat.last = await fake.next_event(number, timeout=60, kinds={"edit"})
    crm_updates += 1
    if EXPECTED[target] not in chat.last.text:
        chat.surprises.append(f"{chat.at} -> {text!r}: {chat.last.text[:200]!r}")
        await open_deals(fake, number)
        chat.at = "list"
        return
    if target == "list":
        chat.deal = (chat.deal + 1) % len(chat.deals)
    chat.at = target


async def open_deals(fake: FakeTelegram, number: int) -> None:
    """/menu, then My deals: the list the flow starts from."""
    global crm_updates
    await fake.user_message(number, "/menu")
    menu = await fake.next_event(number, kinds={"send"}, timeout=60)
    while "My deals" not in menu.button_texts():  # a pushed message came first
        menu = await fake.next_event(number, kinds={"send"}, timeout=60)
    await fake.click(number, "My deals", message_id=menu.message["message_id"])
    chats[number].last = await fake.next_event(number, timeout=60, kinds={"edit"})
    crm_updates += 2


def self_cpu() -> float:
    times = os.times()
    return times.user + times.system


@dataclass
class Tally:
    """One bot at one number of chats, summed over its windows."""

    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    bot_cpu: float = 0.0
    bench_cpu: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed

    def row(self, bot: str, count: int) -> str:
        ordered = sorted(self.latencies)
        n = len(ordered)
        p50, p99 = ordered[n // 2], ordered[min(n - 1, int(n * 0.99))]
        return (
            f"{bot:<6}{count:>6}{self.rate:>8.0f}{p50:>9.1f}{p99:>9.1f}{n:>9}"
            f"{self.bot_cpu * 1000 / n:>16.2f}{self.bench_cpu * 1000 / n:>18.2f}"
        )


async def window(fake: FakeTelegram, pid: int, count: int, seconds: float, step, tally) -> None:
    """One closed-loop window of `count` chats, added to `tally`."""
    cpu, mine, began = cpu_seconds(pid), self_cpu(), time.perf_counter()
    deadline = began + seconds

    async def chat_loop(chat: int) -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await step(fake, chat)
            tally.latencies.append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(chat_loop(chat) for chat in range(1, count + 1)))
    tally.elapsed += time.perf_counter() - began
    tally.bot_cpu += cpu_seconds(pid) - cpu
    tally.bench_cpu += self_cpu() - mine


async def start_py_spy(out: str, pid: int, chats: int) -> asyncio.subprocess.Process | None:
    """`py-spy record` of `crm run` (raw collapsed stacks) until told to stop."""
    if not out:
        return None
    return await asyncio.create_subprocess_exec(
        "py-spy", "record", "--pid", str(pid), "--format", "raw", "--rate", "200",
        "--nonblocking", "--output", f"{out}.{chats}",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def stop_py_spy(spy: asyncio.subprocess.Process | None) -> None:
    if spy is not None:
        spy.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
        await asyncio.wait_for(spy.wait(), 60)


async def set_up_deals(fake: FakeTelegram, data_dir: Path, env: dict[str, str], most: int):
    setup = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SETUP, str(most), str(DEALS_PER_CHAT),
        str(INTERACTIONS_PER_DEAL), cwd=data_dir, env=env, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await setup.communicate()
    assert setup.returncode == 0, "the set-up failed"
    numbers = out.decode().split()
    for number in range(1, most + 1):
        first = (number - 1) * DEALS_PER_CHAT
        chats[number] = Chat(deals=numbers[first : first + DEALS_PER_CHAT])


async def main(options: argparse.Namespace) -> None:
    counts = [int(c) for c in options.chats.split(",")]
    most = max(counts)
    echo_fake, crm_fake = FakeTelegram(), FakeTelegram()
    await echo_fake.start()
    await crm_fake.start()
    tallies: dict[tuple[str, int], Tally] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        env = env_for(crm_fake, data_dir)
        if options.db != "sqlite":
            env["CRM_DB_URL"] = options.db
        await set_up_deals(crm_fake, data_dir, env, most)
        code, args = (CRM_RUN, ["run"])
        if options.profile:
            code, args = CRM_RUN_PROFILED, ["run", options.profile]
        crm = await asyncio.create_subprocess_exec(
            sys.executable, "-c", code, *args, cwd=data_dir, env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=None if options.verbose else asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        bots = [crm]
        try:
            await crm_fake.wait_request("getUpdates", timeout=120)
            memory_start = rss_mib(crm.pid)
            echo = await start_bot(echo_fake, data_dir, ECHO_BOT)
            bots.append(echo)

            await asyncio.gather(*(open_deals(crm_fake, number) for number in chats))
            await run_load(echo_fake, most, 1.0, echo_step)  # warm-up, not counted
            await run_load(crm_fake, most, 2.0, deal_card_step)
            slice_ = options.seconds / options.rounds
            for count in counts:
                echo_tally = tallies["echo", count] = Tally()
                crm_tally = tallies["crm", count] = Tally()
                spy = await start_py_spy(options.py_spy, crm.pid, count)
                for _ in range(options.rounds):  # alternate, so that both see the same machine
                    await window(echo_fake, echo.pid, count, slice_, echo_step, echo_tally)
                    if options.profile:
                        os.kill(crm.pid, signal.SIGUSR1)
                    await window(crm_fake, crm.pid, count, slice_, deal_card_step, crm_tally)
                    if options.profile:
                        os.kill(crm.pid, signal.SIGUSR2)
                await stop_py_spy(spy)
            await stop_bot(echo)
            while crm_updates < options.updates:
                await window(crm_fake, crm.pid, most, 1.0, deal_card_step, Tally())
            handled = crm_updates
            memory = rss_mib(crm.pid)
        finally:
            for bot in bots:  # also when the run failed: no bot is left polling
                if bot.returncode is None:
                    await stop_bot(bot)
    await echo_fake.close()
    await crm_fake.close()

    print(f"{'bot':<6}{'chats':>6}{'upd/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'updates':>9}"
          f"{'bot CPU ms/upd':>16}{'bench CPU ms/upd':>18}")  # fmt: skip
    for (bot, count), tally in tallies.items():
        print(tally.row(bot, count))
    for count in counts:
        ratio = tallies["crm", count].rate / tallies["echo", count].rate
        print(f"ratio crm/echo with {count} chat(s): {ratio:.2f} (target >= 0.5)")
    print(f"resident memory of `crm run`: {memory_start:.0f} MiB at start, "
          f"{memory:.0f} MiB after {handled} updates")  # fmt: skip
    surprises = [line for chat in chats.values() for line in chat.surprises]
    if surprises:
        print(f"unexpected replies: {len(surprises)}, the first ones:", *surprises[:5], sep="\n  ")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per bot and chat count")
    parser.add_argument("--rounds", type=int, default=5, help="alternating windows of each bot")
    parser.add_argument("--chats", default="1,50")
    parser.add_argument("--updates", type=int, default=10_000)
    parser.add_argument("--db", default="sqlite", help="sqlite (the default file) or a DB URL")
    parser.add_argument("--profile", default="", help="write cProfile statistics of `crm run`")
    parser.add_argument("--py-spy", default="", help="py-spy samples of `crm run`: <this>.<chats>")
    parser.add_argument("--verbose", action="store_true", help="show the bot's stderr")
    asyncio.run(main(parser.parse_args()))
