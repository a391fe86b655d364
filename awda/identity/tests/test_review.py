"""Scan, review, merge and undo: a person decides, every step is audited, and each
organisation sees only its own side."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from awda.audit.models import AuditEntry
from awda.common.models import Task
from awda.conftest import child, head, logged_in, make_user, register
from awda.identity.models import MatchCandidate, Merge
from awda.identity.selectors import person_search_for_user
from awda.registry.models import Person


@pytest.fixture(autouse=True)
def _inline_tasks(settings):
    settings.AWDA_TASKS = "inline"


@pytest.fixture
def twice_registered(caseworker, supervisor):
    """One family registered twice by org A: the mother written with spelling variants
    and her year of birth only; her son missing from the second list."""
    first = register(
        caseworker,
        reference="A-10",
        members=[
            head(
                first_name_ar="خديجة",
                father_name_ar="عبد الله",
                grandfather_name_ar="سالم",
                family_name_ar="العكيدي",
                date_of_birth=datetime.date(1988, 5, 3),
            ),
            child(
                first_name_ar="يوسف",
                father_name_ar="حسين",
                grandfather_name_ar="عبد الله",
                family_name_ar="العكيدي",
            ),
        ],
    )
    second = register(
        caseworker,
        reference="A-11",
        members=[
            head(
                first_name_ar="خديجه",
                father_name_ar="عبدالله",
                grandfather_name_ar="",
                family_name_ar="عكيدي",
                date_of_birth=datetime.date(1988, 7, 1),
                dob_precision="year",
                documents={"national_id": "held"},
                needs={"WR"},
            ),
        ],
    )
    return first, second


def _scan(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/duplicates/")
    return response


@pytest.mark.django_db
def test_a_supervisor_finds_reviews_and_merges_a_duplicate_then_undoes_it(
    supervisor, twice_registered, django_capture_on_commit_callbacks
):
    first, second = twice_registered
    client = logged_in(supervisor)
    response = _scan(client, django_capture_on_commit_callbacks)
    scan = Task.objects.get()
    assert response["Location"] == f"/duplicates/tasks/{scan.pk}/"
    assert scan.status == "done" and scan.result["new_pairs"] >= 1
    assert not Merge.objects.exists()  # nothing merges by itself
    kept = first.members.get(relationship="head")
    folded = second.members.get(relationship="head")
    candidate = MatchCandidate.objects.get(person_a=kept, person_b=folded)
    assert candidate.evidence["dob"]["level"] == "same year, one side year only"
    page = client.get(f"/duplicates/{candidate.pk}/").content.decode()
    assert "خديجة عبد الله سالم العكيدي" in page and "خديجه عبدالله عكيدي" in page

    response = client.post(
        f"/duplicates/{candidate.pk}/", {"decision": "keep_a", "note": "same ID card"}
    )
    assert response.status_code == 302
    folded.refresh_from_db()
    kept.refresh_from_db()
    assert folded.merged_into == kept and folded.household is None
    assert list(kept.documents.values_list("kind", "status")) == [("national_id", "held")]
    assert list(kept.needs.values_list("code", flat=True)) == ["WR"]
    assert second.members.count() == 0
    assert folded.pk not in person_search_for_user(supervisor, "خديجة العكيدي")
    assert AuditEntry.objects.filter(action="merge").count() == 2

    merge = Merge.objects.get()
    client.post(f"/duplicates/merges/{merge.pk}/undo/")
    folded.refresh_from_db()
    kept.refresh_from_db()
    assert folded.merged_into is None and folded.household == second
    assert folded.relationship == "head"
    assert kept.documents.count() == 0 and kept.needs.count() == 0
    assert folded.memberships.get().ended_on is None
    assert AuditEntry.objects.filter(action="unmerge").count() == 2
    assert MatchCandidate.objects.get().status == "undone"


@pytest.mark.django_db
def test_siblings_are_not_offered_as_duplicates(
    supervisor, caseworker, django_capture_on_commit_callbacks
):
    register(
        caseworker,
        reference="A-20",
        members=[
            head(first_name_ar="حسين", father_name_ar="علي", family_name_ar="الجبوري", sex="M"),
            child(
                first_name_ar="عمر",
                father_name_ar="حسين",
                grandfather_name_ar="علي",
                family_name_ar="الجبوري",
                date_of_birth=datetime.date(2012, 3, 1),
                dob_precision="exact",
            ),
            child(
                first_name_ar="عمار",
                father_name_ar="حسين",
                grandfather_name_ar="علي",
                family_name_ar="الجبوري",
                date_of_birth=datetime.date(2014, 9, 9),
                dob_precision="exact",
            ),
            child(
                first_name_ar="محمد",
                father_name_ar="حسين",
                grandfather_name_ar="علي",
                family_name_ar="الجبوري",
                date_of_birth=datetime.date(2016, 1, 2),
                dob_precision="exact",
            ),
            child(
                first_name_ar="محمود",
                father_name_ar="حسين",
                grandfather_name_ar="علي",
                family_name_ar="الجبوري",
                date_of_birth=datetime.date(2018, 6, 7),
                dob_precision="exact",
            ),
        ],
    )
    _scan(logged_in(supervisor), django_capture_on_commit_callbacks)
    assert not MatchCandidate.objects.exists()


@pytest.mark.django_db
def test_rejecting_a_pair_keeps_both_and_is_not_asked_again(
    supervisor, twice_registered, django_capture_on_commit_callbacks
):
    client = logged_in(supervisor)
    _scan(client, django_capture_on_commit_callbacks)
    candidate = MatchCandidate.objects.get()
    client.post(f"/duplicates/{candidate.pk}/", {"decision": "reject"})
    candidate.refresh_from_db()
    assert candidate.status == "rejected" and candidate.reviewed_by == supervisor
    _scan(client, django_capture_on_commit_callbacks)
    assert MatchCandidate.objects.count() == 1
    assert client.get("/duplicates/").context["page"].paginator.count == 0
    assert AuditEntry.objects.filter(action="reject").exists()


@pytest.mark.django_db
def test_only_supervisors_of_the_organisation_review(
    supervisor,
    caseworker,
    other_caseworker,
    org_b,
    twice_registered,
    django_capture_on_commit_callbacks,
):
    _scan(logged_in(supervisor), django_capture_on_commit_callbacks)
    candidate = MatchCandidate.objects.get()
    assert logged_in(caseworker).get(f"/duplicates/{candidate.pk}/").status_code == 403
    other_supervisor = make_user("olga", org_b, "supervisor")
    client = logged_in(other_supervisor)
    assert client.get(f"/duplicates/{candidate.pk}/").status_code == 404
    assert client.post(f"/duplicates/{candidate.pk}/", {"decision": "keep_a"}).status_code == 404
    assert client.get("/duplicates/").context["page"].paginator.count == 0
    assert not Person.objects.filter(merged_into__isnull=False).exists()


@pytest.mark.django_db
def test_a_pair_across_organisations_shows_each_side_only_its_own(
    supervisor, caseworker, other_caseworker, org_b, django_capture_on_commit_callbacks
):
    register(
        caseworker,
        reference="A-30",
        members=[head(first_name_ar="نور", father_name_ar="حامد", family_name_ar="الراوي")],
    )
    register(
        other_caseworker,
        reference="B-30",
        members=[head(first_name_ar="نور", father_name_ar="حامد", family_name_ar="الراوي")],
    )
    _scan(logged_in(supervisor), django_capture_on_commit_callbacks)
    candidate = MatchCandidate.objects.get()
    other_supervisor = make_user("olga", org_b, "supervisor")
    for user in (supervisor, other_supervisor):
        page = logged_in(user).get("/duplicates/").content.decode()
        assert page.count("نور حامد") == 1  # its own side, never the other's
        assert "resolve through a referral" in page or "إحالة" in page
        assert logged_in(user).get(f"/duplicates/{candidate.pk}/").status_code == 404


LIST = (
    "unique_id,first_name,father_name,grandfather_name,family_name,sex,dob,camp,block,governorate,agency\n"
    "101,Khadija,Abdullah,Salem,Al-Ukaidi,F,1988,hol,p1-b1,,agency_z\n"
    "102,زينب,حسين,علي,الشمري,F,1990-04-23,hol,p1-b2,,agency_z\n"
    "103,زينب,حسين,علي,شمري,F,1990-04-23,hol,p1-b3,,agency_z\n"
    "104,سلمان,داود,,الطائي,M,1970-01-01,hol,p1-b4,,agency_z\n"
)


@pytest.mark.django_db
def test_an_incoming_list_is_checked_against_itself_and_the_registry(
    caseworker, twice_registered, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = logged_in(caseworker)
    upload = SimpleUploadedFile("list.csv", LIST.encode("utf-8"), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/duplicates/check-list/", {"file": upload})
    check = Task.objects.get(kind="identity.incoming_list")
    assert response["Location"] == f"/duplicates/tasks/{check.pk}/"
    assert check.status == "done" and check.result["rows"] == 4
    flagged = {f["row"]: f for f in check.result["flagged"]}
    khadija = twice_registered[0].members.get(relationship="head")
    assert khadija.pk in flagged["101"]["registered"]  # Latin list, Arabic registry
    assert flagged["102"]["same_as_rows"] == ["103"]
    assert "104" not in flagged
    page = client.get(f"/duplicates/tasks/{check.pk}/").content.decode()
    assert f"/persons/{khadija.pk}/" in page
    assert not list((Path(django_settings.VAR_DIR) / "tasks").glob("*.csv"))  # the upload is gone


@pytest.mark.django_db
def test_a_list_with_a_bad_row_is_refused_naming_the_row(caseworker):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = LIST + "105,علي,,,,M,1990-02-31x,,,,\n"
    upload = SimpleUploadedFile("list.csv", bad.encode("utf-8"), content_type="text/csv")
    response = logged_in(caseworker).post("/duplicates/check-list/", {"file": upload})
    assert response.status_code == 200
    assert "row 6, column dob" in response.content.decode()
    assert not Task.objects.exists()


@pytest.mark.django_db
def test_another_organisations_registrations_are_named_only_by_organisation(
    other_caseworker, twice_registered, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("list.csv", LIST.encode("utf-8"), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        logged_in(other_caseworker).post("/duplicates/check-list/", {"file": upload})
    check = Task.objects.get(kind="identity.incoming_list")
    flagged = {f["row"]: f for f in check.result["flagged"]}
    assert flagged["101"]["registered"] == [] and flagged["101"]["registered_elsewhere"] == [
        "org-a"
    ]
    assert (
        logged_in(twice_registered[0].registered_by)
        .get(f"/duplicates/tasks/{check.pk}/")
        .status_code
        == 404
    )
