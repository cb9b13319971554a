# Timeline kinds appended by trustline.appeals and trustline.policy (contest decided, policy reviewed).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('intake', '0002_timeline_review_kinds'),
    ]

    operations = [
        migrations.AlterField(
            model_name='timelineevent',
            name='kind',
            field=models.CharField(choices=[('received', 'Received'), ('evidence_added', 'Evidence added'), ('triaged', 'Triaged'), ('in_review', 'In review'), ('decided', 'Decided'), ('appealed', 'Appealed'), ('closed', 'Closed'), ('information_requested', 'Information requested'), ('information_provided', 'Information provided'), ('appeal_decided', 'Contest decided'), ('policy_reviewed', 'Policy review concluded')], max_length=24),
        ),
    ]
