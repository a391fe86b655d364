"""The import of registration lists: the check (dry run), the commit, idempotency, the
rollback, the pages and the command line."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import translation
from openpyxl import Workbook, load_workbook

from awda.accounts.models import User
from awda.audit.models import AuditEntry
from awda.conftest import head, logged_in, make_user, register
from awda.imports import services
from awda.imports.columns import COLUMNS
from awda.imports.models import ImportBatch, ImportedSubmission, ImportTemplate
from awda.registry.models import Household, Person

pytestmark = pytest.mark.django_db

ARABIC_HEADERS = [
    "رقم العائلة", "الاسم الأول", "اسم الأب", "اسم الجد", "الكنية", "الجنس", "تاريخ الميلاد",
    "صلة القرابة", "المخيم", "القطاع", "البلوك", "الخيمة", "المحافظة", "الجنسية",
]  # fmt: skip


def messy_rows() -> list[list[Any]]:
    return [
        ARABIC_HEADERS,
        ["T-1", "أحمد", "محمد", "علي", "الحسن", "ذكر", "15/03/1985", "رب الأسرة", "مخيم الهول",
         "القطاع الثالث", "2", "14", "دير الزور", "سوري"],
        ["T-1", "فاطمة", "خالد", "", "العبدالله", "أنثى", "١٩٩٠", "زوجة", "مخيم الهول",
         "القطاع الثالث", "2", "14", "دير الزور", "سورية"],
        ["T-1", "سارة", "أحمد", "محمد", "الحسن", "انثى", "31/02/2015", "ابنة", "مخيم الهول",
         "القطاع الثالث", "2", "14", "دير الزور", "سوري"],
        ["T-2", "=HYPERLINK(\"http://x\")", "حسن", "", "الجاسم", "ذكر", "1970", "رب الأسرة",
         "الهول", "3", "5", "", "ديرالزور", "عراقي"],
        ["T-3", "\u202eعلي", "حسن", "", "الجاسم", "م", "1970", "رب الأسرة", "روج", "", "", "",
         "نينوى", "عراقي"],
        ["T-4", "خديجة", "عمر", "", "الشمري", "أنثى", "2090-01-01", "رب الأسرة", "الهول", "",
         "", "", "حلب", "سوري"],
    ]  # fmt: skip


def xlsx(path: Path, rows: list[list[Any]]) -> Path:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def csv_file(path: Path, rows: list[list[Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        csv.writer(handle).writerows(rows)
    return path


def canonical(reference: str, **overrides: str) -> dict[str, str]:
    row = dict.fromkeys(COLUMNS, "")
    row.update(
        household_reference=reference,
        camp="SY080006-HOL",
        camp_section="SY080006-HOL-P3",
        camp_block="SY080006-HOL-P3-B02",
        tent="9",
        origin="SY09",
        household_nationality="SY",
        relationship="head",
        first_name_ar="زكريا",
        father_name_ar="منصور",
        family_name_ar="القطاوي",
        sex="M",
        date_of_birth="1979-04-02",
        dob_precision="exact",
        nationality="SY",
        documents="national_id:held;family_booklet:missing",
    )
    row.update(overrides)
    return row


def canonical_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def registrar(org_a: Any) -> User:
    return make_user("registrar-a", org_a, "registrar")


def dry_run(path: Path, *args: str) -> tuple[int, list[str]]:
    out = io.StringIO()
    with translation.override("en"):
        try:
            call_command("import", str(path), "--dry-run", *args, stdout=out, stderr=io.StringIO())
        except SystemExit as exit_:
            return int(exit_.code or 0), out.getvalue().splitlines()
    return 0, out.getvalue().splitlines()


def test_a_messy_arabic_excel_list_gives_every_problem_by_row_and_writes_nothing(
    tmp_path: Path, org_a: Any
) -> None:
    path = xlsx(tmp_path / "list.xlsx", messy_rows())
    before = (Household.objects.count(), Person.objects.count(), AuditEntry.objects.count())
    code, lines = dry_run(path, "--org", org_a.slug)
    assert code == 1
    assert all(line.startswith("row ") for line in lines), lines
    text = "\n".join(lines)
    assert "row 4: تاريخ الميلاد: no such date [31/02/2015]" in text
    assert "row 5: الاسم الأول: looks like a spreadsheet formula" in text
    # The misspelt governorate gets its P-code as a suggestion.
    assert "row 5: المحافظة: no place of this name in the gazetteer [ديرالزور]" in text
    assert "did you mean SY09" in text
    assert "row 6: الاسم الأول: invisible control characters" in text
    assert "row 6: الجنس: not understood [م]" in text
    assert "row 7: تاريخ الميلاد: in the future [2090-01-01]" in text
    # Rows 2 and 3 are right: Arabic-Indic digits, "سورية", "القطاع الثالث" and block "2".
    assert not [line for line in lines if line.startswith(("row 2:", "row 3:"))]
    after = (Household.objects.count(), Person.objects.count(), AuditEntry.objects.count())
    assert after == before


def test_the_check_reads_places_dates_and_names_as_the_registry_does(
    tmp_path: Path, org_a: Any
) -> None:
    rows = messy_rows()[:3]
    _source, _kind, _used, checked = services.check_file(
        xlsx(tmp_path / "l.xlsx", rows), by=None, organisation=org_a
    )
    assert not services.all_problems(checked)
    [item] = checked.items
    household = item.data["household"]
    from awda.places.models import Place

    assert Place.objects.get(pk=household["camp_block"]).pcode == "SY080006-HOL-P3-B02"
    assert Place.objects.get(pk=household["origin"]).pcode == "SY09"
    assert household["nationality"] == "SY"
    head_, wife = item.data["members"]
    assert (head_["date_of_birth"], head_["dob_precision"]) == ("1985-03-15", "exact")
    assert (wife["date_of_birth"], wife["dob_precision"]) == ("1990-07-01", "year")
    assert (head_["relationship"], wife["relationship"], wife["sex"]) == ("head", "spouse", "F")


def test_commit_is_all_or_nothing_idempotent_and_undone_as_a_whole(
    tmp_path: Path, org_a: Any, registrar: User
) -> None:
    path = canonical_csv(
        tmp_path / "l.csv",
        [
            canonical("IMP-1"),
            canonical(
                "IMP-1",
                relationship="child",
                first_name_ar="نورة",
                father_name_ar="زكريا",
                sex="F",
                date_of_birth="2012",
                dob_precision="year",
                documents="",
                needs="SC",
            ),
            canonical(
                "IMP-2",
                first_name_ar="",
                father_name_ar="",
                family_name_ar="",
                first_name_lat="Yusra",
                father_name_lat="Hamid",
                family_name_lat="Obeidi",
                sex="F",
                household_nationality="IQ",
                nationality="IQ",
                origin="",
            ),
        ],
    )
    assert dry_run(path, "--org", org_a.slug) == (0, [])
    call_command(
        "import", str(path), "--org", org_a.slug, "--user", registrar.username, stderr=io.StringIO()
    )
    imported = Household.objects.get(organisation=org_a, reference="IMP-1")
    child_ = imported.members.get(first_name_ar="نورة")
    assert child_.dob_precision == "year" and str(child_.date_of_birth)[:4] == "2012"
    assert list(child_.needs.values_list("code", flat=True)) == ["SC"]
    assert Person.objects.filter(organisation=org_a).count() == 3
    batch = ImportBatch.objects.get(status=ImportBatch.Status.COMMITTED)
    assert batch.created_by == registrar
    # Importing it again changes nothing.
    people = Person.objects.count()
    call_command("import", str(path), "--org", org_a.slug, stderr=io.StringIO())
    assert Person.objects.count() == people
    assert ImportBatch.objects.count() == 1
    # Undone as a whole; then it can be imported again.
    services.batch_rollback(by=registrar, batch=batch)
    assert not Household.objects.filter(reference__in=["IMP-1", "IMP-2"]).exists()
    assert not ImportedSubmission.objects.exists()
    call_command("audit", "verify", stdout=io.StringIO())


def test_an_import_edited_since_cannot_be_undone(
    tmp_path: Path, org_a: Any, registrar: User
) -> None:
    path = canonical_csv(tmp_path / "l.csv", [canonical("IMP-9")])
    call_command("import", str(path), "--org", org_a.slug, stderr=io.StringIO())
    batch = ImportBatch.objects.get()
    Household.objects.filter(reference="IMP-9").update(version=2)
    with pytest.raises(ValidationError, match="IMP-9"):
        services.batch_rollback(by=registrar, batch=batch)
    assert Household.objects.filter(reference="IMP-9").exists()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.COMMITTED


def test_a_file_with_problems_is_refused_unless_bad_rows_are_skipped(
    tmp_path: Path, org_a: Any
) -> None:
    path = canonical_csv(
        tmp_path / "l.csv", [canonical("OK-1"), canonical("BAD-1", date_of_birth="1990-13-45")]
    )
    with pytest.raises(SystemExit) as exit_:
        call_command(
            "import", str(path), "--org", org_a.slug, stdout=io.StringIO(), stderr=io.StringIO()
        )
    assert exit_.value.code == 1
    assert not Household.objects.filter(reference__in=["OK-1", "BAD-1"]).exists()
    call_command(
        "import",
        str(path),
        "--org",
        org_a.slug,
        "--skip-bad-rows",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    assert list(
        Household.objects.filter(reference__in=["OK-1", "BAD-1"]).values_list(
            "reference", flat=True
        )
    ) == ["OK-1"]


def test_people_already_registered_or_twice_in_the_file_are_flagged(
    tmp_path: Path, org_a: Any, org_b: Any, caseworker: User, other_caseworker: User
) -> None:
    register(caseworker, reference="A-1", members=[head()])
    register(
        other_caseworker,
        reference="B-1",
        members=[head(first_name_ar="مريم", father_name_ar="حسن", family_name_ar="العبيدي")],
    )
    same_as_ours = canonical(
        "NEW-1",
        first_name_ar="فاطمة", father_name_ar="أحمد", grandfather_name_ar="محمود",
        family_name_ar="الجبوري", sex="F", date_of_birth="1990-03-14",
    )  # fmt: skip
    same_as_theirs = canonical(
        "NEW-2",
        first_name_ar="مريم", father_name_ar="حسن", family_name_ar="العبيدي", sex="F",
        date_of_birth="1990-03-14",
    )  # fmt: skip
    twice = canonical(
        "NEW-3", first_name_ar="جميلة", father_name_ar="عمر", family_name_ar="الخلف", sex="F"
    )
    again = dict(twice, household_reference="NEW-4")
    path = canonical_csv(tmp_path / "l.csv", [same_as_ours, same_as_theirs, twice, again])
    code, lines = dry_run(path, "--org", org_a.slug)
    assert code == 1
    text = "\n".join(lines)
    ours = Person.objects.get(household__reference="A-1")
    assert f"row 2: looks like a person already registered: #{ours.pk}" in text
    # Another organisation's person is named by its organisation only.
    assert f"row 3: looks like a person registered by {org_b.slug}" in text
    assert "row 5: looks like the person in row 4" in text
    assert "مريم" not in text


def test_the_pages_check_show_problems_take_decisions_and_commit(
    tmp_path: Path, org_a: Any, org_b: Any, registrar: User, caseworker: User, settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:  # fmt: skip
    settings.AWDA_TASKS = "inline"
    settings.AWDA_VAR_DIR = str(tmp_path)
    settings.VAR_DIR = tmp_path
    register(caseworker, reference="A-1", members=[head()])
    rows = [
        canonical("P-1"),
        canonical(
            "P-2",
            first_name_ar="فاطمة", father_name_ar="أحمد", grandfather_name_ar="محمود",
            family_name_ar="الجبوري", sex="F", date_of_birth="1990-03-14",
        ),
    ]  # fmt: skip
    content = canonical_csv(tmp_path / "l.csv", rows).read_bytes()
    client = logged_in(registrar)
    upload = io.BytesIO(content)
    upload.name = "agency list.csv"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/imports/", {"file": upload})
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.CHECKED
    assert batch.problem_count == 1 and batch.problems[0]["code"] == "duplicate"
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert "agency list.csv" in page and "P-1" not in page  # problems only, not the list
    report = load_workbook(io.BytesIO(client.get(f"/imports/{batch.pk}/report.xlsx").content))
    assert next(c.value for c in next(report.worksheets[0].iter_rows(min_row=2, max_row=2))) == 3
    # Committing everything is refused while a row is undecided.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{batch.pk}/commit/")
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.CHECKED and batch.error
    assert not Household.objects.filter(reference="P-1").exists()
    # The registrar checked: row 3 is someone else.
    client.post(f"/imports/{batch.pk}/decide/", {"shown": ["3"], "row": ["3"]})
    batch.refresh_from_db()
    assert batch.import_anyway == [3]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{batch.pk}/commit/")
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.COMMITTED
    assert Household.objects.filter(reference__in=["P-1", "P-2"]).count() == 2
    assert not list(Path(tmp_path, "imports").glob(f"{batch.pk}.*"))  # the file is not kept
    # Another organisation cannot see it.
    outsider = logged_in(make_user("reg-b", org_b, "registrar"))
    assert outsider.get(f"/imports/{batch.pk}/").status_code == 404


def test_a_saved_column_mapping_is_used_for_the_next_list(
    tmp_path: Path, org_a: Any, registrar: User, settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:  # fmt: skip
    settings.AWDA_TASKS = "inline"
    settings.VAR_DIR = tmp_path
    rows = [
        ["hh", "nm", "dad", "fam", "gen", "yob", "role", "site", "gov", "nat"],
        ["Z-1", "أحمد", "محمد", "الحسن", "M", "1980", "head", "al-Hol", "SY09", "SY"],
    ]
    client = logged_in(registrar)
    upload = io.BytesIO(xlsx(tmp_path / "z.xlsx", rows).read_bytes())
    upload.name = "z.xlsx"
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/imports/", {"file": upload})
    batch = ImportBatch.objects.get()
    assert batch.problems and batch.problems[0]["row"] == 1  # no column for the name, ...
    fields = ["household_reference", "first_name", "father_name", "family_name", "sex",
              "date_of_birth", "relationship", "camp", "origin_governorate", "nationality"]  # fmt: skip
    mapping = {f"map-{i}": field for i, field in enumerate(fields)}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{batch.pk}/mapping/", {**mapping, "save_as": "agency Z"})
    batch.refresh_from_db()
    assert batch.problem_count == 0, batch.problems
    template = ImportTemplate.objects.get(name="agency Z")
    assert template.mapping["nm"] == "first_name"
    code, lines = dry_run(tmp_path / "z.xlsx", "--org", org_a.slug, "--template", "agency Z")
    assert (code, lines) == (0, [])


def kobo_form(path: Path) -> Path:
    book = Workbook()
    survey = book.active
    survey.title = "survey"
    for row in [
        ["type", "name", "label::Arabic (ar)"],
        ["begin_group", "hh", "الأسرة"],
        ["select_one camp", "camp", "المخيم"],
        ["text", "household_nationality", "الجنسية"],
        ["end_group", "", ""],
        ["begin_repeat", "members", "الأفراد"],
        ["text", "first_name_ar", "الاسم"],
        ["text", "family_name_ar", "الكنية"],
        ["select_one sex", "sex", "الجنس"],
        ["date", "date_of_birth", "تاريخ الميلاد"],
        ["select_one rel", "relationship", "الصلة"],
        ["end_repeat", "", ""],
    ]:
        survey.append(row)
    settings_ = book.create_sheet("settings")
    settings_.append(["form_id", "form_title"])
    settings_.append(["awda_registration", "Registration"])
    book.save(path)
    return path


def kobo_json(path: Path, uuid: str = "5e1a2b3c-0000-4000-8000-000000000001") -> Path:
    submission = {
        "_id": 1,
        "_uuid": uuid,
        "_xform_id_string": "awda_registration",
        "hh/camp": "SY080006-HOL",
        "hh/household_nationality": "IQ",
        "members": [
            {"members/first_name_ar": "سلمى", "members/family_name_ar": "الدليمي",
             "members/sex": "F", "members/date_of_birth": "1985-02-01", "members/relationship": "head"},
            {"members/first_name_ar": "يوسف", "members/family_name_ar": "الدليمي",
             "members/sex": "M", "members/date_of_birth": "2015-06-01", "members/relationship": "child"},
        ],
    }  # fmt: skip
    path.write_text(json.dumps({"count": 1, "results": [submission]}), encoding="utf-8")
    return path


def test_a_kobo_export_comes_in_once_whatever_the_number_of_times(
    tmp_path: Path, org_a: Any
) -> None:
    data, form = kobo_json(tmp_path / "k.json"), kobo_form(tmp_path / "form.xlsx")
    assert dry_run(data, "--org", org_a.slug, "--form", str(form)) == (0, [])
    for _round in range(2):
        call_command(
            "import", str(data), "--org", org_a.slug, "--form", str(form), stderr=io.StringIO()
        )
    household = Household.objects.get(organisation=org_a, members__first_name_ar="سلمى")
    assert household.members.count() == 2 and household.nationality == "IQ"
    assert ImportedSubmission.objects.get().submission_id == "5e1a2b3c-0000-4000-8000-000000000001"


def test_an_odk_zip_with_a_members_repeat_is_imported(tmp_path: Path, org_a: Any) -> None:
    path = tmp_path / "awda_registration.zip"
    main = "SubmissionDate,hh-camp,hh-household_nationality,meta-instanceID,KEY\n"
    main += "2026-11-01,SY080006-HOL,SY,uuid:abc,uuid:abc\n"
    members = "members-first_name_ar,members-family_name_ar,members-sex,members-relationship,PARENT_KEY,KEY\n"
    members += "ليلى,الخلف,F,head,uuid:abc,uuid:abc/members[1]\n"
    members += "عمر,الخلف,M,child,uuid:abc,uuid:abc/members[2]\n"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("awda_registration.csv", main)
        archive.writestr("awda_registration-members.csv", members)
    assert dry_run(path, "--org", org_a.slug) == (0, [])
    call_command("import", str(path), "--org", org_a.slug, stderr=io.StringIO())
    household = Household.objects.get(organisation=org_a, members__first_name_ar="ليلى")
    assert sorted(household.members.values_list("relationship", flat=True)) == ["child", "head"]


def test_a_kobo_labelled_excel_export_of_the_registration_form_is_read_by_its_labels(
    tmp_path: Path, org_a: Any
) -> None:
    """Kobo's "XLS, labels" export: Arabic question labels as headers, choice labels as
    values, the members in their own sheet joined by `_parent_index`."""
    from awda.collect.xlsform import registration_form
    from awda.places.models import Place

    with translation.override("ar"):
        labels = {q.name: q.label[0] for q in registration_form().questions if q.label[0]}
        sex = {str(label): value for value, label in Person.Sex.choices}
        rel = {str(label): value for value, label in Person.Relationship.choices}
        her_sex = next(k for k, v in sex.items() if v == "F")
        his_sex = next(k for k, v in sex.items() if v == "M")
        head_label = next(k for k, v in rel.items() if v == "head")
        child_label = next(k for k, v in rel.items() if v == "child")
    section = Place.objects.get(pcode="SY080006-HOL-P3")
    book = Workbook()
    main = book.active
    main.title = "Awda registration"
    main.append(
        [labels["camp"], labels["camp_section"], labels["household_nationality"], "_uuid", "_index"]
    )
    main.append(["مخيم الهول", f"{section.name_ar} (مخيم الهول)", "سوريا", "kobo-uuid-0001", 1])
    members = book.create_sheet("members")
    members.append(
        [labels["relationship"], labels["first_name_ar"], labels["family_name_ar"],
         labels["sex"], labels["date_of_birth"], "_parent_index", "_parent_table_name"]
    )  # fmt: skip
    members.append([head_label, "هدى", "الخلف", her_sex, "1980-05-05", 1, "Awda registration"])
    members.append([child_label, "يوسف", "الخلف", his_sex, "2014-01-01", 1, "Awda registration"])
    path = tmp_path / "kobo-labels.xlsx"
    book.save(path)
    code, lines = dry_run(path, "--org", org_a.slug)
    assert (code, lines) == (0, [])
    call_command("import", str(path), "--org", org_a.slug, stderr=io.StringIO())
    household = Household.objects.get(organisation=org_a, members__first_name_ar="هدى")
    assert household.camp_section == section and household.nationality == "SY"
    assert sorted(household.members.values_list("relationship", flat=True)) == ["child", "head"]


def test_a_commit_that_stopped_leaves_the_batch_ready_to_import_again(
    org_a: Any, registrar: User
) -> None:
    import datetime

    from django.utils import timezone

    from awda.common.models import Task

    def batch_with(task_status: str, started: datetime.datetime | None) -> ImportBatch:
        task = Task.objects.create(
            kind="imports.commit", created_by=registrar, status=task_status, started_at=started
        )
        return ImportBatch.objects.create(
            organisation=org_a,
            created_by=registrar,
            file_name="l.csv",
            file_sha256="0" * 64,
            status=ImportBatch.Status.COMMITTING,
            task=task,
        )

    failed = batch_with(Task.Status.FAILED, timezone.now())
    interrupted = batch_with(Task.Status.RUNNING, timezone.now() - datetime.timedelta(hours=4))
    running = batch_with(Task.Status.RUNNING, timezone.now() - datetime.timedelta(minutes=2))
    client = logged_in(registrar)
    for batch in (failed, interrupted, running):
        assert client.get(f"/imports/{batch.pk}/").status_code == 200
        batch.refresh_from_db()
    assert failed.status == interrupted.status == ImportBatch.Status.CHECKED
    assert failed.error and interrupted.error
    assert running.status == ImportBatch.Status.COMMITTING


def test_a_worker_process_knows_the_imports_tasks() -> None:
    """`awda run_tasks` (AWDA_TASKS=worker) imports nothing but the apps: the check and
    the commit must be registered by the app itself."""
    import subprocess
    import sys

    code = (
        "import django; django.setup(); from awda.common import tasks; "
        "print(sorted(k for k in tasks._REGISTRY if k.startswith('imports.')))"
    )
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={
            **__import__("os").environ,
            "DJANGO_SETTINGS_MODULE": "awda.settings",
            "SECRET_KEY": "worker-test-throwaway-not-a-secret-0123456789abcdef",
            "DEBUG": "1",
        },
    )
    assert out.stdout.strip() == "['imports.check', 'imports.commit']"
