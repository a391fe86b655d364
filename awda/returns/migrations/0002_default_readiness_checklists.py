"""The readiness checklists Awda starts with; administrators change them afterwards."""

from django.db import migrations

from awda.returns.checklists import load_default_checklists


def add(apps, schema_editor):
    load_default_checklists(apps.get_model("returns", "ChecklistItem"))


def remove(apps, schema_editor):
    ChecklistItem = apps.get_model("returns", "ChecklistItem")
    ChecklistTick = apps.get_model("returns", "ChecklistTick")
    unused = ChecklistItem.objects.exclude(
        pk__in=ChecklistTick.objects.values("item_id")
    )
    unused.delete()


class Migration(migrations.Migration):
    dependencies = [("returns", "0001_intentions_readiness_movements")]
    operations = [migrations.RunPython(add, remove)]
