from tortoise import fields

from models.base import ContactKind, RelationshipStage, TimestampedModel, fk


class Segment(TimestampedModel):
    name = fields.CharField(200, unique=True)
    description = fields.TextField(default="")
    stop_shipments = fields.BooleanField(default=False)

    class Meta:
        table = "segment"


class Partner(TimestampedModel):
    """A business relationship (client, supplier, competitor...), kept apart from legal entities."""

    external_id = fields.CharField(100, null=True, unique=True)
    name = fields.CharField(300)
    search_key = fields.CharField(300, db_index=True, description="normalised name for search")
    parent = fk("Partner", "children", null=True)
    is_group = fields.BooleanField(default=False, description="a group of companies")
    is_division = fields.BooleanField(default=False)
    is_client = fields.BooleanField(default=False, db_index=True)
    is_supplier = fields.BooleanField(default=False)
    is_competitor = fields.BooleanField(default=False, db_index=True)
    is_other = fields.BooleanField(default=False)
    is_person = fields.BooleanField(default=False, description="a private person, not a company")
    main_manager = fk("Employee", "managed_partners", null=True)
    segments: fields.ManyToManyRelation[Segment] = fields.ManyToManyField(
        "crm.Segment", related_name="partners", through="partner_segment"
    )
    relationship_stage = fields.CharEnumField(
        RelationshipStage, max_length=16, default=RelationshipStage.POTENTIAL
    )
    business_region = fields.CharField(200, default="")
    contact_cadence_days = fields.IntField(null=True, description="strategy: contact every N days")
    strategy = fields.TextField(default="", description="relationship strategy notes")
    comment = fields.TextField(default="")
    registered_on = fields.DateField(null=True)
    active = fields.BooleanField(default=True)

    class Meta:
        table = "partner"

    def __str__(self) -> str:
        return self.name


class ContactInfo(TimestampedModel):
    """A phone, e-mail, Telegram username, site or address of a partner or a contact person."""

    partner = fk("Partner", "contact_infos", null=True, on_delete=fields.CASCADE)
    contact = fk("ContactPerson", "contact_infos", null=True, on_delete=fields.CASCADE)
    kind = fields.CharEnumField(ContactKind, max_length=16)
    value = fields.CharField(500)
    normalized = fields.CharField(500, db_index=True)
    is_primary = fields.BooleanField(default=False)

    class Meta:
        table = "contact_info"
        indexes = (("kind", "normalized"),)


class PartnerLinkKind(TimestampedModel):
    name = fields.CharField(200, unique=True)
    reverse_name = fields.CharField(200)

    class Meta:
        table = "partner_link_kind"


class PartnerLink(TimestampedModel):
    from_partner = fk("Partner", "links_out", on_delete=fields.CASCADE)
    to_partner = fk("Partner", "links_in", on_delete=fields.CASCADE)
    kind = fk("PartnerLinkKind", "links")
    comment = fields.TextField(default="")
    author = fk("Employee", "partner_links", null=True)

    class Meta:
        table = "partner_link"
        unique_together = (("from_partner", "to_partner", "kind"),)
