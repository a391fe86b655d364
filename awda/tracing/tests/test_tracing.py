"""Family tracing end to end: a mother in organisation A asks for her son; organisation B
may hold him; nothing of B's record reaches A before B confirms with the son's consent."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from awda.audit.models import AuditEntry
from awda.conftest import api_client, child, head, logged_in, make_user, register
from awda.consent.models import Consent
from awda.tracing import services
from awda.tracing.models import Candidate, ContactRequest, FamilyLink, TracingRequest

SON = {
    "first_name_ar": "يوسف",
    "father_name_ar": "خالد",
    "grandfather_name_ar": "عبد الله",
    "family_name_ar": "الحمدان",
}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _consent(person, user, **kw):
    return Consent.objects.create(
        organisation=person.organisation,
        person=person,
        purpose="tracing",
        legal_basis="consent",
        given_by=kw.pop("given_by", "person"),
        recorded_by=user,
        **kw,
    )


@pytest.fixture
def mother(caseworker):
    household = register(
        caseworker,
        reference="A-MOTHER",
        members=[
            head(
                first_name_ar="مريم",
                father_name_ar="أحمد",
                grandfather_name_ar="سالم",
                family_name_ar="العلي",
                sex="F",
                date_of_birth=datetime.date(1978, 5, 1),
            )
        ],
    )
    person = household.members.get()
    _consent(person, caseworker)
    return person


@pytest.fixture
def son(other_caseworker):
    household = register(
        other_caseworker,
        reference="B-SON",
        members=[
            head(
                **SON,
                sex="M",
                date_of_birth=datetime.date(2003, 2, 10),
                first_name_lat="Yousef",
                family_name_lat="Al-Hamdan",
            )
        ],
    )
    person = household.members.get()
    _consent(person, other_caseworker)
    return person


def ask(caseworker, mother, **overrides):
    values = {
        "sex": "M",
        "first_name": "يوسف",
        "father_name": "خالد",
        "family_name": "الحمدان",
        "birth_year": 2003,
    }
    values.update(overrides)
    return services.request_create(
        by=caseworker,
        requester=mother,
        relationship="child",
        sought=services.Sought(**values),
        separation="in_another_camp",
        circumstances="Separated at the checkpoint in 2019.",
    )


@pytest.mark.django_db
def test_a_request_rests_on_the_requesters_consent_unless_a_supervisor_says_why(
    caseworker, supervisor
):
    household = register(caseworker, reference="A-2")
    requester = household.members.get(relationship="head")
    sought = services.Sought(sex="M", first_name="عمر")
    with pytest.raises(ValidationError) as error:
        services.request_create(
            by=caseworker, requester=requester, relationship="child", sought=sought
        )
    assert "consent" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.request_create(
            by=supervisor, requester=requester, relationship="child", sought=sought
        )
    request = services.request_create(
        by=supervisor,
        requester=requester,
        relationship="child",
        sought=sought,
        consent_override="The mother is unconscious in hospital; the child is alone.",
    )
    assert request.consent_override
    assert AuditEntry.objects.get(object_type="tracing.tracingrequest", action="create").details[
        "consent"
    ] == ("override")


@pytest.mark.django_db
def test_names_go_to_the_field_of_their_script_and_are_checked(caseworker, mother):
    request = ask(caseworker, mother, first_name="Yousef", family_name="الحمدان", father_name="")
    assert (request.sought_first_name_lat, request.sought_first_name_ar) == ("Yousef", "")
    assert request.sought_family_name_ar == "الحمدان"
    with pytest.raises(ValidationError) as error:
        ask(caseworker, mother, sex="X")
    assert "sought_sex" in error.value.message_dict


@pytest.mark.django_db
def test_another_organisation_cannot_open_a_request_for_our_person(mother, other_caseworker):
    with pytest.raises(PermissionDenied):
        ask(other_caseworker, mother)


@pytest.mark.django_db
def test_a_mother_finds_her_son_through_mediated_contact(caseworker, other_caseworker, mother, son):
    request = ask(caseworker, mother)
    candidate = Candidate.objects.get(request=request, person=son)
    request.refresh_from_db()
    assert request.status == TracingRequest.Status.CANDIDATE_FOUND
    assert candidate.holder_id == son.organisation_id

    # Organisation A sees that organisation B may hold him — and nothing of B's record.
    client = logged_in(caseworker)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(f"/tracing/{request.pk}/").content.decode()
    assert "A possible match held by" in page and str(son.organisation) in page
    for secret in ("Yousef", "Al-Hamdan", "B-SON", "2003-02-10", "عبد الله"):
        assert secret not in page, secret
    api = api_client(caseworker).get(f"/api/v1/tracing-requests/{request.pk}/candidates/")
    row = next(r for r in api.json() if r["id"] == candidate.pk)
    assert row["person"] is None and row["name"] == ""
    assert "Yousef" not in str(row) and "عبد الله" not in str(row)
    assert client.get(f"/persons/{son.pk}/").status_code == 404

    contact = services.contact_request_send(by=caseworker, candidate=candidate)

    # Organisation B sees the request and its own person, checks with him, confirms.
    b = logged_in(other_caseworker)
    assert b.get("/tracing/contacts/").status_code == 200
    seen = b.get(f"/tracing/contacts/{contact.pk}/")
    assert seen.status_code == 200 and "مريم" in seen.content.decode()
    assert "checkpoint" not in seen.content.decode()  # the family's account stays with A
    b.post(f"/tracing/contacts/{contact.pk}/", {"answer": "confirmed", "note": "He agrees."})
    contact.refresh_from_db()
    assert contact.answer == ContactRequest.Answer.CONFIRMED

    request.refresh_from_db()
    assert request.status == TracingRequest.Status.CONFIRMED
    page = client.get(f"/tracing/{request.pk}/").content.decode()
    assert "يوسف خالد عبد الله الحمدان" in page
    assert FamilyLink.objects.filter(from_person=mother, to_person=son, relation="child").exists()
    assert FamilyLink.objects.filter(from_person=son, to_person=mother, relation="parent").exists()
    family = client.get(f"/persons/{mother.pk}/family/").content.decode()
    assert "يوسف" in family

    client.post(
        f"/tracing/{request.pk}/outcome/", {"outcome": "reunified", "version": request.version}
    )
    request.refresh_from_db()
    assert request.status == TracingRequest.Status.REUNIFIED


@pytest.mark.django_db
def test_a_declined_contact_reveals_nothing(caseworker, other_caseworker, mother, son):
    request = ask(caseworker, mother)
    candidate = Candidate.objects.get(request=request, person=son)
    contact = services.contact_request_send(by=caseworker, candidate=candidate)
    services.contact_request_answer(by=other_caseworker, contact=contact, answer="declined")
    candidate.refresh_from_db()
    assert candidate.status == Candidate.Status.DECLINED
    page = logged_in(caseworker).get(f"/tracing/{request.pk}/").content.decode()
    assert "يوسف خالد عبد الله" not in page
    assert not FamilyLink.objects.exists()
    with pytest.raises(ValidationError):
        services.contact_request_answer(by=other_caseworker, contact=contact, answer="confirmed")


@pytest.mark.django_db
def test_only_the_organisation_asked_answers(caseworker, org_a, mother, son):
    request = ask(caseworker, mother)
    contact = services.contact_request_send(
        by=caseworker, candidate=Candidate.objects.get(request=request, person=son)
    )
    with pytest.raises(PermissionDenied):
        services.contact_request_answer(by=caseworker, contact=contact, answer="confirmed")
    assert logged_in(caseworker).get(f"/tracing/contacts/{contact.pk}/").status_code == 404


@pytest.mark.django_db
def test_two_families_looking_for_each_other_are_put_in_touch(
    caseworker, other_caseworker, mother, son
):
    first = ask(caseworker, mother)
    Candidate.objects.filter(request=first).delete()
    second = services.request_create(
        by=other_caseworker,
        requester=son,
        relationship="parent",
        sought=services.Sought(
            sex="F", first_name="مريم", father_name="أحمد", family_name="العلي", birth_year=1978
        ),
    )
    mutual = Candidate.objects.get(request=second, other_request=first)
    assert mutual.holder_id == mother.organisation_id
    mirrored = Candidate.objects.get(request=first, other_request=second)
    # A's side of the pair shows what A's family said, never B's record of the son.
    shown = str(mirrored.evidence)
    assert "يوسف" in shown or "Yousef" in shown
    assert "عبد الله" not in shown and "B-SON" not in shown and "2003-02-10" not in shown


@pytest.mark.django_db
def test_tracing_pages_and_api_are_for_tracing_roles_of_the_organisation(
    caseworker, other_caseworker, donor, org_a, mother, son
):
    request = ask(caseworker, mother)
    registrar = make_user("rana", org_a, "registrar")
    for user, code in ((donor, 403), (registrar, 403)):
        assert logged_in(user).get("/tracing/").status_code == code
    b = logged_in(other_caseworker)
    assert b.get(f"/tracing/{request.pk}/").status_code == 404
    assert (
        api_client(other_caseworker).get(f"/api/v1/tracing-requests/{request.pk}/").status_code
        == 404
    )
    assert api_client(other_caseworker).get("/api/v1/tracing-requests/").json()["count"] == 0
    assert b.get(f"/persons/{mother.pk}/family/").status_code == 404


@pytest.mark.django_db
def test_the_api_opens_a_request_and_lists_its_candidates(caseworker, mother, son):
    api = api_client(caseworker)
    created = api.post(
        "/api/v1/tracing-requests/",
        {
            "requester": mother.pk,
            "sought_first_name": "يوسف",
            "sought_father_name": "خالد",
            "sought_grandfather_name": "",
            "sought_family_name": "الحمدان",
            "sought_sex": "M",
            "relationship": "child",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    rows = api.get(f"/api/v1/tracing-requests/{created.json()['id']}/candidates/").json()
    assert rows and rows[0]["organisation"] == son.organisation.slug
    assert set(rows[0]) == {
        "id",
        "organisation",
        "score",
        "status",
        "kind",
        "evidence",
        "person",
        "name",
    }


@pytest.mark.django_db
def test_household_members_on_different_movements_are_flagged(caseworker):
    from awda.returns.models import Movement, Passenger
    from awda.returns.services import centres_load

    household = register(caseworker, reference="A-9", members=[head(), child()])
    mother_ = household.members.get(relationship="head")
    boy = household.members.get(relationship="child")
    centres_load()
    from awda.places.models import Place
    from awda.returns.models import Centre

    movement = Movement.objects.create(
        organisation=caseworker.organisation,
        reference="CV-T",
        kind="convoy",
        pathway="iq_repatriation",
        departs_on=datetime.date(2026, 1, 1),
        origin=Place.objects.get(pcode="SY080006-HOL"),
        centre=Centre.objects.get(),
        capacity=10,
        created_by=caseworker,
    )
    Passenger.objects.create(
        movement=movement, person=boy, household=household, vehicle=1, added_by=caseworker
    )
    page = logged_in(caseworker).get(f"/persons/{mother_.pk}/family/")
    relatives = page.context["relatives"]
    assert [(r.relation, r.movement) for r in relatives] == [("child", "CV-T")]


@pytest.mark.django_db
def test_the_person_page_loads_the_family_list(caseworker, mother, son, other_caseworker):
    client = logged_in(caseworker)
    page = client.get(f"/persons/{mother.pk}/").content.decode()
    assert f"/persons/{mother.pk}/family/?part=1" in page
    part = client.get(f"/persons/{mother.pk}/family/?part=1")
    assert part.status_code == 200 and "<html" not in part.content.decode()
    assert (
        logged_in(other_caseworker).get(f"/persons/{mother.pk}/family/?part=1").status_code == 404
    )


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.mark.django_db
def test_a_photo_is_kept_encrypted_and_shown_only_to_the_organisations_involved(
    caseworker, other_caseworker, org_a, mother, son
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    request = ask(caseworker, mother)
    client = logged_in(caseworker)
    bad = client.post(
        f"/tracing/{request.pk}/photo/upload/",
        {"photo": SimpleUploadedFile("x.gif", b"GIF89a...", content_type="image/gif")},
    )
    assert bad.status_code == 302
    request.refresh_from_db()
    assert request.photo == ""
    client.post(
        f"/tracing/{request.pk}/photo/upload/",
        {"photo": SimpleUploadedFile("son.png", PNG, content_type="image/png")},
    )
    shown = client.get(f"/tracing/{request.pk}/photo/")
    assert shown.status_code == 200 and shown.content == PNG
    assert shown["Content-Type"] == "image/png"
    with connection.cursor() as cursor:
        cursor.execute("SELECT photo FROM tracing_tracingrequest WHERE id = %s", [request.pk])
        assert cursor.fetchone()[0].startswith("gAAAAA")

    # Organisation B sees it only once asked about the request.
    b = logged_in(other_caseworker)
    assert b.get(f"/tracing/{request.pk}/photo/").status_code == 404
    services.contact_request_send(
        by=caseworker, candidate=Candidate.objects.get(request=request, person=son)
    )
    assert b.get(f"/tracing/{request.pk}/photo/").content == PNG
    outsider = make_user("olga", org_a, "registrar")
    assert logged_in(outsider).get(f"/tracing/{request.pk}/photo/").status_code == 403
