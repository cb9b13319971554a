"""Seed the default SLA policies from ``triage/data/sla_policies.json`` (tier defaults, no category or country)."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "sla_policies.json"


def load(apps, schema_editor):
    SlaPolicy = apps.get_model("triage", "SlaPolicy")
    for row in json.loads(DATA.read_text(encoding="utf-8"))["policies"]:
        SlaPolicy.objects.update_or_create(
            tier=row["tier"],
            category=None,
            country="",
            is_active=True,
            defaults={"name": row["name"], "ack_minutes": row["ack_minutes"], "decide_minutes": row["decide_minutes"]},
        )


class Migration(migrations.Migration):
    dependencies = [("triage", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
