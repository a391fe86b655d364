"""Assessment forms: versioned data, skip logic, XLSForm in and out, answers kept with
their version."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from awda.cases import formdefs
from awda.cases.models import Assessment, FormDefinition, FormVersion
from awda.cases.relevance import RelevanceError, holds, parse
from awda.cases.services import case_open
from awda.conftest import logged_in, make_user


def test_skip_logic_expressions():
    tree = parse("${has_id} = 'no' and (selected(${missing}, 'birth') or ${children} >= 2)")
    assert holds(tree, {"has_id": "no", "missing": ["birth"], "children": "0"})
    assert holds(tree, {"has_id": "no", "missing": [], "children": "3"})
    assert not holds(tree, {"has_id": "yes", "missing": ["birth"]})
    assert holds(parse("not(${a} != 'x')"), {"a": "x"})
    for bad in ("${a} == 'x'", "${a} = ", "count(${a}) > 1", "${a} = 'x' and"):
        with pytest.raises(RelevanceError):
            parse(bad)


def test_a_form_is_checked_question_by_question():
    with pytest.raises(formdefs.FormError) as error:
        formdefs.check_fields(
            [
                {"name": "a", "type": "text", "label": {"en": "A"}},
                {"name": "a", "type": "photo", "label": {}},
                {"name": "c", "type": "select_one", "label": {"en": "C"}, "choices": []},
                {"name": "d", "type": "text", "label": {"en": "D"}, "relevant": "${later} = 'x'"},
            ]
        )
    text = " ".join(error.value.problems)
    assert "question 2: the name 'a' is used twice" in text
    assert "type 'photo'" in text and "needs a label" in text
    assert "question 3 (c): a choice question needs named choices" in text
    assert "refers to later, not an earlier question" in text


@pytest.mark.django_db
def test_the_shipped_forms_are_loaded_and_export_as_valid_xlsforms():
    slugs = set(FormDefinition.objects.values_list("slug", flat=True))
    assert {
        "household-vulnerability",
        "child-protection",
        "civil-documentation",
        "return-intention",
    } <= slugs
    for form in FormDefinition.objects.all():
        version = form.latest()
        content = formdefs.to_xlsform(
            slug=form.slug, title=form.title_en, version=version.number, fields=version.fields
        )
        settings, fields = formdefs.from_xlsform(content)  # pyxform reads it back
        assert settings["id"] == form.slug
        assert [f["name"] for f in fields] == [f["name"] for f in version.fields]
        assert [f["relevant"] for f in fields] == [f.get("relevant", "") for f in version.fields]
        assert fields[0]["label"]["ar"] == version.fields[0]["label"]["ar"]


@pytest.mark.django_db
def test_a_caseworker_fills_an_assessment_with_its_skip_logic(caseworker, household):
    case = case_open(by=caseworker, household=household)
    client = logged_in(caseworker)
    url = f"/cases/{case.pk}/assessments/return-intention/"
    page = client.get(url)
    shown = [q["name"] for q in page.context["questions"] if q["shown"]]
    assert "when" not in shown and "obstacles" in shown  # nothing answered yet: "!= yes" holds
    redraw = client.post(url, {"wants_return": "yes"}, HTTP_HX_REQUEST="true")
    shown = [q["name"] for q in redraw.context["questions"] if q["shown"]]
    assert "when" in shown and "obstacles" not in shown
    client.post(
        url, {"wants_return": "yes", "when": "3m", "obstacles": ["safety"], "sponsor_known": "no"}
    )
    assessment = Assessment.objects.get()
    assert assessment.answers == {
        "wants_return": "yes",
        "when": "3m",
        "sponsor_known": "no",
    }  # skipped answer dropped
    assert assessment.form_version.number == 1
    refused = client.post(url, {"when": "3m"})
    assert (
        refused.status_code == 200 and refused.context["errors"] and Assessment.objects.count() == 1
    )
    detail = client.get(f"/assessments/{assessment.pk}/").content.decode()
    assert "خلال ثلاثة أشهر" in detail


@pytest.mark.django_db
def test_a_new_version_leaves_earlier_answers_with_theirs(caseworker, household, org_a):
    admin = make_user("adam", org_a, "admin")
    case = case_open(by=caseworker, household=household)
    client = logged_in(caseworker)
    client.post(
        f"/cases/{case.pk}/assessments/return-intention/",
        {"wants_return": "no", "obstacles": ["housing"]},
    )
    form = FormDefinition.objects.get(slug="return-intention")
    fields = [
        *form.latest().fields,
        {"name": "comment", "type": "text", "label": {"en": "Comment", "ar": "تعليق"}},
    ]
    content = formdefs.to_xlsform(slug=form.slug, title=form.title_en, version=2, fields=fields)
    response = logged_in(admin).post("/forms/", {"file": SimpleUploadedFile("f.xlsx", content)})
    assert response.status_code == 302
    assert FormVersion.objects.filter(form=form).count() == 2
    client.post(
        f"/cases/{case.pk}/assessments/return-intention/",
        {"wants_return": "no", "obstacles": ["housing"], "comment": "later"},
    )
    first, second = Assessment.objects.order_by("id")
    assert (first.form_version.number, second.form_version.number) == (1, 2)
    assert "comment" not in first.answers and second.answers["comment"] == "later"


@pytest.mark.django_db
def test_a_broken_xlsform_is_refused_with_the_reason(org_a):
    admin = make_user("adam", org_a, "admin")
    response = logged_in(admin).post(
        "/forms/", {"file": SimpleUploadedFile("f.xlsx", b"not a workbook")}, follow=True
    )
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert FormVersion.objects.count() == 4


@pytest.mark.django_db
def test_forms_and_assessments_respect_roles_and_organisations(
    caseworker, household, other_caseworker, donor
):
    case = case_open(by=caseworker, household=household)
    logged_in(caseworker).post(
        f"/cases/{case.pk}/assessments/return-intention/", {"wants_return": "no"}
    )
    assessment = Assessment.objects.get()
    assert logged_in(caseworker).get("/forms/").status_code == 403  # administrators edit forms
    assert logged_in(other_caseworker).get(f"/assessments/{assessment.pk}/").status_code == 404
    assert (
        logged_in(other_caseworker)
        .get(f"/cases/{case.pk}/assessments/return-intention/")
        .status_code
        == 404
    )
    assert logged_in(donor).get(f"/assessments/{assessment.pk}/").status_code == 403
    assert logged_in(caseworker).get("/forms/return-intention/xlsform/").status_code == 200


@pytest.mark.django_db
def test_a_case_referral_shares_only_the_assessments_it_names(
    caseworker, household, other_caseworker, org_b
):
    from awda.cases.services import referral_accept, referral_create

    case = case_open(by=caseworker, household=household)
    client = logged_in(caseworker)
    client.post(f"/cases/{case.pk}/assessments/return-intention/", {"wants_return": "no"})
    client.post(
        f"/cases/{case.pk}/assessments/civil-documentation/",
        {"has_id": "no", "children_unregistered": "2"},
    )
    shared = Assessment.objects.get(form_version__form__slug="civil-documentation")
    kept = Assessment.objects.get(form_version__form__slug="return-intention")
    referral = referral_create(
        by=caseworker,
        household=household,
        receiving_organisation=org_b,
        kind="referral",
        service="civil_documentation",
        consent="given",
        case=case,
        shared_forms=["civil-documentation"],
    )
    referral_accept(referral=referral, by=other_caseworker)
    receiver = logged_in(other_caseworker)
    assert receiver.get(f"/assessments/{shared.pk}/").status_code == 200
    assert receiver.get(f"/assessments/{kept.pk}/").status_code == 404
    page = receiver.get(f"/cases/{case.pk}/")
    assert [a.pk for a in page.context["assessments"]] == [shared.pk]


@pytest.mark.django_db
def test_the_api_lists_forms_and_records_assessments(caseworker, household, other_caseworker):
    from awda.conftest import api_client

    client = api_client(caseworker)
    forms = client.get("/api/v1/forms/").json()["results"]
    assert {f["slug"] for f in forms} >= {"child-protection", "return-intention"}
    one = client.get("/api/v1/forms/return-intention/").json()
    assert one["version"] == 1 and one["questions"][0]["name"] == "wants_return"
    case = case_open(by=caseworker, household=household)
    created = client.post(
        "/api/v1/assessments/",
        {
            "case": case.pk,
            "form": "return-intention",
            "answers": {"wants_return": "no", "when": "3m", "obstacles": ["safety"]},
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["answers"] == {
        "wants_return": "no",
        "obstacles": ["safety"],
    }  # "when" skipped
    refused = client.post(
        "/api/v1/assessments/",
        {"case": case.pk, "form": "return-intention", "answers": {}},
        format="json",
    )
    assert refused.status_code == 400 and "answers" in refused.json()
    assert client.get("/api/v1/assessments/", {"case": case.pk}).json()["count"] == 1
    assert api_client(other_caseworker).get("/api/v1/assessments/").json()["count"] == 0
    assert (
        api_client(other_caseworker)
        .post(
            "/api/v1/assessments/",
            {"case": case.pk, "form": "return-intention", "answers": {"wants_return": "no"}},
            format="json",
        )
        .status_code
        == 404
    )
