"""The issue's "done when": a manager registers a claim with a photo from the chat, the
responsible person works it to "satisfied" in the bot, and the claims report and the next
morning's claims digest show it."""

from __future__ import annotations

import datetime as dt

from core import clock
from jobs.scheduler import run_job
from models import Claim, FileLink
from models.base import ClaimStatus, Role
from services.analytics import ReportParams, get_report, render_summary, run_report
from tests.bot.test_dialogs_claims import (
    FEATURES,
    PNG,
    claims_bot_world,
    click,
    files_dir,  # noqa: F401  (a fixture)
    open_deal_card,
    send_photo,
    typed,
)
from tests.fakes.telegram import visible_text
from tests.jobs.conftest import make_sender  # noqa: F401  (a fixture)

REGISTERED_AT = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)  # 10:00 in Kyiv
DIGEST_AT = dt.datetime(2026, 11, 27, 7, 30, tzinfo=dt.UTC)  # 09:30 the next morning


async def test_a_claim_from_the_chat_worked_to_satisfied_shows_in_the_report_and_the_digest(
    make_harness,
    fake_telegram,
    make_sender,  # noqa: F811
    files_dir,  # noqa: F811
):
    clock.freeze(REGISTERED_AT)
    try:
        harness = make_harness(features=FEATURES)
        w = await claims_bot_world()

        # the manager registers it from the deal card, with a photo sent in the chat
        manager = harness.client(1)
        await open_deal_card(harness, manager, w.deal_number)
        await click(harness, manager, "Зареєструвати претензію")
        await click(harness, manager, "Пошкодження товару")
        await typed(harness, manager, "Бій плитки: 12 коробок")
        await typed(harness, manager, "4 800")
        await click(harness, manager, "Олег Мельник")  # the responsible person
        await send_photo(harness, manager, PNG + b"broken tiles")
        await click(harness, manager, "Готово")
        card = await click(harness, manager, "Зареєструвати")
        assert card.text.startswith("✅ Претензію C-000001 зареєстровано.")
        claim = await Claim.get(number="C-000001")
        assert await FileLink.filter(claim_id=claim.id).count() == 1

        # the responsible person finds it among their claims and works it to "satisfied"
        clock.freeze(REGISTERED_AT + dt.timedelta(hours=3))
        responsible = harness.client(w.colleague.telegram_id)
        await responsible.send("/menu")
        listing = await click(harness, responsible, "Претензії")
        assert listing.text.startswith("<b>Мої претензії</b>\n1 претензія")
        await click(harness, responsible, "C-000001")
        await click(harness, responsible, "Взяти в роботу")
        await click(harness, responsible, "Закрити претензію")
        await click(harness, responsible, "✅ Задоволена")
        await typed(harness, responsible, "Замінили 12 коробок")
        await click(harness, responsible, "Пропустити")
        await click(harness, responsible, "Пропустити")
        card = await click(harness, responsible, "Підтвердити")
        assert card.text.startswith("✅ Претензію закрито.\n<b>Претензія C-000001</b> · Задоволена")
        done = await Claim.get(id=claim.id)
        assert (done.status, done.responsible_id, done.claimed_minor) == (
            ClaimStatus.SATISFIED, w.colleague.id, 480_000,
        )  # fmt: skip

        # the claims report of the team's head
        day = dt.date(2026, 11, 26)
        result = await run_report("claims", ReportParams(
            viewer_id=w.head.id, viewer_role=Role.HEAD, date_from=day, date_to=day,
        ))  # fmt: skip
        data = result.data
        assert (data.registered, data.satisfied, data.not_satisfied, data.open) == (1, 1, 0, 0)
        assert (data.claimed_minor, data.closed, data.closed_late) == (480_000, 1, 0)
        assert data.top_causes[0].name.uk == "Пошкодження товару під час перевезення"
        summary = visible_text(render_summary(get_report("claims"), result, "uk"))
        assert "Претензій: 1, заявлено 4 800,00 грн" in summary.replace("\u00a0", " ")

        # the next morning's claims digest
        clock.freeze(DIGEST_AT)
        sender = make_sender(fake_telegram)
        await run_job("digests:claims_daily", sender)
        await sender.join()
        (digest,) = [
            visible_text(e.text) for e in fake_telegram.history[w.head.telegram_id]
            if e.kind == "send" and "Претензії," in e.text
        ]  # fmt: skip
        assert digest.splitlines()[0] == "📮 Претензії, 26.11.2026"
        assert "Нові: 1" in digest
        assert "Розглянуто: 1 (задоволено: 1, не задоволено: 0)" in digest
        assert "• Пошкодження товару під час перевезення: 1" in digest
    finally:
        clock.unfreeze()
