"""The shipped "informed consent to return" item is read from the consent records
(awda.consent, purpose "return") instead of being ticked by hand."""

from django.db import migrations, models


def read_consent_records(apps, schema_editor):
    ChecklistItem = apps.get_model("returns", "ChecklistItem")
    ChecklistItem.objects.filter(code="consent", rule="manual").update(rule="consent")


def tick_again(apps, schema_editor):
    ChecklistItem = apps.get_model("returns", "ChecklistItem")
    ChecklistItem.objects.filter(code="consent", rule="consent").update(rule="manual")


class Migration(migrations.Migration):
    dependencies = [
        ("returns", "0002_default_readiness_checklists"),
        ("consent", "0001_consent_and_legal_basis"),
    ]

    operations = [
        migrations.AlterField(
            model_name="checklistitem",
            name="rule",
            field=models.CharField(
                choices=[
                    ("manual", "Ticked by a caseworker"),
                    ("destination", "Destination chosen"),
                    ("sponsor", "Sponsor agreed"),
                    ("acceptance", "Destination community accepting"),
                    ("documents", "Every member holds an identity document"),
                    ("clearance", "Authorities' clearance recorded"),
                    ("consent", "Consent to return recorded for the head of household"),
                ],
                max_length=20,
                verbose_name="checked by",
            ),
        ),
        migrations.RunPython(read_consent_records, tick_again),
    ]
