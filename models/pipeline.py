from tortoise import fields

from models.base import ControlType, DocumentKind, TimestampedModel, fk


class DealKind(TimestampedModel):
    """A kind of sales process with its own ordered stages (1C: ВидыСделокСКлиентами)."""

    code = fields.CharField(64, db_index=True, description="stable key from the YAML file")
    version = fields.IntField(default=1)
    name_uk = fields.CharField(200)
    name_en = fields.CharField(200)
    control_type = fields.CharEnumField(ControlType, max_length=16, default=ControlType.MANUAL)
    description = fields.TextField(default="")
    allowed = fields.BooleanField(default=True, description="new deals of this kind may start")
    responsible = fk("Employee", "deal_kinds", null=True)

    class Meta:
        table = "deal_kind"
        unique_together = (("code", "version"),)


class Stage(TimestampedModel):
    kind = fk("DealKind", "stages", on_delete=fields.CASCADE)
    code = fields.CharField(64)
    name_uk = fields.CharField(200)
    name_en = fields.CharField(200)
    order = fields.IntField()
    planned_days = fields.IntField(default=0)
    default_probability = fields.IntField(default=0, description="percent")
    checklist = fields.JSONField(default=list)
    exit_checks = fields.JSONField(default=list, description="check codes that gate the exit")
    rot_days = fields.IntField(null=True, description="no activity for longer = rotting")
    task_templates = fields.JSONField(default=list)
    retired = fields.BooleanField(default=False)

    class Meta:
        table = "stage"
        unique_together = (("kind", "code"),)
        ordering = ["order"]


class ProcessDocument(TimestampedModel):
    """A regulation, instruction or template of a process kind, or of one of its stages."""

    kind = fk("DealKind", "documents", on_delete=fields.CASCADE)
    stage = fk("Stage", "documents", null=True, on_delete=fields.CASCADE)
    doc_kind = fields.CharEnumField(DocumentKind, max_length=16, default=DocumentKind.OTHER)
    title = fields.CharField(300)
    file = fk("StoredFile", "process_documents", null=True)
    body = fields.TextField(default="")

    class Meta:
        table = "process_document"
