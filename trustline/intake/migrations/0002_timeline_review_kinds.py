# Timeline kinds appended by trustline.review (information requested / provided).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('intake', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='timelineevent',
            name='kind',
            field=models.CharField(choices=[('received', 'Received'), ('evidence_added', 'Evidence added'), ('triaged', 'Triaged'), ('in_review', 'In review'), ('decided', 'Decided'), ('appealed', 'Appealed'), ('closed', 'Closed'), ('information_requested', 'Information requested'), ('information_provided', 'Information provided')], max_length=24),
        ),
    ]
