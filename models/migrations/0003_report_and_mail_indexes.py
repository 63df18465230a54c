from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('crm', '0002_task_checker_and_indexes')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Claim',
            index=Index(fields=['status', 'due_at']),
        ),
        ops.AddIndex(
            model_name='Deal',
            index=Index(fields=['status', 'ended_at']),
        ),
        ops.AddIndex(
            model_name='DealStageLog',
            index=Index(fields=['deal_id', 'stage_id', 'result', 'entered_at', 'left_at', 'potential_minor']),
        ),
        ops.AddIndex(
            model_name='EmailMessage',
            index=Index(fields=['from_address', 'received_at']),
        ),
        ops.AddIndex(
            model_name='EmailMessage',
            index=Index(fields=['state', 'received_at']),
        ),
        ops.RemoveIndex(
            model_name='Interaction',
            name=None,
            fields=['owner_id', 'done', 'starts_at'],
        ),
        ops.AddIndex(
            model_name='Interaction',
            index=Index(fields=['owner_id', 'done', 'starts_at', 'kind', 'deal_id']),
        ),
    ]
