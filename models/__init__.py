"""All Tortoise models of the `crm` app; the ORM discovers them through this module."""

from models.agreement import Agreement
from models.claim import Claim, ClaimCause, ClaimEvent
from models.contact import ContactLink, ContactPerson
from models.counterparty import Counterparty
from models.deal import Deal, DealEvent, DealParticipant, DealStageLog, LossReason
from models.employee import Employee, Invitation, Team
from models.file import FileLink, StoredFile
from models.interaction import Interaction, InteractionParticipant
from models.loyalty import LoyaltyCard, LoyaltyCardKind
from models.mail import EmailMessage, Mailbox, MailboxFolderState
from models.partner import ContactInfo, Partner, PartnerLink, PartnerLinkKind, Segment
from models.pipeline import DealKind, ProcessDocument, Stage
from models.sales import (
    Invoice,
    InvoiceLine,
    Order,
    OrderLine,
    Payment,
    Product,
    Shipment,
    ShipmentLine,
)
from models.system import ClientClassification, FsmRecord, SentNotification, Subscription
from models.task import Task

__all__ = [
    "Agreement", "Claim", "ClaimCause", "ClaimEvent", "ClientClassification", "ContactInfo",
    "ContactLink", "ContactPerson", "Counterparty", "Deal", "DealEvent", "DealKind",
    "DealParticipant", "DealStageLog", "EmailMessage", "Employee", "FileLink", "FsmRecord",
    "Interaction", "InteractionParticipant", "Invitation", "Invoice", "InvoiceLine",
    "LossReason", "LoyaltyCard", "LoyaltyCardKind", "Mailbox", "MailboxFolderState", "Order",
    "OrderLine", "Partner", "PartnerLink", "PartnerLinkKind", "Payment", "ProcessDocument",
    "Product", "Segment", "SentNotification", "Shipment", "ShipmentLine", "Stage",
    "StoredFile", "Subscription", "Task", "Team",
]
