"""Seed the default explanation templates and second-review rules (editable in the admin afterwards)."""

from django.db import migrations
from django.utils import timezone

from trustline.review.choices import DEFAULT_PROTECTED_TARGETS
from trustline.review.templates_text import DEFAULT_TEMPLATES


def seed(apps, schema_editor):
    DecisionTemplate = apps.get_model("review", "DecisionTemplate")
    SecondReviewRule = apps.get_model("review", "SecondReviewRule")
    now = timezone.now()
    for outcome, languages in DEFAULT_TEMPLATES.items():
        for language, (name, body) in languages.items():
            DecisionTemplate.objects.get_or_create(
                outcome=str(outcome), language=language, is_active=True,
                defaults={"name": name, "body": body, "updated_at": now},
            )
    SecondReviewRule.objects.get_or_create(
        kind="protected_target", defaults={"targets": list(DEFAULT_PROTECTED_TARGETS), "updated_at": now}
    )
    SecondReviewRule.objects.get_or_create(kind="public_figure", defaults={"updated_at": now})
    SecondReviewRule.objects.get_or_create(
        kind="tier_not_violating", defaults={"tiers": [1], "outcomes": ["not_violating"], "updated_at": now}
    )


class Migration(migrations.Migration):

    dependencies = [
        ("review", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
