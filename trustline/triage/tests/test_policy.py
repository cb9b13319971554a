"""SLA policy matching: the most specific active policy wins; the case keeps a copy of the one it got."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError

from trustline.accounts.models import User
from trustline.audit.models import AuditEntry
from trustline.taxonomy.models import Category
from trustline.triage.models import SlaPolicy
from trustline.triage.selectors import sla_targets_for
from trustline.triage.services import triage_pending
from trustline.triage.tests.conftest import T0, Submit, case_of

pytestmark = pytest.mark.django_db


def policy(name: str, tier: str, *, category: str = "", country: str = "", ack: int = 60, decide: int = 120,
           active: bool = True) -> SlaPolicy:
    return SlaPolicy.objects.create(
        name=name, tier=tier, category=Category.objects.get(code=category) if category else None,
        country=country, ack_minutes=ack, decide_minutes=decide, is_active=active,
    )


def chosen(tier: int = 2, *, imminent: bool = False, category: str = "doxxing", country: str = "SD") -> str:
    return sla_targets_for(tier=tier, imminent=imminent, category_code=category, country=country).name


def test_the_seeded_defaults_match_the_issue():
    rows = {p.tier: (p.ack_minutes, p.decide_minutes) for p in SlaPolicy.objects.filter(is_active=True)}

    assert rows == {"imminent": (15, 60), "1": (240, 1440), "2": (1440, 4320), "3": (2880, 7200)}


def test_the_most_specific_policy_wins():
    policy("Doxxing in Sudan", "2", category="doxxing", country="SD")
    policy("Doxxing", "2", category="doxxing")
    policy("Sudan", "2", country="SD")

    assert chosen() == "Doxxing in Sudan"
    assert chosen(country="PK") == "Doxxing"
    assert chosen(category="harassment") == "Sudan"
    assert chosen(category="harassment", country="PK") == "Tier 2"
    assert chosen(tier=1) == "Tier 1"


def test_a_category_policy_beats_a_country_policy():
    policy("Sudan", "2", country="SD")
    policy("Doxxing", "2", category="doxxing")

    assert chosen() == "Doxxing"


def test_imminent_harm_uses_imminent_policies_whatever_the_tier():
    policy("Imminent in Sudan", "imminent", country="SD", ack=5, decide=30)
    policy("Tier 1 in Sudan", "1", country="SD")

    assert chosen(tier=1, imminent=True) == "Imminent in Sudan"
    assert chosen(tier=3, imminent=True, country="PK") == "Imminent harm"


def test_inactive_policies_are_ignored_and_the_built_in_default_is_the_last_resort():
    policy("Old Sudan rule", "2", country="SD", active=False)
    SlaPolicy.objects.filter(tier="3").update(is_active=False)

    assert chosen() == "Tier 2"
    targets = sla_targets_for(tier=3, imminent=False, category_code="misinformation", country="SD")
    assert targets.name == "Tier 3 (built-in default)"
    assert (targets.ack_minutes, targets.decide_minutes, targets.policy_id) == (2880, 7200, None)


def test_two_active_policies_for_the_same_scope_are_refused():
    policy("Sudan", "2", country="SD")

    with pytest.raises(IntegrityError):
        policy("Sudan again", "2", country="SD")


def test_the_case_keeps_the_policy_it_was_triaged_under(analyst_amal: User, submit: Submit, at_t0: dt.datetime):
    sudan = policy("Doxxing in Sudan", "2", category="doxxing", country="SD", ack=30, decide=240)
    result = submit(analyst_amal, category="doxxing")
    triage_pending()

    SlaPolicy.objects.filter(pk=sudan.pk).update(ack_minutes=600, decide_minutes=6000)

    case = case_of(result)
    assert case.sla_policy_snapshot == {
        "policy_id": sudan.pk, "name": "Doxxing in Sudan", "applies_to": "2", "category": "doxxing",
        "country": "SD", "ack_minutes": 30, "decide_minutes": 240,
    }
    assert case.ack_due_at == T0 + dt.timedelta(minutes=30)
    assert case.decide_due_at == T0 + dt.timedelta(hours=4)


def test_a_policy_added_in_the_admin_is_audited(client):
    root = User.objects.create_superuser(username="root", email="root@example.org", password="x" * 12)
    client.force_login(root)
    doxxing = Category.objects.get(code="doxxing")

    response = client.post(
        "/admin/triage/slapolicy/add/",
        {"name": "Doxxing in Sudan", "tier": "2", "category": doxxing.pk, "country": "SD",
         "ack_minutes": 30, "decide_minutes": 240, "is_active": "on"},
    )

    assert response.status_code == 302, response.content
    created = SlaPolicy.objects.get(name="Doxxing in Sudan")
    entry = AuditEntry.objects.get(action="sla_policy.changed", target_id=str(created.pk))
    assert entry.actor == f"user:{root.pk}"
    assert entry.data["created"] is True
    assert (entry.data["category"], entry.data["country"], entry.data["ack_minutes"]) == ("doxxing", "SD", 30)
    assert chosen() == "Doxxing in Sudan"
