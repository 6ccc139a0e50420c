"""On PostgreSQL, refuse UPDATE and DELETE of main-courante rows in the database itself.

SQLite keeps the ORM-level guard only (its test flush deletes rows); tampering there is caught by
``beffroi crisis verify-log``.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION crisis_logentry_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'main courante is append-only (crisis_logentry %)', OLD.id;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS crisis_logentry_append_only ON crisis_logentry;
CREATE TRIGGER crisis_logentry_append_only BEFORE UPDATE OR DELETE ON crisis_logentry
  FOR EACH ROW EXECUTE FUNCTION crisis_logentry_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS crisis_logentry_append_only ON crisis_logentry;
DROP FUNCTION IF EXISTS crisis_logentry_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("crisis", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
