"""The four assessment forms Awda ships with, as version 1 (skipped where a form of the
same slug exists)."""

from django.db import migrations


def load(apps, schema_editor):
    from awda.cases.default_forms import load_default_forms

    load_default_forms(apps.get_model("cases", "FormDefinition"), apps.get_model("cases", "FormVersion"))


def unload(apps, schema_editor):
    from awda.cases.default_forms import DEFAULT_FORMS

    FormDefinition = apps.get_model("cases", "FormDefinition")
    FormVersion = apps.get_model("cases", "FormVersion")
    slugs = [slug for slug, *_rest in DEFAULT_FORMS]
    FormVersion.objects.filter(form__slug__in=slugs, number=1).delete()
    FormDefinition.objects.filter(slug__in=slugs, versions__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0008_assessment_forms")]
    operations = [migrations.RunPython(load, unload)]
