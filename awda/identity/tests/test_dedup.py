"""Batch duplicate detection: the file contract, its errors, and what it finds."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from awda.identity.dedup import (
    InputError,
    Keys,
    cluster,
    compatible,
    find_duplicates,
    read_registrations,
)

HEADER = "unique_id,first_name,father_name,grandfather_name,family_name,sex,dob,camp,block,governorate,agency\n"


def _rows(text: str):
    path = Path("/dev/null")
    del path
    reader = csv.DictReader(io.StringIO(text))
    return [(n, dict(r)) for n, r in enumerate(reader, start=2)]


def _registry() -> str:
    """A family of four and other families, with three people registered again: one with
    Arabic spelling variants, one in Latin script, one with the grandfather dropped and
    only the year of birth. The children share father, grandfather and family name."""
    people = [
        ("1", "خالد", "أحمد", "محمود", "الجبوري", "M", "1980-03-14"),
        ("2", "فاطمة", "علي", "حسن", "العبيدي", "F", "1984-07-02"),
        ("3", "عمر", "خالد", "أحمد", "الجبوري", "M", "2008-01-20"),
        ("4", "عائشة", "خالد", "أحمد", "الجبوري", "F", "2010-11-05"),
        ("5", "يوسف", "خالد", "أحمد", "الجبوري", "M", "2013-05-30"),
        ("6", "مريم", "خالد", "أحمد", "الجبوري", "F", "2016-09-12"),
        ("7", "إبراهيم", "عبد الله", "سالم", "الدليمي", "M", "1975-12-01"),
        ("8", "زينب", "حسين", "علي", "الشمري", "F", "1990-04-23"),
        ("9", "محمد", "يوسف", "إبراهيم", "العكيدي", "M", "2001-06-15"),
        ("10", "محمود", "يوسف", "إبراهيم", "العكيدي", "M", "2003-02-11"),
        # registered again
        ("11", "فاطمه", "علي", "حسن", "عبيدي", "F", "1984-02-07"),  # ة/ه, article, day-month
        ("12", "Omar", "Khaled", "Ahmad", "Al-Jubouri", "M", "2008-01-20"),  # Latin script
        ("13", "ابرهيم", "عبدالله", "", "الدليمي", "M", "1975"),  # vowel, gf dropped, year
    ]
    lines = [",".join((*p, "camp_1", "b1", "نينوى", "agency_a")) for p in people]
    return HEADER + "\n".join(lines) + "\n"


def test_it_finds_the_same_people_across_spellings_scripts_and_dates(db):
    clusters = find_duplicates(_rows(_registry())).clusters
    assert clusters["11"] == clusters["2"]
    assert clusters["12"] == clusters["3"]
    assert clusters["13"] == clusters["7"]


def test_siblings_and_names_a_long_vowel_apart_stay_apart(db):
    clusters = find_duplicates(_rows(_registry())).clusters
    children = {clusters[uid] for uid in ("3", "4", "5", "6")}
    assert len(children) == 4
    assert clusters["9"] != clusters["10"]  # محمد and محمود, brothers
    people = set(clusters.values())
    assert len(people) == 10


def test_the_command_writes_a_cluster_for_every_row(tmp_path, db):
    source = tmp_path / "in.csv"
    source.write_text(_registry(), encoding="utf-8")
    output = tmp_path / "out.csv"
    out = io.StringIO()
    call_command("dedup-file", str(source), "--output", str(output), stdout=out)
    rows = list(csv.DictReader(output.open(encoding="utf-8")))
    assert [r["unique_id"] for r in rows] == [str(n) for n in range(1, 14)]
    assert "13 registrations, 10 people" in out.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("unique_id,first_name\n1,x\n", "row 1: missing column(s): father_name"),
        (HEADER + "1,a,b,c,d,M,1990-01-01,c,b,g\n", "row 2: 10 cells where the header has 11"),
        (HEADER + "1,a,b,c,d,M,1990-13-01,c,b,g,x\n", "row 2, column dob"),
        (
            HEADER + "1,a,b,c,d,M,1990,c,b,g,x\n1,a,b,c,d,M,1990,c,b,g,x\n",
            "row 3, column unique_id",
        ),
        (HEADER + ",a,b,c,d,M,1990,c,b,g,x\n", "row 2, column unique_id: empty"),
        ("", "row 1: the file is empty"),
    ],
)
def test_bad_input_names_the_row(tmp_path, content, message):
    source = tmp_path / "in.csv"
    source.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        list(read_registrations(source))


def test_a_file_in_another_encoding_is_refused_with_its_row(tmp_path):
    source = tmp_path / "in.csv"
    source.write_bytes((HEADER + "1,خالد,أحمد,,الجبوري,M,1980,c,b,g,x\n").encode("cp1256"))
    with pytest.raises(InputError, match="row 2: the file is not UTF-8"):
        list(read_registrations(source))
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("dedup-file", str(source), "--output", str(tmp_path / "o.csv"))


def _keys(fn="KLD", year=1980, month=3, day=14, gf="MHMD", fam="JBR", script="ar"):
    return Keys(fn, fn, gf, fam, script, year, month, day)


def test_clustering_refuses_to_chain_people_who_cannot_be_one():
    vague = _keys(month=None, day=None)  # a year of birth only
    first, second = _keys(month=3, day=14), _keys(month=9, day=2)
    assert compatible(vague, first) and compatible(vague, second)
    assert not compatible(first, second)
    keys = {"v": vague, "a": first, "b": second}
    groups = cluster([("v", "a", 9.0), ("v", "b", 8.0)], keys)
    assert groups["v"] == groups["a"] and groups.get("b", "b") != groups["a"]
    assert not compatible(_keys(gf="SLM"), _keys(gf="HSN"))
    assert compatible(_keys(gf="SLM", fam="JBR"), _keys(gf="JBR", fam="SLM"))
