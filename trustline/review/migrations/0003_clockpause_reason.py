"""ClockPause.pause_reason: a hold pauses the clock too; earlier pauses all came from questions."""

from typing import Any

from django.db import migrations, models


def questions_paused_earlier(apps: Any, schema_editor: Any) -> None:
    ClockPause = apps.get_model("review", "ClockPause")
    ClockPause.objects.filter(decision__isnull=False, pause_reason="").update(pause_reason="information_request")


class Migration(migrations.Migration):

    dependencies = [
        ("review", "0002_seed_templates_and_rules"),
    ]

    operations = [
        migrations.AddField(
            model_name="clockpause",
            name="pause_reason",
            field=models.CharField(blank=True, max_length=32),
        ),
        migrations.RunPython(questions_paused_earlier, migrations.RunPython.noop),
    ]
