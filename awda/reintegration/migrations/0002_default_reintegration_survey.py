"""The default reintegration survey Awda ships (clearly labelled: not IOM's official
instrument), read from reintegration/instruments/default_v1.json; skipped where its code
and version are already loaded. Undone only while no survey was recorded with it."""

from django.db import migrations


def load(apps, schema_editor):
    from awda.reintegration.instruments import load_default_instrument

    load_default_instrument(apps.get_model("reintegration", "SurveyInstrument"))


def unload(apps, schema_editor):
    from awda.reintegration.instruments import default_definition

    SurveyInstrument = apps.get_model("reintegration", "SurveyInstrument")
    Survey = apps.get_model("reintegration", "Survey")
    definition = default_definition()
    SurveyInstrument.objects.filter(
        code=definition["code"], version=definition["version"], is_default=True
    ).exclude(pk__in=Survey.objects.values("instrument_id")).delete()


class Migration(migrations.Migration):
    dependencies = [("reintegration", "0001_follow_ups_and_surveys")]
    operations = [migrations.RunPython(load, unload)]
