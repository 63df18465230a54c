"""The deal card, startable from any dialog:

    await manager.start(DealCardSG.MAIN, data={"deal_id": <int>})

`deal_id` is checked against the acting employee on start (`services.access.get_deal_for`: a
manager's own deals, a head's team's, an admin's all); another manager's deal is refused and
nothing opens. Back returns to the dialog that started the card (or to the main menu).

The card shows the partner, kind, stage, potential, probability (a tap explains it: every
component with its sample), the next task and the latest contacts. Actions: the next stage or any
stage (manual deals), complete the current task with a result (guided deals; missing exit checks
are listed), mark won (manual) or lost (a reason from the catalogue; "lost to a competitor" asks
which one), participants (add a competitor, subcontractor, influencer... with influence 1-5 and
attitude; the environment picture), the process's documents sent as files, attach a file, photo
or voice note, a paged timeline, and "Log a call" (`LogInteractionSG.START` with
{"deal_id": <int>, "kind": "call"}).
"""

from __future__ import annotations

from operator import itemgetter

from aiogram.enums import ContentType
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.input import MessageInput, TextInput
from aiogram_dialog.widgets.kbd import Button, Column, Row, ScrollingGroup, Select, SwitchTo
from aiogram_dialog.widgets.text import Format, Multi

from bot.dialogs.claims.entry import claims_installed, on_claim_from_deal
from bot.dialogs.deal_card import getters as g
from bot.dialogs.deal_card import handlers as h
from bot.dialogs.deals.common import back_text, home_button, nav, set_error
from bot.dialogs.states import DealCardSG
from bot.dialogs.widgets import Tr, TrFormat, TrLabel
from core.i18n import N_

S = DealCardSG
FILE_TYPES = [
    ContentType.DOCUMENT,
    ContentType.PHOTO,
    ContentType.VOICE,
    ContentType.AUDIO,
    ContentType.VIDEO,
    ContentType.VIDEO_NOTE,
]


async def _clear_error(callback: object, button: object, manager: DialogManager) -> None:
    set_error(manager, None)


def _select(items: str, widget_id: str, on_click: object, text: str = "{item[name]}") -> Select:
    return Select(
        Format(text),
        id=widget_id,
        item_id_getter=itemgetter("id"),
        items=items,
        on_click=on_click,  # type: ignore[arg-type]
    )


def _main() -> Window:
    return Window(
        Format("{body}"),
        Button(
            TrLabel(N_("Next stage: {next_stage}"), prefix="➡️ "),
            id="advance",
            on_click=h.on_advance,
            when="can_advance",
        ),
        Row(
            SwitchTo(
                Tr(N_("Choose the stage"), prefix="🔀 "),
                id="stages",
                state=S.STAGE_SELECT,
                when="manual_open",
            ),
            Button(
                Tr(N_("Complete the task"), prefix="✅ "),
                id="task",
                on_click=h.on_complete_task,
                when="has_tasks",
            ),
        ),
        Row(
            Button(Tr(N_("Mark won"), prefix="🏆 "), id="won", on_click=h.on_won, when="can_win"),
            SwitchTo(
                Tr(N_("Mark lost"), prefix="❌ "), id="lost", state=S.LOST_REASON, when="is_open"
            ),
        ),
        Row(
            SwitchTo(
                TrLabel(N_("Probability {probability} %"), prefix="📊 "),
                id="prob",
                state=S.PROBABILITY,
            ),
            Button(Tr(N_("Timeline"), prefix="🕓 "), id="timeline", on_click=h.on_timeline),
        ),
        Row(
            SwitchTo(Tr(N_("Participants"), prefix="👥 "), id="people", state=S.PARTICIPANTS),
            SwitchTo(Tr(N_("Documents"), prefix="📄 "), id="docs", state=S.DOCUMENTS),
        ),
        Row(
            SwitchTo(
                Tr(N_("Attach a file"), prefix="📎 "),
                id="attach",
                state=S.ATTACH,
                on_click=_clear_error,
            ),
            Button(Tr(N_("Log a call"), prefix="📞 "), id="log_call", on_click=h.on_log_call),
        ),
        Button(
            Tr(N_("Register a claim"), prefix="📮 "),
            id="claim",
            on_click=on_claim_from_deal,
            when=claims_installed,
        ),
        nav(Button(back_text(), id="back", on_click=h.on_close_card)),
        state=S.MAIN,
        getter=g.card_getter,
    )


