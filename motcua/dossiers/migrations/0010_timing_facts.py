"""The one timing rule's facts (motcua.dossiers.timing): the appointment of form 01,
the legal due moment (appointment + paused time), the apology's new moment apart from
both, fee waits in working seconds, the stop moment, withdrawal requests (status 7),
and the folded applicant name for the back office's search."""

from django.db import migrations, models


def _split_apology(apps, schema_editor):
    # Before: due_at was moved by an apology and original_due_at kept the old moment.
    Dossier = apps.get_model("dossiers", "Dossier")
    for dossier in Dossier.objects.exclude(original_due_at=None).only("due_at", "original_due_at"):
        dossier.apology_due_at = dossier.due_at
        dossier.due_at = dossier.original_due_at
        dossier.save(update_fields=["apology_due_at", "due_at"])
    Dossier.objects.filter(original_due_at=None).update(original_due_at=models.F("due_at"))


def _fold_names(apps, schema_editor):
    from motcua.core.text import fold

    Dossier = apps.get_model("dossiers", "Dossier")
    for dossier in Dossier.objects.only("applicant_name").iterator():
        Dossier.objects.filter(pk=dossier.pk).update(applicant_name_folded=fold(dossier.applicant_name))


class Migration(migrations.Migration):
    dependencies = [("dossiers", "0009_result_file_and_rating")]

    operations = [
        migrations.AddField(
            model_name="dossier",
            name="apology_due_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="new return moment (form 04)"
            ),
        ),
        migrations.RunPython(_split_apology, migrations.RunPython.noop),
        migrations.RenameField(model_name="dossier", old_name="original_due_at", new_name="appointment_at"),
        migrations.AlterField(
            model_name="dossier",
            name="appointment_at",
            field=models.DateTimeField(
                blank=True,
                help_text="The return moment on the receipt slip (form 01); lateness is measured against it, paused time excluded.",
                null=True,
                verbose_name="appointment",
            ),
        ),
        migrations.AlterField(
            model_name="dossier",
            name="due_at",
            field=models.DateTimeField(
                blank=True,
                db_index=True,
                help_text="The appointment plus the working time spent waiting for the applicant.",
                null=True,
                verbose_name="legal due",
            ),
        ),
        migrations.RemoveField(model_name="dossier", name="paused_remaining_seconds"),
        migrations.AddField(
            model_name="dossier",
            name="fee_seconds",
            field=models.PositiveIntegerField(
                default=0, verbose_name="working seconds waiting for the fee"
            ),
        ),
        migrations.AlterField(
            model_name="dossier",
            name="supplement_seconds",
            field=models.PositiveIntegerField(
                default=0, verbose_name="working seconds waiting for supplements"
            ),
        ),
        migrations.AddField(
            model_name="dossier",
            name="stopped_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="stopped at"),
        ),
        migrations.AddField(
            model_name="dossier",
            name="before_withdrawal",
            field=models.CharField(blank=True, max_length=40),
        ),
        migrations.AddField(
            model_name="dossier",
            name="applicant_name_folded",
            field=models.CharField(blank=True, editable=False, max_length=200),
        ),
        migrations.RunPython(_fold_names, migrations.RunPython.noop),
    ]
