"""Two reviewers never hold the same case: many threads claiming at once, on PostgreSQL and on SQLite.

Every thread is one reviewer with its own database connection; a barrier
releases them together, all with the same skills, so they all want the same
top cases. Afterwards the test checks, from what the threads got back *and*
from the assignment records, that no case went to two reviewers at once.

PostgreSQL runs 16 threads against the test database (``transaction=True``:
each thread's connection must see committed data). SQLite cannot run this
against pytest-django's in-memory test database, which threads share
through SQLite's shared cache (table locks and ``SQLITE_LOCKED`` errors
instead of the file locking and busy timeout a deployment relies on). So on
SQLite the test copies the prepared database into a file (a dump, since it
runs inside the test's transaction) and points 8 threads' connections at it:
real file locking, WAL and ``BEGIN IMMEDIATE``, as in production. The test
itself then stays an ordinary rolled-back test (a transactional test could
not flush the append-only audit table on SQLite).

``test_the_check_catches_a_claim_without_a_lock`` runs the same race with a
deliberately naive claim (read the top case, then write it, no lock, no
condition) and shows that the checks fail, so a passing run means
something.
"""

from __future__ import annotations

import collections
import importlib
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.apps import apps as django_apps
from django.db import connection, connections

from trustline.accounts.models import User
from trustline.audit.models import AuditEntry
from trustline.cases.choices import CaseStatus
from trustline.cases.models import QUEUE_ORDER, Case
from trustline.conftest import actor_of
from trustline.routing.models import Assignment
from trustline.routing.services import case_claim_next, case_release
from trustline.routing.tests.conftest import queued_case
from trustline.taxonomy.models import Category

THREADS = 16 if connection.vendor == "postgresql" else 8
CASES = 60

pytestmark = [pytest.mark.django_db(transaction=connection.vendor == "postgresql")]
T = TypeVar("T")


@pytest.fixture
def seeded(db: None) -> None:
    """The taxonomy the migrations seed, if an earlier transactional test's flush removed it."""
    if Category.objects.exists():
        return
    for module, function in [
        ("trustline.taxonomy.migrations.0002_seed_categories", "load"),
        ("trustline.taxonomy.migrations.0003_category_severity_tier", "set_default_tiers"),
    ]:
        getattr(importlib.import_module(module), function)(django_apps, None)


@pytest.fixture
def racers(seeded: None, reviewer: Callable[..., User], settings: Any) -> list[User]:
    settings.ROUTING = {**settings.ROUTING, "MAX_HELD": CASES}
    return [reviewer(f"racer{n}", languages=["ar"]) for n in range(THREADS)]


@contextmanager
def threads_database(tmp_path: Path) -> Iterator[None]:
    """On SQLite, a file copy of the test database for the threads' connections; nothing to do on PostgreSQL."""
    if connection.vendor != "sqlite":
        yield
        return
    path = tmp_path / "race.sqlite3"
    connection.ensure_connection()
    dump = "\n".join(connection.connection.iterdump())  # includes this transaction's uncommitted rows
    copy = sqlite3.connect(path, isolation_level=None)
    try:
        copy.executescript(dump)
    finally:
        copy.close()
    settings_dict = connections.settings["default"]
    original = settings_dict["NAME"]
    settings_dict["NAME"] = str(path)  # only new connections (the threads') read this
    try:
        yield
    finally:
        settings_dict["NAME"] = original


def race(work: Callable[[int], T], threads: int = THREADS) -> list[T]:
    barrier = threading.Barrier(threads)

    def run(i: int) -> T:
        try:
            barrier.wait(timeout=30)
            return work(i)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(run, range(threads)))


def in_a_thread(work: Callable[[], T]) -> T:
    """Run ``work`` on a fresh connection (on SQLite: the file copy the racers used)."""
    return race(lambda _: work(), threads=1)[0]


