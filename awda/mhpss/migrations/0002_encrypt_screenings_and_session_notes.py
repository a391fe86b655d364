"""Screening answers and results, and session notes, encrypted at rest.

A JSON or number column becomes a text column holding a token: on PostgreSQL its type
changes, so each is added beside the old one (encrypted), copied in batches, and takes the
old one's place (add, copy, remove, rename). Session notes are text already: they are
encrypted where they are. Both directions work on a populated table."""

from django.db import migrations, models

import awda.common.fields
from awda.common.fields import copy_column, decrypt_text_in_place, encrypt_text_in_place

# the screening's columns that become encrypted JSON, with their clear declaration
RESULTS = {
    "answers": lambda: models.JSONField(null=True),
    "raw_score": lambda: models.PositiveSmallIntegerField(null=True),
    "score": lambda: models.PositiveSmallIntegerField(null=True),
    "band": lambda: models.CharField(max_length=20, null=True),
    "flags": lambda: models.JSONField(default=list, null=True),
}



def settle(schema_editor):
    """PostgreSQL refuses to alter a table with foreign-key checks still pending from the
    rows just rewritten in this transaction: run those checks now."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")

def encrypt_results(apps, schema_editor):
    screening = apps.get_model("mhpss", "Screening")
    for name in RESULTS:
        copy_column(screening, name, f"{name}_encrypted")
    settle(schema_editor)


def decrypt_results(apps, schema_editor):
    screening = apps.get_model("mhpss", "Screening")
    for name in RESULTS:
        copy_column(screening, f"{name}_encrypted", name)
    settle(schema_editor)


def encrypt_notes(apps, schema_editor):
    encrypt_text_in_place(apps.get_model("mhpss", "Session"), "notes")
    settle(schema_editor)


def decrypt_notes(apps, schema_editor):
    decrypt_text_in_place(apps.get_model("mhpss", "Session"), "notes")
    settle(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ("mhpss", "0001_screenings_and_sessions"),
    ]

    operations = [
        # nullable first, so that going back can add the clear columns to a filled table
        *[
            migrations.AlterField(model_name="screening", name=name, field=clear())
            for name, clear in RESULTS.items()
        ],
        *[
            migrations.AddField(
                model_name="screening",
                name=f"{name}_encrypted",
                field=awda.common.fields.EncryptedJSONField(null=True),
            )
            for name in RESULTS
        ],
        migrations.RunPython(encrypt_results, decrypt_results, elidable=False),
        *[migrations.RemoveField(model_name="screening", name=name) for name in RESULTS],
        *[
            migrations.RenameField(
                model_name="screening", old_name=f"{name}_encrypted", new_name=name
            )
            for name in RESULTS
        ],
        *[
            migrations.AlterField(
                model_name="screening",
                name=name,
                field=awda.common.fields.EncryptedJSONField(
                    **({"default": list} if name == "flags" else {})
                ),
            )
            for name in RESULTS
        ],
        migrations.RunPython(encrypt_notes, decrypt_notes, elidable=False),
        migrations.AlterField(
            model_name="session",
            name="notes",
            field=awda.common.fields.EncryptedTextField(blank=True, verbose_name="notes"),
        ),
    ]
