"""Callback data of the buttons on pushed reminders: the contract with the bot's handlers.

The jobs put these on the messages; the bot (bot/handlers/notifications.py) answers them:

    from jobs.callbacks import DealNudge, NudgeAction
    @router.callback_query(DealNudge.filter(F.action == NudgeAction.SNOOZE))
    async def on_deal_snooze(query, callback_data: DealNudge, employee): ...

Packed, they read `dn:snooze:123:3` (prefix, action, id, argument) and stay far below Telegram's
64 bytes for any id. A persisted API: messages already sent keep their buttons, so prefixes and
actions are never renamed.

| prefix | what                         | actions                  | argument                  |
|--------|------------------------------|--------------------------|---------------------------|
| dn     | a deal without activity      | call, snooze, lost, open | snooze days (3)           |
| tn     | a task due soon / overdue    | done, snooze, open       | snooze minutes (60)       |
| mn     | a planned call or meeting    | done, snooze, open       | snooze minutes (10)       |
| pn     | a partner to contact         | call, open               | 0                         |
| cn     | a claim assigned, registered | open, take               | 0                         |
|        | against a client, overdue    |                          |                           |

What each should do (services to call): deal `call` opens "log a call" on the deal (it moves the
deal's last activity); deal `snooze` calls `services.notifications.snooze_deal_reminders(
employee_id, deal_id, days=...)`; deal `lost` opens "mark lost" (a reason is required:
`services.deals.mark_lost`); task `done` is `services.tasks.complete_task`, task `snooze` is
`services.tasks.snooze_task(task_id, now + minutes)` (the jobs remind again at the new time);
meeting `done` is `services.interactions.mark_interaction_done`, meeting `snooze` sets the
interaction's `snoozed_until` (the jobs remind again at that moment); `open` shows the card.
Claim `take` is `services.claims.take_into_work` (registered -> in processing); claim `open`
shows the claim card (`ClaimsSG.LIST` with {"claim_id"}); both load the claim through
`services.claims.get_claim(claim_id, viewer_id=<the pressing employee>)` first.
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

MAX_CALLBACK_BYTES = 64
DEAL_SNOOZE_DAYS = 3
TASK_SNOOZE_MINUTES = 60
MEETING_SNOOZE_MINUTES = 10


class NudgeAction(StrEnum):
    CALL = "call"
    SNOOZE = "snooze"
    LOST = "lost"
    OPEN = "open"
    DONE = "done"


class DealNudge(CallbackData, prefix="dn"):
    """A deal past its stage's rot days: log a call, snooze, mark lost, open."""

    action: NudgeAction
    deal_id: int
    days: int = 0


class TaskNudge(CallbackData, prefix="tn"):
    """A task due soon or overdue: done, snooze, open."""

    action: NudgeAction
    task_id: int
    minutes: int = 0


class MeetingNudge(CallbackData, prefix="mn"):
    """A planned call or meeting about to start: done, snooze, open."""

    action: NudgeAction
    interaction_id: int
    minutes: int = 0


class PartnerNudge(CallbackData, prefix="pn"):
    """A partner not contacted within its cadence: log a call, open."""

    action: NudgeAction
    partner_id: int


class ClaimAction(StrEnum):
    OPEN = "open"
    TAKE = "take"


class ClaimNudge(CallbackData, prefix="cn"):
    """A claim assigned to someone, registered against their client, or overdue: open, take
    into work."""

    action: ClaimAction
    claim_id: int
