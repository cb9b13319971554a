"""Seed the French, Spanish and Arabic default explanations where no active template exists in that language.

Fresh databases get them from 0002 already (it seeds every packaged
default); this adds them to databases migrated before they existed, and
leaves alone a language the programme has written its own template for.
"""

from django.db import migrations
from django.utils import timezone

from trustline.review.templates_translated import TRANSLATED_TEMPLATES


def seed(apps, schema_editor):
    DecisionTemplate = apps.get_model("review", "DecisionTemplate")
    now = timezone.now()
    for outcome, languages in TRANSLATED_TEMPLATES.items():
        for language, (name, body) in languages.items():
            DecisionTemplate.objects.get_or_create(
                outcome=str(outcome), language=language, is_active=True,
                defaults={"name": name, "body": body, "updated_at": now},
            )


class Migration(migrations.Migration):

    dependencies = [
        ("review", "0004_decision_time_indexes"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
