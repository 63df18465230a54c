"""My day: a tap opens the task's card, or the deal's card of a planned call or meeting (each
loaded through `services.access` first)."""

from __future__ import annotations

from aiogram.types import CallbackQuery
from aiogram_dialog import DialogManager
from aiogram_dialog.widgets.kbd import Select

from bot.dialogs.log_interaction.common import acting, as_id
from bot.dialogs.states import DealCardSG, LogInteractionSG, TasksSG
from core.errors import AccessDenied
from services.access import get_deal_for, get_interaction_for, get_task_for


async def on_item(
    callback: CallbackQuery, widget: Select, manager: DialogManager, item_id: str
) -> None:
    employee = acting(manager)
    kind, ref = item_id[:1], as_id(item_id[1:])
    if kind == "t":
        task = await get_task_for(employee, ref)
        await manager.start(TasksSG.LIST, data={"task_id": task.id})
    elif kind == "i":
        interaction = await get_interaction_for(employee, ref)
        if interaction.deal_id is not None:
            deal = await get_deal_for(employee, interaction.deal_id)
            await manager.start(DealCardSG.MAIN, data={"deal_id": deal.id})
        elif interaction.partner_id is not None:
            await manager.start(LogInteractionSG.START, data={"partner_id": interaction.partner_id})
        else:
            await manager.show()
    else:
        raise AccessDenied("access_denied")
