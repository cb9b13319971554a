"""The audit log is append-only and hash-chained; ``trustline audit_verify`` finds the first break.

To tamper, a test must first get past the append-only triggers, as an
attacker with database access would: on SQLite by dropping them, on
PostgreSQL by disabling them. Both are DDL inside the test's transaction, so
they are rolled back with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from trustline.accounts.choices import OrganisationKind
from trustline.accounts.permissions import SYSTEM
from trustline.accounts.services import organisation_create, user_create
from trustline.audit.models import AuditEntry
from trustline.audit.services import audit_seal
from trustline.conftest import ApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(db: None) -> list[AuditEntry]:
    """Five entries from ordinary service calls."""
    organisation_create(actor=SYSTEM, name="Bangladesh Digital Safety Network", kind=OrganisationKind.PARTNER)
    for name in ("farhana", "tanvir", "rahim", "shirin"):
        user_create(actor=SYSTEM, username=name, email=f"{name}@example.org")
    assert audit_seal().sealed == 5
    entries = list(AuditEntry.objects.order_by("seq"))
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    return entries


@pytest.fixture
def triggers_off() -> Iterator[None]:
    """Bypass the append-only triggers for the rest of the test's transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER audit_entry_no_update")
            cursor.execute("DROP TRIGGER audit_entry_no_delete")
        elif connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
        else:  # pragma: no cover - only the two supported databases
            pytest.skip(f"no tampering recipe for {connection.vendor}")
    yield


def verify() -> str:
    from io import StringIO

    out = StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


def verify_fails() -> str:
    with pytest.raises(CommandError) as excinfo:
        verify()
    return str(excinfo.value)


def test_an_intact_chain_verifies(chain: list[AuditEntry]):
    assert verify().strip() == "Audit chain intact: 5 entries verified."


def test_an_empty_log_verifies(db: None):
    assert "0 entries verified" in verify()


def test_an_altered_entry_is_reported(chain: list[AuditEntry], triggers_off: None):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditentry SET target_id = %s WHERE seq = %s", ["999", chain[2].seq]
        )

    message = verify_fails()

    assert message.startswith("Audit chain broken at entry #3: content was altered")
    assert "(2 entries verified before it)" in message


def test_an_altered_actor_and_data_are_reported(
    chain: list[AuditEntry], triggers_off: None
):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET actor_label = %s, data = %s WHERE seq = 2",
                       ["someone else", '{"username": "mallory"}'])

    assert verify_fails().startswith("Audit chain broken at entry #2")


def test_a_removed_entry_is_reported(chain: list[AuditEntry], triggers_off: None):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE seq = 4")

    assert verify_fails().startswith("Audit chain broken at entry #4: entry #4 is missing")


def test_a_removed_last_entry_is_reported(chain: list[AuditEntry], triggers_off: None):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE seq = 5")

    assert "the chain head says 5 entries but 4 were found" in verify_fails()


def test_a_renumbered_chain_is_reported(chain: list[AuditEntry], triggers_off: None):
    """Removing an entry and renumbering the rest to hide the gap still breaks the links."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE seq = 2")
        # In two steps: seq is unique and checked row by row, and PostgreSQL updates rows in their physical
        # order, which earlier tests' dead rows can make differ from seq order (4 -> 3 before 3 -> 2 fails).
        cursor.execute("UPDATE audit_auditentry SET seq = seq + 1000 WHERE seq > 2")
        cursor.execute("UPDATE audit_auditentry SET seq = seq - 1001 WHERE seq > 1000")

    assert verify_fails().startswith("Audit chain broken at entry #2: link to the previous entry is broken")


def test_the_database_refuses_a_plain_update(chain: list[AuditEntry]):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(seq=1).update(actor_label="tampered")

    assert AuditEntry.objects.get(seq=1).actor_label == "system"


def test_the_database_refuses_a_plain_delete(chain: list[AuditEntry]):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(seq=5).delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry")

    assert AuditEntry.objects.count() == 5
    assert "5 entries verified" in verify()


def test_the_chain_verifies_after_real_intake_traffic(
    sudan_api: ApiClient, pakistan_api: ApiClient, report_payload: Callable[..., dict[str, Any]]
):
    """Entries written by intake, bulk and evidence round-trip through the database and still hash the same."""
    shared = [{"url": "https://kite.example/posts/1200", "kind": "post"}]
    report = sudan_api.submit(report_payload(items=shared, explanation="«Арабский» текст — ünïcödé ✓")).json()
    pakistan_api.submit(report_payload(items=shared, country="PK"), headers={"Idempotency-Key": "pk-1"})
    pakistan_api.upload("/reports/bulk", {"file": ("b.csv", (
        b"url,kind,category,explanation,country,bona_fide\r\n"
        b"https://kite.example/posts/1201,post,misinformation,Doctored video.,PK,true\r\n"
    ), "text/csv")})
    evidence = sudan_api.upload(
        f"/reports/{report['id']}/evidence", {"file": ("note.txt", b"Seen at 10:02.\n", "text/plain")}
    ).json()
    sudan_api.get(f"/reports/{report['id']}/evidence/{evidence['id']}")

    output = verify()

    assert output.splitlines()[-1].startswith("Audit chain intact:")
    assert f"{AuditEntry.objects.count()} entries verified" in output
