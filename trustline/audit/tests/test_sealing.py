"""Entries are written unsealed with the change and chained by the sealer after commit.

The point of sealing after commit is that writers no longer take turns on the
chain head: ``test_writers_do_not_wait_for_each_other`` holds one writer's
transaction open and shows a second writer commits meanwhile (on PostgreSQL,
where writers really run in parallel; SQLite serialises all writers anyway).
"""

from __future__ import annotations

import datetime as dt
import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction

from trustline.accounts.permissions import SYSTEM
from trustline.audit.choices import AuditAction
from trustline.audit.models import AuditChainHead, AuditEntry
from trustline.audit.services import audit_record, audit_seal, audit_seal_all
from trustline.audit.verify import verify_chain
from trustline.core import clock

T0 = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)


def record(n: int) -> AuditEntry:
    with transaction.atomic():
        return audit_record(actor=SYSTEM, action=AuditAction.USER_CREATED, target=("test.thing", str(n)),
                            data={"n": n})


@pytest.mark.django_db
def test_an_entry_is_written_unsealed_and_rolls_back_with_its_change():
    kept = record(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        record(2)
        raise RuntimeError("the change fails")

    stored = AuditEntry.objects.get()
    assert (stored.pk, stored.seq, stored.hash, stored.data) == (kept.pk, None, "", {"n": 1})


@pytest.mark.django_db
def test_sealing_numbers_and_chains_entries_in_the_order_written():
    for n in range(1, 4):
        record(n)

    assert audit_seal().sealed == 3
    assert audit_seal().sealed == 0  # nothing left; a second run is harmless

    entries = list(AuditEntry.objects.order_by("id"))
    assert [e.seq for e in entries] == [1, 2, 3]
    assert [e.data["n"] for e in entries] == [1, 2, 3]
    assert entries[1].prev_hash == entries[0].hash and entries[2].prev_hash == entries[1].hash
    head = AuditChainHead.objects.get()
    assert (head.seq, head.hash) == (3, entries[2].hash)
    record(4)
    assert audit_seal_all() == 1
    assert verify_chain().ok


@pytest.mark.django_db
def test_seal_respects_its_batch_limit():
    for n in range(5):
        record(n)
    assert audit_seal(limit=2).sealed == 2
    assert AuditEntry.objects.filter(seq__isnull=True).count() == 3
    assert audit_seal_all() == 3
    assert verify_chain().checked == 5


@pytest.mark.django_db
def test_verify_reports_entries_the_sealer_left_behind(settings):
    settings.TRUSTLINE = {**settings.TRUSTLINE, "AUDIT_SEAL_GRACE_SECONDS": 60}
    with clock.frozen_at(T0):
        record(1)
    with clock.frozen_at(T0 + dt.timedelta(seconds=30)):
        report = verify_chain()
        assert report.ok and report.unsealed == 1
    with clock.frozen_at(T0 + dt.timedelta(seconds=61)):
        report = verify_chain()
        assert not report.ok
        assert report.problem is not None and "not sealed" in report.problem.reason
        with pytest.raises(CommandError, match="1 entries are not sealed"):
            call_command("audit_verify", "--no-seal", stdout=StringIO())
        out = StringIO()
        call_command("audit_verify", stdout=out)  # seals first, then verifies
    assert out.getvalue().splitlines() == ["Sealed 1 pending entries.", "Audit chain intact: 1 entries verified."]


@pytest.mark.django_db
def test_the_database_allows_sealing_but_no_other_update():
    entry = record(1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(data={"n": 2})  # content of an unsealed entry
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(seq=1, hash="x" * 64, actor_label="someone")  # seal + edit
    audit_seal()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(seq=7)  # re-numbering a sealed entry
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(hash="0" * 64)
    assert verify_chain().ok


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite runs one writer at a time by design")
@pytest.mark.django_db(transaction=True)
def test_writers_do_not_wait_for_each_other():
    """A writer whose transaction stays open does not hold up another writer's commit.

    Before sealing moved after commit, the second writer waited on the chain
    head lock until the first committed. The first writer's entry has the
    smaller id but commits last, so a seal run in between chains only the
    second, and the next run chains the first after it.
    """
    first_wrote, second_done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first_writer() -> None:
        try:
            with transaction.atomic():
                record(1)
                first_wrote.set()
                second_done.wait(timeout=20)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=first_writer)
    thread.start()
    assert first_wrote.wait(timeout=20)
    record(2)  # would block here on the head lock if writers still took turns
    committed_while_first_open = thread.is_alive()
    assert audit_seal().sealed == 1  # only the committed entry is visible to the sealer
    second_done.set()
    thread.join(timeout=20)

    assert not errors and committed_while_first_open
    assert audit_seal().sealed == 1
    entries = {e.data["n"]: e for e in AuditEntry.objects.all()}
    assert entries[1].pk < entries[2].pk and entries[1].seq == 2 and entries[2].seq == 1
    assert verify_chain().ok
