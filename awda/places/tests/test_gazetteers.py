from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from awda.places.models import Place
from awda.places.services import load_built_in, load_gazetteer

OCHA = """\
admin1Name_en,admin1Name_ar,admin1Pcode,admin2Name_en,admin2Name_ar,admin2Pcode,admin3Name_en,admin3Name_ar,admin3Pcode,lat,lon
#adm1+name+i_en,#adm1+name+i_ar,#adm1+code,#adm2+name+i_en,#adm2+name+i_ar,#adm2+code,#adm3+name+i_en,#adm3+name+i_ar,#adm3+code,#geo+lat,#geo+lon
Ninewa,نينوى,IQG15,Mosul,الموصل,IQG15Q05,Hamam al-Alil,حمام العليل,IQG15Q05N99,36.16,43.26
"""


@pytest.mark.django_db
def test_the_shipped_gazetteers_are_loaded_with_their_hierarchy():
    assert Place.objects.filter(kind="governorate", country="SY").count() == 14
    assert Place.objects.filter(kind="governorate", country="IQ").count() == 18
    assert Place.objects.filter(kind="subdistrict").count() == 272 + 294
    hol = Place.objects.get(pcode="SY080006")
    assert (hol.name_ar, hol.parent.pcode, hol.governorate.pcode) == ("الهول", "SY0800", "SY08")
    camp = Place.objects.get(pcode="SY080006-HOL")
    assert camp.kind == "camp" and camp.parent == hol and camp.governorate.pcode == "SY08"
    block = Place.objects.get(pcode="SY080006-HOL-P3-B02")
    assert block.parent.parent == camp and block.level == 6


@pytest.mark.django_db
def test_loading_again_changes_nothing():
    reports = load_built_in()
    assert all(r.ok and r.created == 0 and r.updated == 0 for r in reports)
    assert sum(r.unchanged for r in reports) == 348 + 413 + 97


@pytest.mark.django_db
def test_an_ocha_gazetteer_with_an_hxl_row_loads_and_updates_names():
    report = load_gazetteer(OCHA, source="ocha.csv")
    assert report.ok, report.problems
    assert (report.created, report.rows) == (1, 1)
    new = Place.objects.get(pcode="IQG15Q05N99")
    assert new.parent.pcode == "IQG15Q05" and new.kind == "subdistrict" and new.country == "IQ"
    assert str(new.lat) == "36.16000"
    changed = OCHA.replace("Hamam al-Alil,حمام العليل", "Hammam al-Alil,حمام العليل")
    again = load_gazetteer(changed, source="ocha.csv")
    assert again.updated == 1
    assert Place.objects.get(pcode="IQG15Q05N99").name_en == "Hammam al-Alil"


@pytest.mark.django_db
def test_a_bad_row_is_reported_by_row_and_column_and_nothing_is_loaded():
    bad = OCHA + "Ninewa,نينوى,IQG15,Mosul,الموصل,,Rabia,ربيعة,IQG15Q05N98,,\n"
    bad += "Ninewa,نينوى,IQG15,Mosul,الموصل,IQG15Q05,Tal Abta,تل عبطة,IQG15Q05N97,95,43\n"
    report = load_gazetteer(bad, source="bad.csv")
    assert not report.ok
    messages = [str(p) for p in report.problems]
    assert "Row 4 Not Processed: adm2+code blank" in messages
    assert any(m.startswith("Row 5 Not Processed: geo+lat") for m in messages)
    assert not Place.objects.filter(pcode="IQG15Q05N99").exists()


@pytest.mark.django_db
def test_an_awda_format_row_with_an_unknown_parent_is_refused():
    text = "pcode,level,name_ar,name_en,parent_pcode,lat,lon\nSY999901,3,قرية,Village,SY9999,,\n"
    report = load_gazetteer(text, source="x.csv")
    assert [str(p) for p in report.problems] == [
        "Row 2 Not Processed: parent_pcode SY9999 is not a known place"
    ]


@pytest.mark.django_db
def test_an_unknown_format_says_what_it_expected():
    report = load_gazetteer("a,b\n1,2\n", source="x.csv")
    assert "unknown format" in str(report.problems[0])


@pytest.mark.django_db
def test_the_command_prints_the_report_and_fails_on_problems(tmp_path: Path):
    good = tmp_path / "ocha.csv"
    good.write_text(OCHA, encoding="utf-8")
    out = io.StringIO()
    call_command("load_places", str(good), stdout=out)
    assert "1 rows, 1 created" in out.getvalue()
    bad = tmp_path / "bad.csv"
    bad.write_text(OCHA.replace("IQG15Q05N99", ""), encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("load_places", str(bad), stdout=io.StringIO(), stderr=err)
    assert "Row 3 Not Processed" in err.getvalue()
