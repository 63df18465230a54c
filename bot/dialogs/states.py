"""Every StatesGroup of the bot. State names are stored in FSM storage (open dialogs survive a
restart), so they are a persisted API: add, never rename casually."""

from aiogram.fsm.state import State, StatesGroup


class MainMenuSG(StatesGroup):
    MAIN = State()


class SettingsSG(StatesGroup):
    MAIN = State()
    LANGUAGE = State()
    TIMEZONE = State()


class NewDealSG(StatesGroup):
    PARTNER_SEARCH = State()
    PARTNER_PICK = State()
    QUICK_PARTNER_NAME = State()
    QUICK_PARTNER_TAX_ID = State()
    QUICK_PARTNER_CONTACT = State()
    QUICK_PARTNER_PHONE = State()
    DUPLICATE_WARNING = State()
    KIND = State()
    TITLE = State()
    POTENTIAL = State()
    CLOSE_DATE = State()
    CONFIRM = State()
    DONE = State()


class PartnersSG(StatesGroup):
    SEARCH = State()
    LIST = State()
    CARD = State()
    CONTACTS = State()
    ADD_CONTACT_NAME = State()
    ADD_CONTACT_POSITION = State()
    ADD_CONTACT_PHONE = State()
    ADD_CONTACT_EMAIL = State()
    CONFIRM = State()


class DealsSG(StatesGroup):
    LIST = State()
    SEARCH = State()
    FILTERS = State()
    FILTER_KIND = State()
    FILTER_STAGE = State()


class DealCardSG(StatesGroup):
    """Start with `data={"deal_id": <int>}` (see bot/dialogs/deal_card/dialog.py)."""

    MAIN = State()
    PROBABILITY = State()
    TIMELINE = State()
    STAGE_SELECT = State()
    COMPLETE_TASK = State()
    TASK_RESULT = State()
    CHECKS = State()
    LOST_REASON = State()
    LOST_COMPETITOR = State()
    PARTICIPANTS = State()
    ADD_PARTICIPANT = State()
    PARTICIPANT_SEARCH = State()
    PARTICIPANT_PICK = State()
    PARTICIPANT_INFLUENCE = State()
    PARTICIPANT_ATTITUDE = State()
    DOCUMENTS = State()
    ATTACH = State()
    CONFIRM = State()


class LogInteractionSG(StatesGroup):
    """Start with `data={"deal_id": int}` or `{"partner_id": int}` (the subject is then not
    asked), or nothing; optionally `"kind": "call" | "meeting"` (see bot/dialogs/log_interaction).
    """

    START = State()
    START_CALL = State()  # the main menu's Log a call
    START_MEETING = State()  # the main menu's Log a meeting
    PARTNER_SEARCH = State()
    PARTNER_PICK = State()
    KIND = State()
    PLANNED_OR_DONE = State()
    DIRECTION = State()
    DATE = State()
    TIME = State()
    DURATION = State()
    CONTACTS = State()
    RESULT = State()
    NEXT_STEP = State()
    NEXT_DATE = State()
    NEXT_TIME = State()
    CONFIRM = State()
    DONE = State()


class TasksSG(StatesGroup):
    """Start with no data (my tasks) or `data={"task_id": int}` (that task's card)."""

    LIST = State()
    CARD = State()
    RESULT = State()
    RESULT_CONFIRM = State()
    CHECKS = State()
    REASSIGN = State()
    SNOOZE = State()
    CANCEL = State()


class MyDaySG(StatesGroup):
    MAIN = State()


class ReportsSG(StatesGroup):
    LIST = State()
    PERIOD = State()
    REPORT = State()


class AdminSG(StatesGroup):
    MAIN = State()
    INVITE_ROLE = State()
    INVITE_TEAM = State()
    INVITE_DONE = State()
    KINDS = State()


class ClaimsSG(StatesGroup):
    """Claims: start with no data (my claims), `{"claim_id": int}` (that claim's card) or
    `{"partner_id": int}` (the partner's claims); see bot/dialogs/claims/dialog.py."""

    LIST = State()
    SEARCH = State()
    CARD = State()
    TIMELINE = State()
    NOTE = State()
    ATTACH = State()
    CLOSE_OUTCOME = State()
    CLOSE_RESOLUTION = State()
    CLOSE_DEPARTMENT = State()
    CLOSE_GUILTY = State()
    REOPEN = State()
    PLAN_TITLE = State()
    PLAN_PERFORMER = State()
    PLAN_DUE = State()
    REASSIGN = State()
    CONFIRM = State()


class ClaimNewSG(StatesGroup):
    """Register a claim: start with `{"deal_id": int}` (partner and basis preset),
    `{"partner_id": int}` (partner preset) or nothing (search the partner first)."""

    PARTNER_SEARCH = State()
    PARTNER_PICK = State()
    CAUSE = State()
    DESCRIPTION = State()
    AMOUNT = State()
    RESPONSIBLE = State()
    PHOTOS = State()
    CONFIRM = State()


class DigestSettingsSG(StatesGroup):
    """Settings > Digests and reminders (started from SettingsSG.MAIN, no data)."""

    LIST = State()
    DIGEST = State()
    HOUR = State()
    MINUTE = State()
    TIME_CONFIRM = State()
    WEEKDAY = State()
