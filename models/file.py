from tortoise import fields

from models.base import TimestampedModel, fk


class StoredFile(TimestampedModel):
    """A file stored once under CRM_FILES_DIR by its SHA-256."""

    sha256 = fields.CharField(64, unique=True)
    original_name = fields.CharField(500)
    mime_type = fields.CharField(200, default="application/octet-stream")
    size = fields.BigIntField()
    telegram_file_id = fields.CharField(300, null=True)

    class Meta:
        table = "stored_file"


class FileLink(TimestampedModel):
    """Where a file is attached: a deal, interaction, claim, partner or deal kind."""

    file = fk("StoredFile", "links", on_delete=fields.CASCADE)
    name = fields.CharField(500, default="", description="name shown where it is attached")
    deal = fk("Deal", "files", null=True, on_delete=fields.CASCADE)
    interaction = fk("Interaction", "files", null=True, on_delete=fields.CASCADE)
    claim = fk("Claim", "files", null=True, on_delete=fields.CASCADE)
    partner = fk("Partner", "files", null=True, on_delete=fields.CASCADE)
    kind = fk("DealKind", "files", null=True, on_delete=fields.CASCADE)
    added_by = fk("Employee", "files_added", null=True)

    class Meta:
        table = "file_link"
