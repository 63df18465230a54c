from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('crm', '0001_initial')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='ClientClassification',
            index=Index(fields=['basis', 'period_to']),
        ),
        ops.AddConstraint(
            model_name='ClientClassification',
            constraint=UniqueConstraint(fields=('run_id', 'partner'), name=None),
        ),
        ops.AddField(
            model_name='Task',
            name='checker',
            field=fields.ForeignKeyField('crm.Employee', source_field='checker_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='tasks_to_check', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Task',
            name='parent',
            field=fields.ForeignKeyField('crm.Task', source_field='parent_id', null=True, db_index=True, db_constraint=True, to_field='id', related_name='steps', on_delete=OnDelete.SET_NULL),
        ),
        # AddField does not create the index `db_index=True` asks for (CreateModel does), and
        # Tortoise does not index foreign keys by itself: both are looked up by assignments.
        ops.RunSQL(
            [
                'CREATE INDEX IF NOT EXISTS "idx_task_checker_id" ON "task" ("checker_id")',
                'CREATE INDEX IF NOT EXISTS "idx_task_parent_id" ON "task" ("parent_id")',
            ],
            reverse_sql=[
                'DROP INDEX IF EXISTS "idx_task_checker_id"',
                'DROP INDEX IF EXISTS "idx_task_parent_id"',
            ],
        ),
    ]