def assert_no_double_assignment(claims: list[list[uuid.UUID]]) -> None:
    """Each reviewer's claims are theirs alone: no case id appears for two reviewers, or twice for one."""
    counts = collections.Counter(case_id for per_thread in claims for case_id in per_thread)
    doubled = {case_id: n for case_id, n in counts.items() if n > 1}
    assert not doubled, f"cases handed out more than once: {doubled}"


def test_many_reviewers_claiming_at_once_never_get_the_same_case(racers: list[User], tmp_path: Path):
    for n in range(CASES):
        queued_case(language="ar", priority=1000 - n % 7)

    with threads_database(tmp_path):

        def claim_until_empty(i: int) -> list[uuid.UUID]:
            got: list[uuid.UUID] = []
            while (case := case_claim_next(actor=actor_of(racers[i]))) is not None:
                got.append(case.pk)
            return got

        claims = race(claim_until_empty)
        rows = in_a_thread(lambda: (
            list(Case.objects.values_list("pk", "status", "assigned_to_id")),
            list(Assignment.objects.values_list("case_id", "reviewer_id")),
            AuditEntry.objects.filter(action="case.claimed").count(),
        ))

    cases, assignments, audited = rows
    if connection.vendor == "sqlite":  # the threads worked on the file copy, not the shared in-memory database
        assert not Case.objects.filter(status=CaseStatus.IN_REVIEW).exists()
    assert_no_double_assignment(claims)
    assert sum(len(c) for c in claims) == CASES  # every case claimed, none left behind
    holder = {case_id: racers[i].pk for i, per_thread in enumerate(claims) for case_id in per_thread}
    assert {pk: (status, user) for pk, status, user in cases} == {
        pk: (CaseStatus.IN_REVIEW, holder[pk]) for pk in holder
    }
    assert sorted(assignments) == sorted(holder.items())
    assert audited == CASES
    assert sum(1 for c in claims if c) > 1  # the threads really competed


def test_claim_and_release_loops_never_overlap_on_a_case(racers: list[User], tmp_path: Path, settings: Any):
    settings.ROUTING = {**settings.ROUTING, "MAX_HELD": 1}
    for _ in range(THREADS // 2):  # fewer cases than reviewers: they keep taking each other's released cases
        queued_case(language="ar")
    rounds = 6

    with threads_database(tmp_path):

        def loop(i: int) -> list[uuid.UUID]:
            got: list[uuid.UUID] = []
            for _ in range(rounds):
                case = case_claim_next(actor=actor_of(racers[i]))
                if case is not None:
                    got.append(case.pk)
                    case_release(actor=actor_of(racers[i]), case_id=case.pk)
            return got

        claims = race(loop)
        assignments = in_a_thread(lambda: list(
            Assignment.objects.order_by("case_id", "claimed_at", "pk").values_list(
                "case_id", "claimed_at", "ended_at", "end_reason"
            )
        ))

    assert sum(len(c) for c in claims) == len(assignments) > THREADS // 2
    previous: dict[uuid.UUID, Any] = {}
    for case_id, claimed_at, ended_at, end_reason in assignments:
        assert ended_at is not None and end_reason == "released"
        if case_id in previous:
            assert claimed_at >= previous[case_id], f"case {case_id} held twice at once"
        previous[case_id] = ended_at


def naive_claim(user: User, barrier: threading.Barrier) -> uuid.UUID | None:
    """What the claim would be without its lock and condition: read the top case, then take it."""
    case = Case.objects.filter(status=CaseStatus.TRIAGED).order_by(*QUEUE_ORDER).first()
    barrier.wait(timeout=30)  # everyone has read before anyone writes: the race, made certain
    if case is None:
        return None
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.IN_REVIEW, assigned_to=user)
    return case.pk


def test_the_check_catches_a_claim_without_a_lock(racers: list[User], tmp_path: Path):
    for _ in range(CASES):
        queued_case(language="ar")
    barrier = threading.Barrier(THREADS)

    with threads_database(tmp_path):
        claims = race(lambda i: [c for c in [naive_claim(racers[i], barrier)] if c is not None])

    with pytest.raises(AssertionError, match="handed out more than once"):
        assert_no_double_assignment(claims)
