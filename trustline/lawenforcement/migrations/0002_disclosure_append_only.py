"""Disclosures are append-only: the database refuses to change a recorded disclosure.

Only UPDATE is refused here; deletion is already blocked by PROTECT foreign
keys from the request side and by the absence of any delete path in the
services (a DELETE trigger would also break the test database's flush).
"""

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER le_disclosure_no_update BEFORE UPDATE ON lawenforcement_disclosure
       BEGIN SELECT RAISE(ABORT, 'disclosures are append-only'); END;""",
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS le_disclosure_no_update;"]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION le_disclosure_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'disclosures are append-only'; END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER le_disclosure_append_only BEFORE UPDATE ON lawenforcement_disclosure
       FOR EACH ROW EXECUTE FUNCTION le_disclosure_append_only();""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS le_disclosure_append_only ON lawenforcement_disclosure;",
    "DROP FUNCTION IF EXISTS le_disclosure_append_only();",
]


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]  # migration signature
    for sql in {"sqlite": SQLITE, "postgresql": POSTGRES}.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]  # migration signature
    for sql in {"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("lawenforcement", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
