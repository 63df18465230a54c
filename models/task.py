from tortoise import fields

from models.base import Importance, TaskStatus, TimestampedModel, fk


class Task(TimestampedModel):
    title = fields.CharField(500)
    description = fields.TextField(default="")
    checklist = fields.JSONField(default=list)
    performer = fk("Employee", "tasks")
    checker = fk("Employee", "tasks_to_check", null=True)
    author = fk("Employee", "authored_tasks", null=True)
    due_at = fields.DatetimeField(null=True, db_index=True)
    importance = fields.CharEnumField(Importance, max_length=8, default=Importance.NORMAL)
    status = fields.CharEnumField(TaskStatus, max_length=16, default=TaskStatus.OPEN)
    result = fields.TextField(default="")
    completed_at = fields.DatetimeField(null=True)
    deal = fk("Deal", "tasks", null=True)
    claim = fk("Claim", "tasks", null=True)
    partner = fk("Partner", "tasks", null=True)
    stage = fk("Stage", "tasks", null=True, description="the stage whose entry created it")
    parent = fk("Task", "steps", null=True)
    template_code = fields.CharField(64, default="")
    remind_at = fields.DatetimeField(null=True)
    reminded_at = fields.DatetimeField(null=True)

    class Meta:
        table = "task"
        indexes = (("performer_id", "status", "due_at"),)
