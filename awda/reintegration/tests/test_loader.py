"""Loading instruments: the shipped default from the data migration, another one from a
file (command line or page), all or nothing, never overwriting a loaded version."""

from __future__ import annotations

import copy
import json
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import translation

from awda.audit.models import AuditEntry
from awda.conftest import logged_in
from awda.reintegration.instruments import load_default_instrument
from awda.reintegration.models import SurveyInstrument
from awda.reintegration.selectors import instruments_in_use
from awda.reintegration.tests.conftest import TINY


def _file(tmp_path, data, name="survey.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def _load(*args):
    out, err = StringIO(), StringIO()
    with translation.override("en"):
        call_command("load_survey", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_the_migration_loaded_the_default_once_and_labelled_it(default_instrument):
    assert default_instrument.is_default and default_instrument.is_active
    assert default_instrument.name_en.endswith("(Awda default, not IOM's official instrument)")
    load_default_instrument(SurveyInstrument)  # idempotent
    assert SurveyInstrument.objects.filter(code="awda-default").count() == 1
    assert instruments_in_use() == [default_instrument]


@pytest.mark.django_db
def test_a_good_file_loads_inactive_unless_asked(tmp_path, default_instrument):
    out, _err = _load(_file(tmp_path, TINY))
    assert "loaded tiny version 1 (5 questions), not in use yet" in out
    loaded = SurveyInstrument.objects.get(code="tiny")
    assert not loaded.is_active and not loaded.is_default and loaded.definition == TINY
    assert instruments_in_use() == [default_instrument]
    out, _err = _load(_file(tmp_path, {**TINY, "version": 2}), "--activate")
    assert "loaded tiny version 2 (5 questions), in use" in out
    # the programme's own instrument is offered before the shipped default
    assert [(i.code, i.version) for i in instruments_in_use()] == [
        ("tiny", 2),
        ("awda-default", 1),
    ]
    assert (
        AuditEntry.objects.filter(
            action="import", object_type="reintegration.surveyinstrument"
        ).count()
        == 2
    )


@pytest.mark.django_db
def test_a_bad_file_lists_its_problems_and_loads_nothing(tmp_path):
    bad = copy.deepcopy(TINY)
    bad["questions"][3]["choices"][1]["score"] = 1.5
    bad["questions"][0]["dimension"] = "civic"
    with pytest.raises(CommandError, match="nothing loaded; 2 problem"):
        _load(_file(tmp_path, bad))
    _out, err = StringIO(), StringIO()
    with translation.override("en"), pytest.raises(CommandError):
        call_command("load_survey", _file(tmp_path, bad), stderr=err)
    assert "questions[3].choices[1].score: 1.5 is outside 0-1." in err.getvalue()
    assert 'questions[0].dimension: "civic" is not one of' in err.getvalue()
    assert not SurveyInstrument.objects.filter(code="tiny").exists()


@pytest.mark.django_db
def test_a_file_that_is_not_json_or_missing_is_refused(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(CommandError):
        _load(str(path))
    with pytest.raises(CommandError, match="no such file"):
        _load(str(tmp_path / "absent.json"))


@pytest.mark.django_db
def test_the_same_code_and_version_is_never_overwritten(tmp_path, default_instrument):
    err = StringIO()
    changed = {**json.loads(json.dumps(TINY)), "code": "awda-default", "name_en": "Replaced"}
    with translation.override("en"), pytest.raises(CommandError):
        call_command("load_survey", _file(tmp_path, changed), stderr=err)
    assert "awda-default version 1 is already loaded" in err.getvalue()
    default_instrument.refresh_from_db()
    assert (
        default_instrument.name_en != "Replaced"
        and len(default_instrument.definition["questions"]) == 15
    )


# -- the page ----------------------------------------------------------------------------


def _upload(data, name="survey.json"):
    return SimpleUploadedFile(name, json.dumps(data).encode(), content_type="application/json")


@pytest.mark.django_db
def test_an_administrator_loads_and_activates_an_instrument_on_the_page(administrator):
    client = logged_in(administrator)
    response = client.post(
        "/reintegration/instruments/", {"file": _upload(TINY), "activate": "on"}, follow=True
    )
    assert response.status_code == 200
    loaded = SurveyInstrument.objects.get(code="tiny")
    assert loaded.is_active and loaded.loaded_by == administrator
    page = response.content.decode()
    assert "A tiny test instrument" in page or "أداة صغيرة للاختبار" in page
    client.post(f"/reintegration/instruments/{loaded.pk}/active/", {"active": "0"})
    loaded.refresh_from_db()
    assert not loaded.is_active


@pytest.mark.django_db
def test_the_page_lists_every_problem_of_a_bad_upload(administrator):
    bad = copy.deepcopy(TINY)
    bad["questions"][3]["choices"][1]["score"] = 1.5
    client = logged_in(administrator)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.post("/reintegration/instruments/", {"file": _upload(bad)}, follow=True)
    assert "questions[3].choices[1].score: 1.5 is outside 0-1." in page.content.decode()
    assert not SurveyInstrument.objects.filter(code="tiny").exists()


@pytest.mark.django_db
def test_only_administrators_load_or_switch_instruments(
    caseworker, liaison, donor, default_instrument
):
    reader = logged_in(caseworker)
    assert reader.get("/reintegration/instruments/").status_code == 200
    assert reader.post("/reintegration/instruments/", {"file": _upload(TINY)}).status_code == 403
    switched = reader.post(
        f"/reintegration/instruments/{default_instrument.pk}/active/", {"active": "0"}
    )
    assert switched.status_code == 403
    for user in (liaison, donor):
        assert logged_in(user).get("/reintegration/instruments/").status_code == 403
    assert not SurveyInstrument.objects.filter(code="tiny").exists()
    default_instrument.refresh_from_db()
    assert default_instrument.is_active
