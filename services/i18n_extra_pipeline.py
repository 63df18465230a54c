"""Error codes, field names and reasons added by the sales-process services.

The lead merges `EXTRA_FIELD_NAMES`, `EXTRA_REASONS` and `EXTRA_ERROR_MESSAGES` into
`core/i18n.py`. `CHECK_MESSAGES` names every exit check for people ("what is missing");
`translate_pipeline_error` renders an `ExitChecksNotMet` with each missing check translated,
and falls back to `core.i18n.translate_error` for everything else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.i18n import ERROR_MESSAGES, FIELD_NAMES, N_, REASONS, gettext, register_messages

if TYPE_CHECKING:
    from core.errors import DomainError

EXTRA_FIELD_NAMES: dict[str, str] = {
    "potential": N_("Potential amount"),
    "currency": N_("Currency"),
    "expected_close_on": N_("Expected closing date"),
    "stage": N_("Stage"),
    "kind": N_("Process kind"),
    "owner": N_("Owner"),
    "title": N_("Title"),
    "loss_reason": N_("Loss reason"),
    "competitor": N_("Competitor"),
    "performer": N_("Performer"),
    "checker": N_("Checker"),
    "due_at": N_("Due date"),
    "until": N_("Snooze until"),
    "starts_at": N_("Start"),
    "ends_at": N_("End"),
    "scope": N_("Task list"),
    "result": N_("Result"),
    "comment": N_("Comment"),
    "probability": N_("Probability"),
    "agreement": N_("Agreement"),
    "deal": N_("Deal"),
    "claim": N_("Claim"),
    "task": N_("Task"),
    "employee": N_("Employee"),
    "interaction": N_("Interaction"),
    "interaction_kind": N_("Interaction type"),
    "direction": N_("Direction"),
    "next_step": N_("Next step"),
    "pipeline_file": N_("Process file"),
    "importance": N_("Importance"),
    "subject": N_("Subject"),
    "description": N_("Description"),
    "source": N_("Source"),
    "channel": N_("Channel"),
}

EXTRA_REASONS: dict[str, str] = {
    "negative": N_("cannot be negative"),
    "bad_currency": N_("must be a three-letter currency code such as UAH"),
    "too_large": N_("is too large (at most %(max)s)"),
    "too_far_past": N_("is too far in the past"),
    "too_far_future": N_("is too far in the future"),
    "not_in_future": N_("must be in the future"),
    "before_start": N_("cannot be earlier than the start"),
    "naive_datetime": N_("has no time zone"),
    "other_kind": N_("belongs to another process kind"),
    "retired_stage": N_("is no longer used by this process"),
    "same_stage": N_("is the deal's current stage already"),
    "inactive": N_("is no longer in use"),
    "same_as_client": N_("cannot be the deal's own client"),
    "not_of_partner": N_("belongs to another partner"),
    "bad_yaml": N_("is not valid YAML: %(detail)s"),
    "unknown_check": N_("names an unknown exit check %(value)s"),
    "duplicate_code": N_("repeats the code %(value)s"),
    "bad_performer": N_("must be owner, role:<role> or employee:<username or e-mail>"),
    "not_a_percent": N_("must be a percentage from 0 to 100"),
    "no_stages": N_("needs at least one stage"),
}

EXTRA_ERROR_MESSAGES: dict[str, str] = {
    "deal_closed": N_("The deal %(number)s is closed; reopen it first."),
    "deal_not_closed": N_("The deal %(number)s is still open."),
    "deal_guided": N_(
        "The deal %(number)s follows the guided route: complete its tasks, "
        "or switch it to manual control."
    ),
    "deal_already_manual": N_("The deal %(number)s is already under manual control."),
    "deal_without_stages": N_("The deal %(number)s has no stages."),
    "kind_not_allowed": N_("New deals of the kind %(kind)s cannot be started."),
    "exit_checks_not_met": N_("The stage cannot be finished yet. Missing: %(missing)s"),
    "task_not_open": N_("This task is already completed or cancelled."),
    "task_route_required": N_(
        "This task is a step of the deal's route and cannot be cancelled; "
        "switch the deal to manual control instead."
    ),
    "task_not_check_step": N_("Only a check step of an assignment can be accepted or returned."),
}

CHECK_MESSAGES: dict[str, str] = {
    "done_interaction": N_("a completed (not planned) interaction with the client"),
    "counterparty_set": N_("the client's counterparty (legal entity) on the deal"),
    "agreement_set": N_("the sales agreement on the deal"),
    "order_exists": N_("a customer order for the deal"),
    "invoice_or_shipment_exists": N_("an invoice, a prepayment or a shipment for the deal"),
    "paid_and_shipped": N_("everything invoiced paid and everything ordered shipped"),
    "decision_maker_present": N_("a decision maker among the participants"),
    "potential_set": N_("the potential amount of the deal"),
    "checklist_confirmed": N_("the stage checklist confirmed"),
}


register_messages(
    fields=EXTRA_FIELD_NAMES,
    reasons=EXTRA_REASONS,
    errors=EXTRA_ERROR_MESSAGES,
    values={"missing": CHECK_MESSAGES},
)


def describe_checks(codes: list[str] | tuple[str, ...], locale: str) -> list[str]:
    """Each check code as a phrase in the user's language (unknown codes stay as they are)."""
    return [gettext(CHECK_MESSAGES.get(code, code), locale) for code in codes]


def translate_pipeline_error(error: DomainError, locale: str) -> str:
    """Like `core.i18n.translate_error`, knowing the codes above (also before the lead merges
    them) and translating each `missing` check of `exit_checks_not_met`."""
    params = dict(error.params)
    for key in ("field", "what"):
        if key in params:
            name = EXTRA_FIELD_NAMES.get(params[key]) or FIELD_NAMES.get(params[key])
            params[key] = gettext(name, locale) if name else str(params[key])
    if "reason" in params:
        reason = EXTRA_REASONS.get(params["reason"]) or REASONS.get(params["reason"])
        params["reason"] = _format(gettext(reason, locale), params) if reason else params["reason"]
    if "missing" in params:
        params["missing"] = "; ".join(describe_checks(list(params["missing"]), locale))
    template = EXTRA_ERROR_MESSAGES.get(error.code) or ERROR_MESSAGES.get(error.code)
    return _format(gettext(template or ERROR_MESSAGES["domain_error"], locale), params)


def _format(template: str, params: dict[str, object]) -> str:
    try:
        return template % params
    except (KeyError, TypeError, ValueError):
        return template
