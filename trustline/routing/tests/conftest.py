"""Routing fixtures: reviewers with skills, and queued cases with exactly the routing facts a test needs.

Reviewers are created and given skills through the real services
(``make_person``, ``reviewer_skills_set``). Cases for claim tests are
written directly with :func:`queued_case`, whose routing columns come from
the same ``routing_values`` that triage uses, so a test can say "a tier 1
case in Sudanese Arabic triaged 40 minutes ago" without running intake and
triage for each (``test_language`` and the API tests go through both).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from trustline.accounts.choices import Role
from trustline.accounts.models import Organisation, User
from trustline.accounts.permissions import SYSTEM
from trustline.cases.choices import CaseStatus
from trustline.cases.models import Case
from trustline.conftest import actor_of, make_person
from trustline.core import clock
from trustline.intake.choices import Channel
from trustline.intake.schemas import ReportIn
from trustline.intake.services import SubmitResult, report_submit
from trustline.routing.eligibility import routing_values
from trustline.routing.language import CaseLanguage, language_base
from trustline.routing.reviewers import reviewer_skills_set
from trustline.taxonomy.models import Category

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
_keys = itertools.count(1)


@pytest.fixture
def submit(report_payload: Callable[..., dict[str, Any]]) -> Callable[..., SubmitResult]:
    """``submit(user, **overrides)``: a report through the real intake service as that partner person."""

    def make(user: User, **overrides: Any) -> SubmitResult:
        return report_submit(actor=actor_of(user), data=ReportIn(**report_payload(**overrides)), channel=Channel.API)

    return make


@pytest.fixture
def at_t0() -> Iterator[dt.datetime]:
    with clock.frozen_at(T0):
        yield T0


def make_reviewer(kite: Organisation, username: str, *, role: Role = Role.REVIEWER, **skills: Any) -> User:
    """A platform person with ``role`` and, when skills are given, a reviewer profile."""
    user = make_person(kite, username, username.title(), role)
    if skills:
        reviewer_skills_set(actor=SYSTEM, user_id=user.pk, **{"languages": [], **skills})
    return user


@pytest.fixture
def reviewer(kite: Organisation) -> Callable[..., User]:
    """``reviewer("sami", languages=["ar-SD"], countries=["SD"])``."""
    return lambda username, **skills: make_reviewer(kite, username, **skills)


def queued_case(
    *,
    language: str = "ar",
    country: str = "SD",
    category: str = "incitement_violence",
    priority: int = 300,
    tier: int = 2,
    triaged_at: dt.datetime = T0,
    opened_at: dt.datetime | None = None,
    decide_due_at: dt.datetime | None = None,
    imminent: bool = False,
    status: str = CaseStatus.TRIAGED,
    **fields: Any,
) -> Case:
    """A triaged, queued case with its routing columns as triage would set them."""
    n = next(_keys)
    key = f"https://kite.example/posts/routing-{n}"
    opened = opened_at or triaged_at - dt.timedelta(minutes=1)
    defining = Category.objects.get(code=category)
    values = routing_values(
        language=CaseLanguage(tag=language, confidence=None, source="partner" if language else ""),
        country=country,
        categories=[defining],
        defining=defining,
        start=triaged_at,
        imminent=imminent,
    )
    assert values["routing_language_base"] == language_base(language)
    return Case.objects.create(
        key_hash=hashlib.sha256(key.encode()).hexdigest(),
        canonical_key=key,
        canonical_url=key,
        item_kind="post",
        status=status,
        opened_at=opened,
        last_reported_at=opened,
        item_count=1,
        partner_count=1,
        country=country,
        category_code=category,
        imminent_harm=imminent,
        tier=tier,
        priority=priority,
        priority_components={"tier": priority},
        triaged_at=triaged_at,
        ack_due_at=opened + dt.timedelta(hours=4),
        decide_due_at=decide_due_at or opened + dt.timedelta(hours=24),
        **{**values, **fields},
    )
