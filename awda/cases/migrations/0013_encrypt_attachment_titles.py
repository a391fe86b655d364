"""Attachment titles, encrypted at rest (the file itself is already).

The title is widened from 200 characters to text first (a token is longer than the text
it holds), encrypted where it is in batches, and the field becomes an encrypted one;
going back decrypts it while it is plain text, then narrows it again (titles are cut to
200 characters when they are given). Both directions work on a populated table."""

from django.db import migrations, models

import awda.common.fields
from awda.common.fields import decrypt_text_in_place, encrypt_text_in_place


def encrypt_titles(apps, schema_editor):
    encrypt_text_in_place(apps.get_model("cases", "Attachment"), "title")


def decrypt_titles(apps, schema_editor):
    decrypt_text_in_place(apps.get_model("cases", "Attachment"), "title")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0012_encrypt_notes_referrals_and_assessments"),
    ]

    operations = [
        migrations.AlterField(
            model_name="attachment",
            name="title",
            field=models.TextField(verbose_name="title"),
        ),
        migrations.RunPython(encrypt_titles, decrypt_titles, elidable=False),
        migrations.AlterField(
            model_name="attachment",
            name="title",
            field=awda.common.fields.EncryptedTextField(verbose_name="title"),
        ),
    ]
