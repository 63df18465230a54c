from tests.bot.conftest import buttons, click, make_employee
from tests.factories import load_default_kinds, make_deal, make_partner

MINE = ("bot.dialogs.menu.dialog", "bot.dialogs.settings.dialog",
        "bot.dialogs.deals.dialog", "bot.dialogs.deal_card.dialog")


async def test_smoke(make_harness, frozen_clock):
    harness = make_harness(features=MINE)
    await load_default_kinds()
    me = await make_employee(1, locale="en", name="Olena")
    partner = await make_partner(name="ТОВ Альфа")
    deal = await make_deal(owner=me, partner=partner, title="Поставка труб", potential_minor=123456789)
    g = await make_deal(owner=me, partner=partner, title="Guided", kind_code="typical_sale")
    client = harness.client(1)
    await client.send("/menu")
    lst = await click(harness, client, "My deals")
    print(lst.text); print(buttons(lst))
    card = await click(harness, client, deal.number)
    print(card.text); print(buttons(card))
    for b in ["Probability", "Back", "Timeline", "Back", "Participants", "Environment", "Back", "Documents"]:
        m = await click(harness, client, b)
        print("----", b); print(m.text); print(buttons(m))
    print(harness.fake.history)
