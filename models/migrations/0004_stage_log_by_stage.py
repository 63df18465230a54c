from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('crm', '0003_report_and_mail_indexes')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='DealStageLog',
            index=Index(fields=['stage_id', 'deal_id', 'entered_at']),
        ),
    ]