def _probability() -> Window:
    return Window(Format("{body}"), nav(S.MAIN), state=S.PROBABILITY, getter=g.probability_getter)


def _timeline() -> Window:
    return Window(
        Format("{body}"),
        Row(
            Button(Tr(N_("Newer"), prefix="◀️ "), id="newer", on_click=h.on_newer, when="has_newer"),
            Button(Tr(N_("Older"), prefix="▶️ "), id="older", on_click=h.on_older, when="has_older"),
        ),
        nav(S.MAIN),
        state=S.TIMELINE,
        getter=g.timeline_getter,
    )


def _stage_select() -> Window:
    return Window(
        TrFormat(N_("Now: {current}\nChoose the stage to move the deal to:")),
        Column(_select("stages", "stage", h.on_stage_selected, "{item[mark]}{item[name]}")),
        nav(S.MAIN),
        state=S.STAGE_SELECT,
        getter=g.stages_getter,
    )


def _complete_task() -> Window:
    return Window(
        Tr(N_("Which task is done?")),
        Column(_select("tasks", "task", h.on_task_selected, "{item[label]}")),
        nav(S.MAIN),
        state=S.COMPLETE_TASK,
        getter=g.tasks_getter,
    )


def _task_result() -> Window:
    return Window(
        Multi(
            TrFormat(
                N_(
                    "<b>{task}</b>\nWhat was done? Type the result, or complete it "
                    "without a comment."
                )
            ),
            Format("{error}", when="has_error"),
        ),
        TextInput(id="task_result", on_success=h.on_task_result),
        Button(Tr(N_("Without a comment"), prefix="⏭ "), id="no_result", on_click=h.on_no_result),
        nav(S.MAIN),
        state=S.TASK_RESULT,
        getter=g.task_result_getter,
    )


def _checks() -> Window:
    return Window(
        Format("{body}"),
        Button(Tr(N_("Log a call"), prefix="📞 "), id="log_call", on_click=h.on_log_call),
        nav(S.MAIN),
        state=S.CHECKS,
        getter=g.checks_getter,
    )


def _lost_reason() -> Window:
    return Window(
        TrFormat(N_("Why was the deal {number} lost?")),
        Column(_select("reasons", "reason", h.on_reason_selected)),
        nav(S.MAIN),
        state=S.LOST_REASON,
        getter=g.reasons_getter,
    )


def _lost_competitor() -> Window:
    return Window(
        Multi(
            Format("{notice}", when="notice"),
            Tr(N_("Who won the deal? Choose the competitor:")),
            Tr(
                N_(
                    "There are no competitors in the catalogue yet: mark a partner as a "
                    "competitor under Partners."
                ),
                when="none",
            ),
        ),
        ScrollingGroup(
            _select("competitors", "competitor", h.on_competitor_selected),
            id="competitors_scroll",
            width=1,
            height=8,
            hide_on_single_page=True,
        ),
        nav(S.LOST_REASON),
        state=S.LOST_COMPETITOR,
        getter=g.competitors_getter,
    )


def _participants() -> Window:
    return Window(
        Format("{body}"),
        SwitchTo(Tr(N_("Add a participant"), prefix="➕ "), id="add", state=S.ADD_PARTICIPANT),
        Button(Tr(N_("Environment picture"), prefix="🖼 "), id="env", on_click=h.on_environment),
        nav(S.MAIN),
        state=S.PARTICIPANTS,
        getter=g.participants_getter,
    )


