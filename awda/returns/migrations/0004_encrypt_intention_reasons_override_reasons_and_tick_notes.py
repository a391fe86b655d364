"""Why a family intends to return (or stay), why a supervisor let a household be scheduled
with its checklist incomplete, and the notes on ticked readiness items, encrypted at rest.

All three are text columns: they are encrypted where they are, in batches, before the
field becomes an encrypted one (and decrypted after it is plain text again, going back).
Both directions work on a populated table."""

from django.db import migrations

import awda.common.fields
from awda.common.fields import decrypt_text_in_place, encrypt_text_in_place

TEXTS = [
    ("Intention", "reasons"),
    ("ReadinessOverride", "reason"),
    ("ChecklistTick", "note"),
]


def encrypt_texts(apps, schema_editor):
    for model, name in TEXTS:
        encrypt_text_in_place(apps.get_model("returns", model), name)


def decrypt_texts(apps, schema_editor):
    for model, name in TEXTS:
        decrypt_text_in_place(apps.get_model("returns", model), name)


class Migration(migrations.Migration):
    dependencies = [
        ("returns", "0003_consent_rule"),
    ]

    operations = [
        migrations.RunPython(encrypt_texts, decrypt_texts, elidable=False),
        migrations.AlterField(
            model_name="intention",
            name="reasons",
            field=awda.common.fields.EncryptedTextField(blank=True, verbose_name="reasons"),
        ),
        migrations.AlterField(
            model_name="readinessoverride",
            name="reason",
            field=awda.common.fields.EncryptedTextField(verbose_name="reason"),
        ),
        migrations.AlterField(
            model_name="checklisttick",
            name="note",
            field=awda.common.fields.EncryptedTextField(blank=True),
        ),
    ]
