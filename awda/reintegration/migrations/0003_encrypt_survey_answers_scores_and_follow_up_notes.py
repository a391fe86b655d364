"""Reintegration survey answers and scores, and follow-up notes, encrypted at rest.

Answers (JSON) and the four scores (numbers) become text columns holding a token: on
PostgreSQL their type changes, so each is added beside the old one (encrypted), copied in
batches, and takes the old one's place (add, copy, remove, rename). Follow-up notes are
text already: they are encrypted where they are. Both directions work on a populated
table."""

from django.db import migrations, models

import awda.common.fields
from awda.common.fields import copy_column, decrypt_text_in_place, encrypt_text_in_place

# the survey's columns that become encrypted JSON, with their clear declaration (the
# answers made nullable first, so that going back can add the clear column to a filled
# table; the scores are nullable already)
RESULTS = {
    "answers": lambda: models.JSONField(null=True),
    "economic": lambda: models.FloatField(null=True),
    "social": lambda: models.FloatField(null=True),
    "psychosocial": lambda: models.FloatField(null=True),
    "composite": lambda: models.FloatField(null=True),
}



def settle(schema_editor):
    """PostgreSQL refuses to alter a table with foreign-key checks still pending from the
    rows just rewritten in this transaction: run those checks now."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")

def encrypt_results(apps, schema_editor):
    survey = apps.get_model("reintegration", "Survey")
    for name in RESULTS:
        copy_column(survey, name, f"{name}_encrypted")
    settle(schema_editor)


def decrypt_results(apps, schema_editor):
    survey = apps.get_model("reintegration", "Survey")
    for name in RESULTS:
        copy_column(survey, f"{name}_encrypted", name)
    settle(schema_editor)


def encrypt_notes(apps, schema_editor):
    encrypt_text_in_place(apps.get_model("reintegration", "FollowUp"), "note")
    settle(schema_editor)


def decrypt_notes(apps, schema_editor):
    decrypt_text_in_place(apps.get_model("reintegration", "FollowUp"), "note")
    settle(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("reintegration", "0002_default_reintegration_survey"),
    ]

    operations = [
        migrations.AlterField(model_name="survey", name="answers", field=RESULTS["answers"]()),
        *[
            migrations.AddField(
                model_name="survey",
                name=f"{name}_encrypted",
                field=awda.common.fields.EncryptedJSONField(null=True),
            )
            for name in RESULTS
        ],
        migrations.RunPython(encrypt_results, decrypt_results, elidable=False),
        *[migrations.RemoveField(model_name="survey", name=name) for name in RESULTS],
        *[
            migrations.RenameField(model_name="survey", old_name=f"{name}_encrypted", new_name=name)
            for name in RESULTS
        ],
        migrations.AlterField(
            model_name="survey",
            name="answers",
            field=awda.common.fields.EncryptedJSONField(),
        ),
        migrations.RunPython(encrypt_notes, decrypt_notes, elidable=False),
        migrations.AlterField(
            model_name="followup",
            name="note",
            field=awda.common.fields.EncryptedTextField(blank=True, verbose_name="note"),
        ),
    ]
