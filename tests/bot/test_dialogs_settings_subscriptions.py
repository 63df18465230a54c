"""Settings > Digests and reminders, clicked through: mute and unmute, the time from the grid or
typed (checked, echoed back), the day of a weekly digest, back to the default; what each role
sees; forged digest codes refused. The database is read back with `list_subscriptions`."""

from __future__ import annotations

import pytest

from models import Subscription
from models.base import Role
from services import notifications
from services.employees import create_team
from services.notifications import Cadence, Default, DigestSpec
from tests.bot.conftest import buttons, click, forge_click, make_employee

DENIED = "У вас немає доступу до цього."




async def _setting(employee_id: int, digest: str) -> notifications.SubscriptionRow:
    rows = {row.digest: row for row in await notifications.list_subscriptions(employee_id)}
    return rows[digest]


async def _head(name: str = "Північ"):
    team = await create_team(name)
    head = await make_employee(1, role="head", name="Олена Петренко")
    head.team_id = team.id
    await head.save(update_fields=["team_id"])
    return head


async def _open_digests(harness, client):
    await client.send("/menu")
    settings = await click(harness, client, "Налаштування")
    assert "🔔 Дайджести й нагадування" in buttons(settings)
    return await click(harness, client, "Дайджести й нагадування")


async def _send(harness, client, text: str):
    harness.mm.reset_history()
    await client.send(text)
    return harness.mm.last_message()


async def test_a_head_sees_the_team_scope_and_every_digest_with_its_state(harness):
    await _head()
    client = harness.client(1)

    listed = await _open_digests(harness, client)

    assert listed.text == (
        "<b>Дайджести й нагадування</b>\n"
        "Цифри у ваших дайджестах: ваша команда, Північ.\n"
        "🔔 увімкнено, 🔕 вимкнено. Натисніть, щоб змінити."
    )
    assert buttons(listed) == [
        "🔔 Щоденна воронка продажу · 09:00",
        "🔔 Щотижнева воронка продажу · Пн 09:00",
        "🔔 Претензії · 09:30",
        "🔔 Програні угоди тижня · Пн 10:00",
        "🔔 Зміни ABC/XYZ-класифікації · 10:00",
        "🔔 Мій день · 08:30",
        "🔔 Нагадування про завдання",
        "🔔 Заплановані дзвінки та зустрічі",
        "🔔 Сповіщення про претензії",
        "🔔 Угоди без активності · 10:00",
        "🔔 Дні народження контактних осіб · 09:00",
        "🔔 Партнери, з якими час зв'язатися · 10:00",
        "⬅️ Назад",
        "🏠 Головне меню",
    ]
    back = await click(harness, client, "Назад")
    assert back.text.startswith("<b>Налаштування</b>")


async def test_mute_and_unmute_are_stored_and_shown(harness):
    head = await _head()
    client = harness.client(1)
    await _open_digests(harness, client)

    digest = await click(harness, client, "Щоденна воронка продажу")
    assert digest.text == (
        "🔔 <b>Щоденна воронка продажу</b>\nСтан: увімкнено\nЧас: 09:00 (Europe/Kyiv)\n"
        "Це типове налаштування для вашої ролі."
    )
    assert buttons(digest) == ["🔕 Вимкнути", "🕒 Час", "⬅️ Назад", "🏠 Головне меню"]

    muted = await click(harness, client, "Вимкнути")
    assert "Стан: вимкнено" in muted.text
    assert "✅ Вимкнено: ви його не отримуватимете." in muted.text
    assert "↩️ Повернути типове" in buttons(muted) and "🔔 Увімкнути" in buttons(muted)
    row = await _setting(head.id, "funnel_daily")
    assert (row.muted, row.customised, row.local_time) == (True, True, "09:00")
    assert head.id not in {r.employee_id for r in await notifications.list_recipients(
        "funnel_daily")}  # fmt: skip

    unmuted = await click(harness, client, "Увімкнути")
    assert "Стан: увімкнено" in unmuted.text and "знову його отримуватимете" in unmuted.text
    assert not (await _setting(head.id, "funnel_daily")).muted

    listed = await click(harness, client, "Назад")
    assert "🔔 Щоденна воронка продажу · 09:00" in buttons(listed)


async def test_the_time_is_picked_from_the_hour_grid_then_the_minutes(harness):
    head = await _head()
    client = harness.client(1)
    await _open_digests(harness, client)
    await click(harness, client, "Щоденна воронка продажу")

    hours = await click(harness, client, "🕒 Час")
    assert hours.text == (
        "<b>Щоденна воронка продажу</b>: зараз о 09:00.\n"
        "Оберіть годину або введіть час (напр. 07:45)."
    )
    grid = buttons(hours)
    assert grid[:4] == ["06:00", "07:00", "08:00", "✅ 09:00"] and grid[17] == "23:00"
    minutes = await click(harness, client, "07:00")
    assert minutes.text == "07:__ — а хвилини?"
    assert buttons(minutes)[:4] == ["07:00", "07:15", "07:30", "07:45"]

    digest = await click(harness, client, "07:45")

    assert "Час: 07:45 (Europe/Kyiv)" in digest.text and "✅ Збережено: 07:45." in digest.text
    assert "Це ваше власне налаштування." in digest.text
    row = await _setting(head.id, "funnel_daily")
    assert (row.local_time, row.muted, row.customised) == ("07:45", False, True)


