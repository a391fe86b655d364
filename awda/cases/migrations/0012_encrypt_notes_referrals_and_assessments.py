"""Case notes, case-event comments, service notes, referrals' free text and assessment
answers, encrypted at rest.

Text columns are encrypted where they are (a service note is widened to text first: a
token is longer than the 300 characters it held). Assessment answers change from JSON to
a text column holding a token: on PostgreSQL the type changes, so the encrypted column is
added beside the old one, filled in batches, and takes its place (add, copy, remove,
rename). Both directions work on a populated table."""

from django.db import migrations, models

import awda.common.fields
from awda.common.fields import copy_column, decrypt_text_in_place, encrypt_text_in_place

TEXTS = [
    ("CaseNote", "text"),
    ("CaseEvent", "comment"),
    ("ServiceRecord", "note"),
    ("Referral", "reason"),
    ("Referral", "consent_note"),
    ("Referral", "response_note"),
]


def encrypt_texts(apps, schema_editor):
    for model, name in TEXTS:
        encrypt_text_in_place(apps.get_model("cases", model), name)


def decrypt_texts(apps, schema_editor):
    for model, name in TEXTS:
        decrypt_text_in_place(apps.get_model("cases", model), name)


def encrypt_answers(apps, schema_editor):
    copy_column(apps.get_model("cases", "Assessment"), "answers", "answers_encrypted")


def decrypt_answers(apps, schema_editor):
    copy_column(apps.get_model("cases", "Assessment"), "answers_encrypted", "answers")


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0011_encrypted_attachments"),
    ]

    operations = [
        migrations.AlterField(
            model_name="servicerecord",
            name="note",
            field=models.TextField(blank=True, verbose_name="note"),
        ),
        migrations.RunPython(encrypt_texts, decrypt_texts, elidable=False),
        migrations.AlterField(
            model_name="casenote",
            name="text",
            field=awda.common.fields.EncryptedTextField(verbose_name="note"),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="comment",
            field=awda.common.fields.EncryptedTextField(blank=True),
        ),
        migrations.AlterField(
            model_name="servicerecord",
            name="note",
            field=awda.common.fields.EncryptedTextField(blank=True, verbose_name="note"),
        ),
        migrations.AlterField(
            model_name="referral",
            name="reason",
            field=awda.common.fields.EncryptedTextField(blank=True, verbose_name="reason"),
        ),
        migrations.AlterField(
            model_name="referral",
            name="consent_note",
            field=awda.common.fields.EncryptedTextField(
                blank=True,
                verbose_name="who consented, or why a supervisor decided without consent",
            ),
        ),
        migrations.AlterField(
            model_name="referral",
            name="response_note",
            field=awda.common.fields.EncryptedTextField(blank=True, verbose_name="note"),
        ),
        # answers: nullable first, so that going back can add the clear column to a filled
        # table; then add, copy, remove, rename
        migrations.AlterField(
            model_name="assessment", name="answers", field=models.JSONField(null=True)
        ),
        migrations.AddField(
            model_name="assessment",
            name="answers_encrypted",
            field=awda.common.fields.EncryptedJSONField(null=True),
        ),
        migrations.RunPython(encrypt_answers, decrypt_answers, elidable=False),
        migrations.RemoveField(model_name="assessment", name="answers"),
        migrations.RenameField(
            model_name="assessment", old_name="answers_encrypted", new_name="answers"
        ),
        migrations.AlterField(
            model_name="assessment",
            name="answers",
            field=awda.common.fields.EncryptedJSONField(),
        ),
    ]
