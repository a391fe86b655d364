"""Referrals record consent (or a supervisor's decision without it), may name a case, and
end when completed or revoked."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

BEFORE = "Recorded before Awda asked for consent on referrals."


def mark_earlier(apps, schema_editor):
    apps.get_model("cases", "Referral").objects.filter(consent_note="").update(consent_note=BEFORE)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0004_cases_and_their_events"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="referral",
            name="case",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="referrals",
                to="cases.case",
            ),
        ),
        migrations.AddField(
            model_name="referral",
            name="consent",
            field=models.CharField(
                choices=[
                    ("given", "The person (or caregiver) consented"),
                    ("override", "A supervisor decided without consent"),
                ],
                default="override",
                max_length=10,
                verbose_name="consent",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="referral",
            name="consent_note",
            field=models.TextField(
                blank=True, verbose_name="who consented, or why a supervisor decided without consent"
            ),
        ),
        migrations.AddField(
            model_name="referral",
            name="ended_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.AddField(
            model_name="referral",
            name="ended_by",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(mark_earlier, migrations.RunPython.noop),
    ]
