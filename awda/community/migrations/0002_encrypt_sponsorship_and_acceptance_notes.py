"""Sponsorship notes (why a sponsor withdrew), the outcomes of acceptance activities and
the notes on a place's acceptance, encrypted at rest.

All three are text columns: they are encrypted where they are, in batches, before the
field becomes an encrypted one (and decrypted after it is plain text again, going back).
Both directions work on a populated table."""

from django.db import migrations

import awda.common.fields
from awda.common.fields import decrypt_text_in_place, encrypt_text_in_place

TEXTS = [
    ("Sponsorship", "note"),
    ("AcceptanceActivity", "outcome"),
    ("PlaceAcceptance", "note"),
]


def encrypt_texts(apps, schema_editor):
    for model, name in TEXTS:
        encrypt_text_in_place(apps.get_model("community", model), name)


def decrypt_texts(apps, schema_editor):
    for model, name in TEXTS:
        decrypt_text_in_place(apps.get_model("community", model), name)


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0001_sponsors_sponsorships_acceptance"),
    ]

    operations = [
        migrations.RunPython(encrypt_texts, decrypt_texts, elidable=False),
        migrations.AlterField(
            model_name="sponsorship",
            name="note",
            field=awda.common.fields.EncryptedTextField(blank=True, verbose_name="note"),
        ),
        migrations.AlterField(
            model_name="acceptanceactivity",
            name="outcome",
            field=awda.common.fields.EncryptedTextField(blank=True, verbose_name="outcome"),
        ),
        migrations.AlterField(
            model_name="placeacceptance",
            name="note",
            field=awda.common.fields.EncryptedTextField(blank=True, verbose_name="note"),
        ),
    ]
