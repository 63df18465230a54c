"""Who may see and change what, decided once on the server for every adapter.

A manager works with their own deals and tasks and the partners they work with (their main
manager, or the owner of a deal with them); a head of sales with their team's; an administrator
with everything. Adapters load every object named by untrusted input (callback data) through a
function here called with the acting employee: it raises `AccessDenied` for anything else.
"""

from __future__ import annotations

from tortoise.expressions import Q, Subquery

from core.errors import AccessDenied, NotFound
from models import Deal, Employee, Interaction, Partner, Task
from models.base import Role

# --- whose work an employee sees ----------------------------------------------------------------


def acting_employee(employee: Employee | None) -> Employee:
    """The employee, unless unknown or deactivated (then AccessDenied)."""
    if employee is None or not employee.active:
        raise AccessDenied("access_denied")
    return employee


async def people_seen_by(employee: Employee | None) -> frozenset[int] | None:
    """The ids of the employees whose work `employee` sees: None means everyone's (admin);
    a head: the team's members and themself; a manager (or a head without a team): themself."""
    employee = acting_employee(employee)
    if employee.role == Role.ADMIN:
        return None
    if employee.role == Role.HEAD and employee.team_id is not None:
        ids = await Employee.filter(team_id=employee.team_id).values_list("id", flat=True)
        return frozenset([*ids, employee.id])
    return frozenset({employee.id})


# --- partners ----------------------------------------------------------------------------------


def partners_of(people: frozenset[int]) -> Q:
    """Partners these employees work with: their main manager, or the owner of a deal with them
    (a condition on `Partner`)."""
    ids = sorted(people)
    deals = Deal.filter(owner_id__in=ids, partner_id__isnull=False).values("partner_id")
    return Q(main_manager_id__in=ids) | Q(id__in=Subquery(deals))


async def partner_scope(employee: Employee | None) -> Q | None:
    """The condition on `Partner` for the partners `employee` may see; None: all of them."""
    people = await people_seen_by(employee)
    return None if people is None else partners_of(people)


async def can_see_partner(employee: Employee | None, partner_id: int) -> bool:
    scope = await partner_scope(employee)
    partners = Partner.filter(id=partner_id)
    return await (partners if scope is None else partners.filter(scope)).exists()


async def get_partner_for(employee: Employee | None, partner_id: object) -> Partner:
    """The partner, if `employee` may see it; AccessDenied otherwise — also for an id that is
    no partner's (or no id at all): ids come from untrusted callback data, and telling "no such
    partner" from "not yours" would let a forger enumerate them."""
    if not isinstance(partner_id, int) or isinstance(partner_id, bool):
        raise AccessDenied("access_denied")
    scope = await partner_scope(employee)
    partners = Partner.filter(id=partner_id)
    partner = await (partners if scope is None else partners.filter(scope)).first()
    if partner is None:
        raise AccessDenied("access_denied")
    return partner


# --- deals -------------------------------------------------------------------------------------


def deals_of(people: frozenset[int]) -> Q:
    """Deals owned by these employees (a condition on `Deal`)."""
    return Q(owner_id__in=sorted(people))


async def deal_scope(employee: Employee | None) -> Q | None:
    """The condition on `Deal` for the deals `employee` may see and work on; None: all of them
    (admin). A manager: their own deals; a head: their team's."""
    people = await people_seen_by(employee)
    return None if people is None else deals_of(people)


async def can_see_deal(employee: Employee | None, deal_id: int) -> bool:
    people = await people_seen_by(employee)
    deals = Deal.filter(id=deal_id)
    return await (deals if people is None else deals.filter(deals_of(people))).exists()


async def get_deal_for(employee: Employee | None, deal_id: object) -> Deal:
    """The deal, if `employee` may see and work on it: NotFound when there is none,
    AccessDenied when it is another manager's (or the id is not an id at all: forged data)."""
    if not isinstance(deal_id, int) or isinstance(deal_id, bool):
        raise AccessDenied("access_denied")
    deal = await Deal.get_or_none(id=deal_id)
    if deal is None:
        raise NotFound("not_found", what="deal")
    people = await people_seen_by(employee)
    if people is not None and deal.owner_id not in people:
        raise AccessDenied("access_denied")
    return deal


