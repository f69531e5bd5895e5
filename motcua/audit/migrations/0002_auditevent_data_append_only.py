"""The audit trail's details column, two search indexes, and its append-only triggers
(motcua.audit.appendonly: PostgreSQL and SQLite refuse UPDATE, DELETE and TRUNCATE)."""

from django.db import migrations, models

from motcua.audit.appendonly import triggers_install, triggers_remove

TABLE = "audit_auditevent"


def install(apps, schema_editor):
    triggers_install(schema_editor.connection, table=TABLE)


def remove(apps, schema_editor):
    triggers_remove(schema_editor.connection, table=TABLE)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="data",
            field=models.JSONField(blank=True, default=dict, verbose_name="details"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["actor_label", "at"], name="audit_actor_at"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["object_label", "at"], name="audit_object_at"),
        ),
        migrations.RunPython(install, remove),
    ]
