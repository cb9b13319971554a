import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "categories.json"


def load(apps, schema_editor):
    Category = apps.get_model("taxonomy", "Category")
    categories = json.loads(DATA.read_text(encoding="utf-8"))["categories"]
    for order, row in enumerate(categories):
        Category.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "description": row.get("description", ""),
                "policy_area": row["policy_area"],
                "dsa_category": row["dsa_category"],
                "dsa_keywords": row.get("dsa_keywords", []),
                "restricted": row.get("restricted", False),
                "sort_order": (order + 1) * 10,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("taxonomy", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
