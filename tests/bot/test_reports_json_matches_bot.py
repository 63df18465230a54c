"""The issue's "done when": on the demo company a head opens Reports in the bot and gets every
report with its chart and an XLSX file, and `crm report funnel --format json` shows the figures
the bot shows.

The demo is seeded once for the module (`crm demo seed`, with the clock frozen where the bot
tests freeze it), a head of one of its teams joins with a Telegram account, and every test's
bot runs against that database. The funnel's figures are read back out of the bot's text (the
labels come from the catalogue, the numbers are parsed) and compared with the JSON's."""

from __future__ import annotations

import asyncio
import html
import io
import json
import re
from dataclasses import dataclass

import openpyxl
import pytest
import pytest_asyncio
from tortoise.context import TortoiseContext

from core import clock
from core.config import get_settings
from core.db import tortoise_config
from core.i18n import gettext
from services import analytics
from tests.bot.conftest import buttons, click
from tests.cli.conftest import _create_pg_database, crm_run, run_in_db
from tests.conftest import FROZEN_AT, PG_URL, _drop_pg_database, fresh_db_url

MINE = ("bot.dialogs.menu.dialog", "bot.dialogs.settings.dialog", "bot.dialogs.reports.dialog")
HEAD_TELEGRAM_ID = 7001
LOCALE = "uk"
DEALS = 80
# "Last 90 days" at the frozen moment (27.11.2026, Kyiv).
DATE_FROM, DATE_TO = "30.08.2026", "27.11.2026"
NBSP = "\u00a0"


@dataclass(frozen=True)
class Demo:
    url: str
    head_id: int
    funnel: dict  # `crm report funnel --format json` as the head


async def _join_a_head() -> int:
    """A head of the demo's first team, with a Telegram account (as an invitation makes one)."""
    from models import Employee
    from services.employees import create_employee

    team_id = await Employee.filter(role="head").order_by("id").first().values_list(
        "team_id", flat=True
    )
    head = await create_employee(
        full_name="Галина Тестова", role="head", team_id=team_id, telegram_id=HEAD_TELEGRAM_ID,
        locale=LOCALE,
    )  # fmt: skip
    return head.id


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Demo:
    folder = tmp_path_factory.mktemp("demo")
    if PG_URL:
        url = fresh_db_url()
        asyncio.run(_create_pg_database(url))
    else:
        url = f"sqlite://{folder / 'crm.sqlite3'}"
    clock.freeze(FROZEN_AT)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("CRM_DATABASE_URL", url)
            patch.setenv("CRM_DATA_DIR", str(folder))
            patch.setenv("CRM_DEFAULT_LOCALE", LOCALE)
            get_settings.cache_clear()
            migrated = crm_run("db", "migrate")
            assert migrated.exit_code == 0, migrated.output
            seeded = crm_run("demo", "seed", "--seed", "3", "--deals", str(DEALS))
            assert seeded.exit_code == 0, seeded.output
            head_id = run_in_db(url, _join_a_head)
            out = folder / "funnel.json"
            report = crm_run(
                "report", "funnel", "--format", "json", "--as", str(head_id), "--from", DATE_FROM,
                "--to", DATE_TO, "--locale", LOCALE, "--out", str(out),
            )  # fmt: skip
            assert report.exit_code == 0, report.output
            get_settings.cache_clear()
    finally:
        clock.unfreeze()
    yield Demo(url, head_id, json.loads(out.read_text(encoding="utf-8")))
    if PG_URL:
        asyncio.run(_drop_pg_database(url))


@pytest_asyncio.fixture
async def db(demo):
    """The seeded demo database instead of an empty one (the bot fixtures build on `db`)."""
    async with TortoiseContext() as ctx:
        await ctx.init(config=tortoise_config(demo.url))
        try:
            yield ctx
        finally:
            await ctx.close_connections()


# --- reading the bot's text back --------------------------------------------------------------


def _pattern(msgid: str) -> re.Pattern[str]:
    """The catalogue's text of `msgid` with each %(name)s as a named group."""
    text = re.escape(gettext(msgid, LOCALE))
    return re.compile(re.sub(r"%\\\(([a-z_]+)\\\)s", r"(?P<\1>.+?)", text) + "$")


def _int(text: str) -> int:
    return int(text.replace(NBSP, "").replace(" ", "").replace(",", ""))


def _money_minor(text: str) -> int:
    """'1 234 567,89 грн' -> 123456789."""
    number = re.match(r"-?[\d\s\u00a0]+,\d\d", text.strip())
    assert number, text
    units, cents = number.group(0).replace(NBSP, "").replace(" ", "").split(",")
    return int(units) * 100 + (int(cents) if not units.startswith("-") else -int(cents))


def _percent(text: str) -> float:
    """'45,5 %' -> 45.5."""
    return float(text.replace(NBSP, "").replace(" ", "").rstrip("%").replace(",", "."))


async def _bot_text(harness, client) -> str:
    """Reports -> Sales funnel -> Last 90 days, every page of the text the bot shows."""
    await client.send("/menu")
    await click(harness, client, gettext("Reports", LOCALE))
    await click(harness, client, gettext("Sales funnel", LOCALE))
    shown = await click(harness, client, gettext("Last 90 days", LOCALE))
    pages = [shown.text]
    while any(gettext("Next", LOCALE) in b for b in buttons(shown)):
        shown = await click(harness, client, gettext("Next", LOCALE))
        pages.append(shown.text)
    page_line = re.compile(
        re.escape(gettext("Page {page} of {pages}", LOCALE))
        .replace(r"\{page\}", r"\d+").replace(r"\{pages\}", r"\d+") + "$"
    )
    lines = []
    for page in pages:
        lines += [line for line in html.unescape(page).splitlines() if not page_line.match(line)]
    return "\n".join(lines)