def _add_participant() -> Window:
    return Window(
        Tr(N_("Who is the new participant?")),
        Column(_select("roles", "role", h.on_role_selected)),
        nav(S.PARTICIPANTS),
        state=S.ADD_PARTICIPANT,
        getter=g.roles_getter,
    )


def _participant_search() -> Window:
    return Window(
        Multi(
            TrFormat(N_("{role}: type a part of the partner's name, its EDRPOU code or phone:")),
            Format("{error}", when="has_error"),
        ),
        TextInput(id="p_search", on_success=h.on_participant_search),
        nav(S.ADD_PARTICIPANT),
        state=S.PARTICIPANT_SEARCH,
        getter=g.participant_search_getter,
    )


def _participant_pick() -> Window:
    return Window(
        Multi(
            Format("{notice}", when="notice"),
            TrFormat(N_("{role}: choose the partner")),
            TrFormat(N_("Found for «{query}»:"), when="has_query"),
            Tr(N_("Nobody to choose from: search by name."), when="none"),
        ),
        ScrollingGroup(
            _select("partners", "partner", h.on_partner_picked),
            id="partners_scroll",
            width=1,
            height=8,
            hide_on_single_page=True,
        ),
        SwitchTo(
            Tr(N_("Search by name"), prefix="🔍 "),
            id="search",
            state=S.PARTICIPANT_SEARCH,
            on_click=_clear_error,
        ),
        nav(S.ADD_PARTICIPANT),
        state=S.PARTICIPANT_PICK,
        getter=g.participant_pick_getter,
    )


def _participant_influence() -> Window:
    return Window(
        TrFormat(
            N_(
                "<b>{name}</b> ({role}): how strong is their influence on the decision?\n"
                "1: weak, 5: decisive."
            )
        ),
        Row(_select("levels", "influence", h.on_influence)),
        nav(S.PARTICIPANT_PICK),
        state=S.PARTICIPANT_INFLUENCE,
        getter=g.participant_step_getter,
    )


def _participant_attitude() -> Window:
    return Window(
        TrFormat(N_("<b>{name}</b> ({role}): what is their attitude to us?")),
        Row(_select("attitudes", "attitude", h.on_attitude)),
        nav(S.PARTICIPANT_INFLUENCE),
        state=S.PARTICIPANT_ATTITUDE,
        getter=g.participant_step_getter,
    )


def _documents() -> Window:
    return Window(
        Format("{body}"),
        ScrollingGroup(
            _select("docs", "doc", h.on_document, "{item[title]}"),
            id="docs_scroll",
            width=1,
            height=8,
            hide_on_single_page=True,
        ),
        nav(S.MAIN),
        state=S.DOCUMENTS,
        getter=g.documents_getter,
    )


def _attach() -> Window:
    return Window(
        Multi(
            TrFormat(
                N_(
                    "Send a file, a photo or a voice note: it will be attached to the "
                    "deal {number}."
                )
            ),
            Format("{error}", when="has_error"),
        ),
        MessageInput(h.on_file, content_types=FILE_TYPES),
        MessageInput(h.on_not_a_file),
        nav(S.MAIN),
        state=S.ATTACH,
        getter=g.attach_getter,
    )


def _confirm() -> Window:
    return Window(
        Format("{body}"),
        Row(
            Button(Tr(N_("Confirm"), prefix="✅ "), id="confirm", on_click=h.on_confirm),
            Button(Tr(N_("Cancel"), prefix="✖️ "), id="cancel", on_click=h.on_cancel_confirm),
        ),
        home_button(),
        state=S.CONFIRM,
        getter=g.confirm_getter,
    )


def build_dialogs() -> list[Dialog]:
    return [
        Dialog(
            _main(),
            _probability(),
            _timeline(),
            _stage_select(),
            _complete_task(),
            _task_result(),
            _checks(),
            _lost_reason(),
            _lost_competitor(),
            _participants(),
            _add_participant(),
            _participant_search(),
            _participant_pick(),
            _participant_influence(),
            _participant_attitude(),
            _documents(),
            _attach(),
            _confirm(),
            on_start=h.on_card_start,
        )
    ]
