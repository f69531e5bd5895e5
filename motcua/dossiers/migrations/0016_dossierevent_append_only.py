"""Dossier events can no longer be changed or deleted, at the database too
(motcua.audit.appendonly): BEFORE UPDATE/DELETE (and, on PostgreSQL, TRUNCATE) triggers.
A row may still be completed by the transaction that wrote it, before it commits."""

from django.db import migrations

from motcua.audit.appendonly import triggers_install, triggers_remove

TABLE = "dossiers_dossierevent"


def install(apps, schema_editor):
    triggers_install(schema_editor.connection, table=TABLE, complete_fresh=True)


def remove(apps, schema_editor):
    triggers_remove(schema_editor.connection, table=TABLE)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0002_auditevent_data_append_only"),
        ("dossiers", "0015_draft_expiry_notice_at_alter_dossierevent_dossier"),
    ]

    operations = [
        migrations.RunPython(install, remove),
    ]
