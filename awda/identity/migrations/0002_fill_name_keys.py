"""Search keys for the people registered before name search existed."""

from django.db import migrations

BATCH = 2000


def fill(apps, schema_editor):
    from awda.identity.services import name_keys_of

    Person = apps.get_model("registry", "Person")
    NameKey = apps.get_model("identity", "NameKey")
    last = 0
    while True:
        batch = list(Person.objects.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not batch:
            break
        NameKey.objects.bulk_create(
            [NameKey(person_id=p.pk, kind=k, key=v) for p in batch for k, v in name_keys_of(p)],
            ignore_conflicts=True,
        )
        last = batch[-1].pk


def empty(apps, schema_editor):
    apps.get_model("identity", "NameKey").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("identity", "0001_name_keys"), ("registry", "0001_initial")]
    operations = [migrations.RunPython(fill, empty)]