async def get_deal_task_for(employee: Employee | None, deal_id: object, task_id: object) -> Task:
    """A task of that deal, if `employee` may work on the deal (`get_deal_for`); a task of
    another deal, or an id that is no id, is AccessDenied."""
    deal = await get_deal_for(employee, deal_id)
    if not isinstance(task_id, int) or isinstance(task_id, bool):
        raise AccessDenied("access_denied")
    task = await Task.get_or_none(id=task_id)
    if task is None:
        raise NotFound("not_found", what="task")
    if task.deal_id != deal.id:
        raise AccessDenied("access_denied")
    return task


# --- tasks and interactions ---------------------------------------------------------------------


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


async def get_task_for(employee: Employee | None, task_id: object) -> Task:
    """The task, if `employee` may see and work on it: the performer's, the author's or one of
    a deal the employee works on (a head: the team's; an admin: any). AccessDenied otherwise,
    also for an id that is no task's (forged callback data learns nothing)."""
    if not _is_id(task_id):
        raise AccessDenied("access_denied")
    people = await people_seen_by(employee)
    tasks = Task.filter(id=task_id)
    if people is not None:
        ids = sorted(people)
        deals = Deal.filter(owner_id__in=ids).values("id")
        tasks = tasks.filter(
            Q(performer_id__in=ids) | Q(author_id__in=ids) | Q(deal_id__in=Subquery(deals))
        )
    task = await tasks.first()
    if task is None:
        raise AccessDenied("access_denied")
    return task


async def get_interaction_for(employee: Employee | None, interaction_id: object) -> Interaction:
    """The call or meeting, if `employee` may see it: its owner's (a head: the team's; an admin:
    any) or one of a deal the employee works on; AccessDenied otherwise."""
    if not _is_id(interaction_id):
        raise AccessDenied("access_denied")
    people = await people_seen_by(employee)
    found = Interaction.filter(id=interaction_id)
    if people is not None:
        ids = sorted(people)
        deals = Deal.filter(owner_id__in=ids).values("id")
        found = found.filter(Q(owner_id__in=ids) | Q(deal_id__in=Subquery(deals)))
    interaction = await found.first()
    if interaction is None:
        raise AccessDenied("access_denied")
    return interaction


# --- e-mail (the buttons of the e-mail notifications) --------------------------------------------


def _addressed_to(email: object, address: str) -> bool:
    wanted = address.strip().lower()
    for field_name in ("to_addresses", "cc_addresses"):
        for entry in getattr(email, field_name, None) or []:
            if isinstance(entry, dict) and str(entry.get("address", "")).lower() == wanted:
                return True
    return False


async def get_email_for(employee: Employee | None, email_id: object) -> EmailMessage:  # noqa: F821
    """The stored e-mail, if `employee` may act on it: a head of sales or an administrator any
    (the unsorted queue is theirs); a manager one on their own deal, of a partner they work
    with, addressed to their e-mail, or one they were notified about. AccessDenied otherwise,
    also for an id that is no e-mail's (forged callback data learns nothing)."""
    from models import EmailMessage, SentNotification
    from services.mail import NOTE_ATTACHED, NOTE_UNSORTED

    employee = acting_employee(employee)
    if not _is_id(email_id):
        raise AccessDenied("access_denied")
    email = await EmailMessage.get_or_none(id=email_id)
    if email is None:
        raise AccessDenied("access_denied")
    if employee.role in (Role.HEAD, Role.ADMIN):
        return email
    mine = frozenset({employee.id})
    if email.deal_id and await Deal.filter(id=email.deal_id, owner_id=employee.id).exists():
        return email
    if email.partner_id and await Partner.filter(id=email.partner_id).filter(
        partners_of(mine)
    ).exists():
        return email
    if employee.email and _addressed_to(email, employee.email):
        return email
    keys = [f"{kind}:{email.id}:{employee.id}" for kind in (NOTE_ATTACHED, NOTE_UNSORTED)]
    if await SentNotification.filter(key__in=keys, recipient_id=employee.id).exists():
        return email
    raise AccessDenied("access_denied")


async def get_email_deal_for(employee: Employee | None, deal_id: object) -> Deal:
    """A deal to put an e-mail on: a head of sales or an administrator any deal (they sort the
    unsorted queue for everyone); a manager only their own (`get_deal_for`)."""
    employee = acting_employee(employee)
    if employee.role not in (Role.HEAD, Role.ADMIN):
        return await get_deal_for(employee, deal_id)
    if not _is_id(deal_id):
        raise AccessDenied("access_denied")
    deal = await Deal.get_or_none(id=deal_id)
    if deal is None:
        raise NotFound("not_found", what="deal")
    return deal
