from tortoise import fields

from models.base import TimestampedModel, fk


class ContactPerson(TimestampedModel):
    external_id = fields.CharField(100, null=True, unique=True)
    partner = fk("Partner", "contacts", on_delete=fields.CASCADE)
    full_name = fields.CharField(200)
    search_key = fields.CharField(200, db_index=True)
    position = fields.CharField(200, default="")
    birthday = fields.DateField(null=True)
    roles = fields.JSONField(default=list, description="e.g. decision_maker, accountant")
    telegram_username = fields.CharField(64, null=True)
    active_from = fields.DateField(null=True)
    active_to = fields.DateField(null=True)
    comment = fields.TextField(default="")

    class Meta:
        table = "contact_person"

    def __str__(self) -> str:
        return self.full_name


class ContactLink(TimestampedModel):
    """A link between two contact persons: influences, reports to, relative of..."""

    from_contact = fk("ContactPerson", "links_out", on_delete=fields.CASCADE)
    to_contact = fk("ContactPerson", "links_in", on_delete=fields.CASCADE)
    kind = fk("PartnerLinkKind", "contact_links")
    comment = fields.TextField(default="")

    class Meta:
        table = "contact_link"
        unique_together = (("from_contact", "to_contact", "kind"),)
