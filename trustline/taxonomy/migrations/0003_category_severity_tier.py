"""Severity tiers on categories: the field, then the default tier of each packaged category.

Only categories still at the field's default are set, so re-running against a
database whose tiers were already edited in the admin changes nothing there.
"""

import json
from pathlib import Path

from django.db import migrations, models

DATA = Path(__file__).resolve().parent.parent / "data" / "categories.json"


def set_default_tiers(apps, schema_editor):
    Category = apps.get_model("taxonomy", "Category")
    categories = json.loads(DATA.read_text(encoding="utf-8"))["categories"]
    for row in categories:
        tier = int(row.get("tier", 3))
        if tier != 3:
            Category.objects.filter(code=row["code"], severity_tier=3).update(severity_tier=tier)


class Migration(migrations.Migration):
    dependencies = [("taxonomy", "0002_seed_categories")]
    operations = [
        migrations.AddField(
            model_name="category",
            name="severity_tier",
            field=models.PositiveSmallIntegerField(
                choices=[(1, "Tier 1 (most severe)"), (2, "Tier 2"), (3, "Tier 3")],
                default=3,
                help_text="1 = threat to life and similar; 3 = other policy violations. Sets SLA targets and priority.",
            ),
        ),
        migrations.RunPython(set_default_tiers, migrations.RunPython.noop),
    ]