async def test_a_typed_time_is_checked_echoed_and_saved_only_when_confirmed(harness):
    head = await _head()
    client = harness.client(1)
    await _open_digests(harness, client)
    await click(harness, client, "Щоденна воронка продажу")
    await click(harness, client, "🕒 Час")

    for bad in ("25:00", "о девʼятій", "9:7"):
        refused = await _send(harness, client, bad)
        assert "⚠️ Час: не є часом (формат ГГ:ХХ, напр. 14:30)" in refused.text, bad
    assert not (await _setting(head.id, "funnel_daily")).customised

    confirm = await _send(harness, client, " 6:05 ")
    assert confirm.text == "Надсилати «Щоденна воронка продажу» о 06:05?"
    assert buttons(confirm) == ["✅ Зберегти", "⬅️ Назад", "🏠 Головне меню"]
    assert not (await _setting(head.id, "funnel_daily")).customised  # not written yet

    digest = await click(harness, client, "Зберегти")
    assert "Час: 06:05 (Europe/Kyiv)" in digest.text and "⚠️" not in digest.text
    assert (await _setting(head.id, "funnel_daily")).local_time == "06:05"


async def test_weekly_digest_day_then_back_to_the_default(harness):
    head = await _head()
    client = harness.client(1)
    await _open_digests(harness, client)
    digest = await click(harness, client, "Щотижнева воронка продажу")
    assert "День тижня: Понеділок" in digest.text
    assert buttons(digest)[:3] == ["🔕 Вимкнути", "🕒 Час", "📅 День тижня"]

    days = await click(harness, client, "День тижня")
    assert days.text == "<b>Щотижнева воронка продажу</b>: у який день тижня?"
    assert buttons(days)[:7] == [
        "✅ Понеділок", "Вівторок", "Середа", "Четвер", "Пʼятниця", "Субота", "Неділя",
    ]  # fmt: skip
    chosen = await click(harness, client, "Пʼятниця")
    assert "День тижня: Пʼятниця" in chosen.text and "✅ Збережено: Пʼятниця." in chosen.text
    await click(harness, client, "Вимкнути")
    row = await _setting(head.id, "funnel_weekly")
    assert (row.weekday, row.muted, row.local_time) == (4, True, "09:00")

    reset = await click(harness, client, "Повернути типове")

    assert "✅ Повернуто типове налаштування вашої ролі." in reset.text
    assert "День тижня: Понеділок" in reset.text and "Стан: увімкнено" in reset.text
    assert "↩️ Повернути типове" not in buttons(reset)
    row = await _setting(head.id, "funnel_weekly")
    assert (row.weekday, row.muted, row.customised) == (0, False, False)
    assert await Subscription.filter(employee_id=head.id).count() == 0
    listed = await click(harness, client, "Назад")
    assert "🔔 Щотижнева воронка продажу · Пн 09:00" in buttons(listed)


async def test_event_reminders_have_no_time_only_a_state(harness):
    head = await _head()
    client = harness.client(1)
    await _open_digests(harness, client)
    reminder = await click(harness, client, "Нагадування про завдання")
    assert "Надходить, коли це стається, без фіксованого часу." in reminder.text
    assert buttons(reminder) == ["🔕 Вимкнути", "⬅️ Назад", "🏠 Головне меню"]
    await click(harness, client, "Вимкнути")
    assert (await _setting(head.id, "tasks")).muted


@pytest.fixture
def team_only_digest(monkeypatch):
    """A digest only heads and admins may have (the catalogue lets every role have each digest
    today, muted by default where it is not the role's; the screen must follow the catalogue)."""
    spec = DigestSpec(
        "team_only",
        "Daily sales funnel",
        Cadence.DAILY,
        {Role.HEAD: Default(True, "08:00"), Role.ADMIN: Default(True, "08:00")},
    )
    monkeypatch.setitem(notifications.DIGESTS, spec.code, spec)
    return spec


async def test_a_manager_sees_own_scope_and_only_the_digests_of_the_role(
    harness, team_only_digest
):
    await make_employee(1, role="manager")
    client = harness.client(1)
    listed = await _open_digests(harness, client)
    assert "Цифри у ваших дайджестах: ваші власні угоди." in listed.text
    labels = buttons(listed)
    assert not any("08:00" in label for label in labels)  # the heads' digest is not offered
    assert "🔕 Щоденна воронка продажу · 09:00" in labels  # not the role's: muted by default
    assert "🔔 Мій день · 08:30" in labels

    await make_employee(2, role="admin")
    admin = harness.client(2)
    listed = await _open_digests(harness, admin)
    assert "Цифри у ваших дайджестах: уся компанія." in listed.text
    assert "🔔 Щоденна воронка продажу · 08:00" in buttons(listed)


@pytest.mark.parametrize("code", ["team_only", "horoscope", "x" * 40])
async def test_a_forged_digest_code_is_refused_and_changes_nothing(
    harness, team_only_digest, code
):
    manager = await make_employee(1, role="manager")
    client = harness.client(1)
    listed = await _open_digests(harness, client)
    data = listed.reply_markup.inline_keyboard[0][0].callback_data
    assert data.endswith(":funnel_daily")
    harness.mm.reset_history()

    callback_id = await forge_click(client, listed, data.replace(":funnel_daily", f":{code}"))

    assert harness.fake.answered[callback_id]["text"] == DENIED
    assert not harness.mm.sent_messages  # no digest screen opened
    assert await Subscription.filter(employee_id=manager.id).count() == 0
    digest = await click(harness, client, "Мій день", listed)  # the list still works
    assert digest.text.startswith("🔔 <b>Мій день</b>")
