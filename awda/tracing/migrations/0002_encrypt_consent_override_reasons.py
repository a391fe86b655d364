"""Why a supervisor traces without the requester's consent, encrypted at rest.

A text column: it is encrypted where it is, in batches, before the field becomes an
encrypted one (and decrypted after it is plain text again, going back). Empty text stays
empty, so finding the requests traced under an override still works in SQL."""

from django.db import migrations

import awda.common.fields
from awda.common.fields import decrypt_text_in_place, encrypt_text_in_place


def encrypt_overrides(apps, schema_editor):
    encrypt_text_in_place(apps.get_model("tracing", "TracingRequest"), "consent_override")


def decrypt_overrides(apps, schema_editor):
    decrypt_text_in_place(apps.get_model("tracing", "TracingRequest"), "consent_override")


class Migration(migrations.Migration):
    dependencies = [
        ("tracing", "0001_requests_candidates_contacts_links"),
    ]

    operations = [
        migrations.RunPython(encrypt_overrides, decrypt_overrides, elidable=False),
        migrations.AlterField(
            model_name="tracingrequest",
            name="consent_override",
            field=awda.common.fields.EncryptedTextField(
                blank=True, verbose_name="why a supervisor traces without the requester's consent"
            ),
        ),
    ]
