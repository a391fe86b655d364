"""On PostgreSQL the database itself refuses UPDATE and DELETE on audit entries.

(TRUNCATE is a table owner's privilege: production deployments run the app under a role
that does not own the tables; see README, "Audit trail".)
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION audit_entry_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""
TRIGGER = """
CREATE TRIGGER audit_entry_immutable
    BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_immutable()
"""
DROP_TRIGGER = "DROP TRIGGER IF EXISTS audit_entry_immutable ON audit_auditentry"
DROP_FUNCTION = "DROP FUNCTION IF EXISTS audit_entry_immutable()"


def _run(schema_editor, *statements):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)  # no parameters: the % in the message stays literal


def forwards(apps, schema_editor):
    _run(schema_editor, FUNCTION, TRIGGER)


def backwards(apps, schema_editor):
    _run(schema_editor, DROP_TRIGGER, DROP_FUNCTION)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