def _stage_lines(text: str, kind_uk: str) -> dict[str, str]:
    """The brief rows ('• Stage: label N; ...') under the table of one deal kind."""
    title = gettext("Funnel: %(kind)s", LOCALE) % {"kind": kind_uk}
    lines = text.splitlines()
    start = lines.index(title) + 1
    rows = {}
    for line in lines[start:]:
        if not line.startswith("• "):
            break
        name, _, rest = line[2:].partition(": ")
        rows[name] = rest
    return rows


def _cell(rest: str, label_msgid: str) -> str:
    label = gettext(label_msgid, LOCALE)
    for part in rest.split("; "):
        if part.startswith(label + " "):
            return part[len(label) + 1:]
    raise AssertionError(f"{label!r} not in {rest!r}")


# --- the tests ---------------------------------------------------------------------------------


async def test_the_bot_shows_a_head_the_funnel_figures_of_crm_report_json(
    make_harness, frozen_clock, demo
):
    data = demo.funnel["data"]
    assert demo.funnel["period"] == {"from": "2026-08-30", "to": "2026-11-27"}
    kinds = [k for k in data["kinds"] if k["stages"] and k["stages"][0]["reached"]]
    assert kinds, "the demo has deals in the funnel"
    harness = make_harness(features=MINE)
    text = await _bot_text(harness, harness.client(HEAD_TELEGRAM_ID))

    entered = _pattern("%(kind)s: entered %(entered)s, through the funnel %(won)s (%(rate)s)")
    in_progress = _pattern("In progress: %(amount)s (deals: %(count)s)")
    most_lost = _pattern("Most potential lost at: %(stage)s, %(amount)s")
    lines = text.splitlines()
    checked_stages = 0
    for kind in kinds:
        stages = kind["stages"]
        name = kind["name"]["uk"]
        head_at = next(i for i, line in enumerate(lines) if (m := entered.match(line))
                       and m["kind"] == name)
        found = entered.match(lines[head_at])
        assert _int(found["entered"]) == stages[0]["reached"]
        assert _int(found["won"]) == kind["won"]
        if stages[-1]["cumulative"] is not None:
            assert _percent(found["rate"]) == pytest.approx(100 * stages[-1]["cumulative"],
                                                            abs=0.051)
        money = in_progress.match(lines[head_at + 1])
        assert money, lines[head_at + 1]
        assert _money_minor(money["amount"]) == sum(s["current_minor"] for s in stages)
        assert _int(money["count"]) == sum(s["current"] for s in stages)
        for line in lines[head_at + 2:]:
            if (lost := most_lost.match(line)) is not None:
                stage = next(s for s in stages if s["name"]["uk"] == lost["stage"])
                assert _money_minor(lost["amount"]) == stage["lost_minor"]
                assert stage["lost_minor"] == max(s["lost_minor"] for s in stages)
                break

        rows = _stage_lines(text, name)
        assert list(rows) == [s["name"]["uk"] for s in stages]
        for stage in stages:
            rest = rows[stage["name"]["uk"]]
            assert _int(_cell(rest, "Reached")) == stage["reached"]
            assert _int(_cell(rest, "Passed")) == stage["passed"]
            conversion = _cell(rest, "Conversion")
            if stage["conversion"] is None:
                assert conversion == "—"
            else:
                assert _percent(conversion) == pytest.approx(100 * stage["conversion"], abs=0.051)
            checked_stages += 1
    assert checked_stages >= 4


async def test_the_head_sees_the_team_not_the_company(make_harness, frozen_clock, demo):
    """The JSON above is the head's view: fewer deals than the operator's (everyone's)."""
    everyone = await analytics.run_report("funnel", analytics.ReportParams())
    team = demo.funnel["data"]["kinds"]
    assert sum(k["stages"][0]["reached"] for k in team if k["stages"]) < sum(
        k.stages[0].reached for k in everyone.data.kinds if k.stages
    )


@pytest.mark.parametrize("report", [spec.name for spec in analytics.list_reports()])
async def test_a_head_gets_each_report_with_its_chart_and_xlsx(
    make_harness, frozen_clock, demo, report
):
    harness = make_harness(features=MINE)
    client = harness.client(HEAD_TELEGRAM_ID)
    spec = analytics.get_report(report)
    title = gettext(spec.title, LOCALE)
    await client.send("/menu")
    listing = await click(harness, client, gettext("Reports", LOCALE))
    while title not in buttons(listing):  # the list is paged
        listing = await click(harness, client, ">")
    shown = await click(harness, client, title)
    shown = await click(harness, client, gettext("Last 90 days", LOCALE), shown)
    assert html.unescape(shown.text).startswith(title)
    assert len(shown.text) <= 4096

    photos = [p for name, p in harness.fake.requests if name == "sendPhoto"]
    assert len(photos) == 1, f"{report}: one chart"
    photo = next(i for i in harness.fake.files.values() if i["file_path"].startswith("photos"))
    assert photo["content"].startswith(b"\x89PNG")
    assert photos[0]["caption"].startswith(title)

    await click(harness, client, "XLSX")
    document = next(
        i for i in harness.fake.files.values() if i["file_path"].startswith("documents")
    )
    assert document["file_name"].startswith(f"{report}_") and document["file_name"].endswith(
        ".xlsx"
    )
    book = openpyxl.load_workbook(io.BytesIO(document["content"]))
    assert book.sheetnames
    assert any(sheet.max_row > 1 for sheet in book.worksheets), f"{report}: an empty workbook"
