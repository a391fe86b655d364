"""A version number on readiness items and centre stays, raised by every change: a change
made on an older version is refused instead of overwriting someone else's."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("returns", "0004_encrypt_intention_reasons_override_reasons_and_tick_notes"),
    ]

    operations = [
        migrations.AddField(
            model_name="centrestay",
            name="version",
            field=models.PositiveIntegerField(default=1),
        ),
        migrations.AddField(
            model_name="checklistitem",
            name="version",
            field=models.PositiveIntegerField(default=1),
        ),
    ]
