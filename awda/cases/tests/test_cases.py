"""A family's case from opening to closure: steps, approvals, returns, reopening, and who
may do what."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from awda.audit.models import AuditEntry
from awda.cases.models import Case
from awda.cases.services import case_decide, case_move, case_open, case_submit
from awda.conftest import api_client, logged_in, make_user


def _step(client, case, **data):
    return client.post(f"/cases/{case.pk}/step/", data)


@pytest.mark.django_db
def test_a_case_runs_from_opening_to_closure_with_two_approvals(caseworker, supervisor, household):
    client = logged_in(caseworker)
    response = client.post(f"/cases/new/{household.pk}/", {"risk": "high"})
    case = Case.objects.get()
    assert response["Location"] == f"/cases/{case.pk}/"
    assert (
        case.status == "new"
        and case.assigned_to == caseworker
        and case.reference.startswith("C-ORG-A-")
    )
    _step(client, case, action="move", to="assessment", version=case.version)
    case.refresh_from_db()
    _step(client, case, action="move", to="case_plan", version=case.version)
    case.refresh_from_db()
    assert case.status == "case_plan"
    # the plan cannot be skipped: services need the supervisor
    _step(client, case, action="move", to="services", version=case.version)
    case.refresh_from_db()
    assert case.status == "case_plan"
    _step(client, case, action="case_plan", comment="plan ready")
    case.refresh_from_db()
    assert case.awaiting == "case_plan"
    # a caseworker cannot approve
    _step(client, case, action="approve")
    case.refresh_from_db()
    assert case.awaiting == "case_plan"
    boss = logged_in(supervisor)
    _step(boss, case, action="return", comment="add the documentation goal")
    case.refresh_from_db()
    assert (case.status, case.awaiting) == ("case_plan", "")
    _step(client, case, action="case_plan")
    _step(boss, case, action="approve")
    case.refresh_from_db()
    assert case.status == "services"
    _step(client, case, action="move", to="monitoring", version=case.version)
    _step(client, case, action="closure", comment="reintegrated")
    _step(boss, case, action="approve")
    case.refresh_from_db()
    assert case.status == "closed" and case.closed_on == timezone.localdate()
    _step(client, case, action="reopen", comment="new protection concern")
    case.refresh_from_db()
    assert case.status == "assessment" and case.closed_on is None
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds.count("approved") == 2 and "returned" in kinds and kinds[-1] == "reopened"
    assert AuditEntry.objects.filter(action="case_step", object_id=str(case.pk)).count() == len(
        kinds
    )
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "add the documentation goal" in page


@pytest.mark.django_db
def test_returning_needs_a_comment_and_reopening_a_reason(caseworker, supervisor, household):
    case = case_open(by=caseworker, household=household)
    for to in ("assessment", "case_plan"):
        case = case_move(by=caseworker, case=case, to=to)
    case = case_submit(by=caseworker, case=case, what="case_plan")
    with pytest.raises(ValidationError):
        case_decide(by=supervisor, case=case, approve=False, comment=" ")
    with pytest.raises(PermissionDenied):
        case_decide(by=caseworker, case=case, approve=True)


@pytest.mark.django_db
def test_an_individual_case_is_for_a_member_of_the_household(
    caseworker, household, other_household
):
    child = household.members.get(relationship="child")
    case = case_open(by=caseworker, household=household, person=child)
    assert case.person == child
    stranger = other_household.members.first()
    with pytest.raises(ValidationError):
        case_open(by=caseworker, household=household, person=stranger)


@pytest.mark.django_db
def test_caseloads_show_mine_my_teams_overdue_and_waiting(caseworker, supervisor, household, org_a):
    colleague = make_user("hadi", org_a, "caseworker")
    mine = case_open(by=caseworker, household=household)
    theirs = case_open(by=caseworker, household=household, assigned_to=colleague)
    Case.objects.filter(pk=theirs.pk).update(
        next_due_on=timezone.localdate() - datetime.timedelta(days=3)
    )
    client = logged_in(caseworker)
    assert list(client.get("/cases/", {"view": "mine"}).context["page"].object_list) == [mine]
    assert set(client.get("/cases/", {"view": "team"}).context["page"].object_list) == {
        mine,
        theirs,
    }
    assert list(client.get("/cases/", {"view": "overdue"}).context["page"].object_list) == [theirs]
    for to in ("assessment", "case_plan"):
        mine = case_move(by=caseworker, case=mine, to=to)
    case_submit(by=caseworker, case=mine, what="case_plan")
    assert [
        c.pk
        for c in logged_in(supervisor)
        .get("/cases/", {"view": "approvals"})
        .context["page"]
        .object_list
    ] == [mine.pk]


@pytest.mark.django_db
def test_cases_stay_within_their_organisation(
    caseworker, household, other_caseworker, donor, org_b
):
    case = case_open(by=caseworker, household=household)
    other_supervisor = make_user("olga", org_b, "supervisor")
    for user in (other_caseworker, other_supervisor):
        client = logged_in(user)
        assert client.get(f"/cases/{case.pk}/").status_code == 404
        assert _step(client, case, action="move", to="assessment").status_code == 404
        assert client.get("/cases/", {"view": "team"}).context["page"].paginator.count == 0
        assert client.get(f"/cases/new/{household.pk}/").status_code == 404
        assert api_client(user).get(f"/api/v1/cases/{case.pk}/").status_code == 404
    assert logged_in(donor).get("/cases/").status_code == 403
    assert logged_in(donor).get(f"/cases/{case.pk}/").status_code == 403
    mhpss = make_user("mona", caseworker.organisation, "mhpss")
    assert logged_in(mhpss).get(f"/cases/new/{household.pk}/").status_code == 403


@pytest.mark.django_db
def test_the_api_lists_opens_and_moves_cases(caseworker, supervisor, household):
    client = api_client(caseworker)
    created = client.post(
        "/api/v1/cases/", {"household": household.pk, "risk": "low"}, format="json"
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert client.get("/api/v1/cases/").json()["count"] == 1
    moved = client.post(f"/api/v1/cases/{pk}/move/", {"to": "assessment"}, format="json")
    assert moved.json()["status"] == "assessment"
    refused = client.post(f"/api/v1/cases/{pk}/move/", {"to": "closed"}, format="json")
    assert refused.status_code == 400
    client.post(f"/api/v1/cases/{pk}/move/", {"to": "case_plan"}, format="json")
    client.post(f"/api/v1/cases/{pk}/submit/", {"what": "case_plan"}, format="json")
    assert client.post(f"/api/v1/cases/{pk}/approve/", {}, format="json").status_code == 403
    approved = api_client(supervisor).post(f"/api/v1/cases/{pk}/approve/", {}, format="json")
    assert approved.json()["status"] == "services"


@pytest.mark.django_db
def test_follow_ups_set_the_next_action_and_fill_the_days_dashboard(
    caseworker, supervisor, household
):
    from awda.cases.models import FollowUp

    client = logged_in(caseworker)
    case = case_open(by=caseworker, household=household)
    today = timezone.localdate()
    for title, days in (("call the sheikh", -2), ("visit the tent", 0), ("chase the ID card", 1)):
        client.post(
            f"/cases/{case.pk}/follow-ups/",
            {"title": title, "due_on": (today + datetime.timedelta(days=days)).isoformat()},
        )
    case.refresh_from_db()
    assert case.next_due_on == today - datetime.timedelta(days=2)
    due = client.get("/today/").context["due"]
    assert [f.title for f in due["overdue"]] == ["call the sheikh"]
    assert [f.title for f in due["today"]] == ["visit the tent"]
    alerts = client.get("/alerts/")
    assert alerts.context["overdue"] == 1
    first = FollowUp.objects.get(title="call the sheikh")
    client.post(f"/follow-ups/{first.pk}/done/", {"back": "today"})
    case.refresh_from_db()
    assert case.next_due_on == today
    assert client.get("/today/").context["due"]["overdue"] == []
    assert list(client.get("/cases/", {"view": "overdue"}).context["page"].object_list) == []


@pytest.mark.django_db
def test_follow_ups_stay_within_their_organisation(caseworker, household, other_caseworker):
    from awda.cases.services import follow_up_add

    case = case_open(by=caseworker, household=household)
    follow_up = follow_up_add(by=caseworker, case=case, title="visit", due_on=timezone.localdate())
    assert logged_in(other_caseworker).post(f"/follow-ups/{follow_up.pk}/done/").status_code == 404
    assert (
        logged_in(other_caseworker)
        .post(f"/cases/{case.pk}/follow-ups/", {"title": "x", "due_on": "2026-12-01"})
        .status_code
        == 404
    )
    assert logged_in(other_caseworker).get("/today/").context["due"]["today"] == []
    follow_up.refresh_from_db()
    assert follow_up.done_on is None


@pytest.mark.django_db
def test_a_case_plan_with_goals_actions_services_and_notes(
    caseworker, household, other_caseworker, org_b
):
    from awda.cases.models import Goal, PlanAction, ServiceRecord

    case = case_open(by=caseworker, household=household)
    client = logged_in(caseworker)
    record = f"/cases/{case.pk}/record/"
    client.post(record, {"what": "goal", "title": "birth certificates for the children"})
    goal = Goal.objects.get()
    client.post(
        record,
        {
            "what": "action",
            "goal": goal.pk,
            "title": "book the civil registry visit",
            "due_on": "2026-12-10",
        },
    )
    step = PlanAction.objects.get()
    assert step.owner == caseworker
    client.post(record, {"what": "action_done", "action": step.pk})
    step.refresh_from_db()
    assert step.done_on == timezone.localdate()
    client.post(record, {"what": "achieved", "goal": goal.pk})
    goal.refresh_from_db()
    assert goal.status == "achieved"
    client.post(
        record,
        {
            "what": "service",
            "service": "legal_aid",
            "channel": "in_house",
            "note": "counselling on documents",
        },
    )
    referral = referral_for(caseworker, household, org_b)
    client.post(
        record,
        {"what": "service", "service": "health", "channel": "referral", "referral": referral.pk},
    )
    assert list(ServiceRecord.objects.values_list("channel", flat=True).order_by("id")) == [
        "in_house",
        "referral",
    ]
    refused = client.post(
        record, {"what": "service", "service": "health", "channel": "referral"}, follow=True
    )
    assert ServiceRecord.objects.count() == 2  # "through a referral" must name the referral
    assert [m.level_tag for m in refused.context["messages"]] == ["error"]
    client.post(record, {"what": "note", "text": "the mother fears going back to the village"})
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "the mother fears going back" in page and "birth certificates for the children" in page
    entries = AuditEntry.objects.filter(object_type="cases.casenote")
    assert entries.exists() and "fears" not in str(list(entries.values_list("changes", "details")))
    assert (
        logged_in(other_caseworker).post(record, {"what": "note", "text": "x"}).status_code == 404
    )


def referral_for(caseworker, household, org):
    from awda.cases.services import referral_create

    return referral_create(
        by=caseworker,
        household=household,
        receiving_organisation=org,
        kind="referral",
        service="health",
        consent="given",
    )


@pytest.mark.django_db
def test_attachments_are_stored_encrypted_checked_and_kept_to_the_organisation(
    caseworker, household, other_caseworker, org_b, settings
):
    from pathlib import Path

    from django.core.files.uploadedfile import SimpleUploadedFile

    from awda.cases.models import Attachment
    from awda.cases.services import referral_accept, referral_create

    case = case_open(by=caseworker, household=household)
    client = logged_in(caseworker)
    pdf = b"%PDF-1.4\n% synthetic test document: family booklet copy\n%%EOF\n"
    client.post(
        f"/cases/{case.pk}/attachments/",
        {"title": "family booklet", "file": SimpleUploadedFile("booklet.pdf", pdf)},
    )
    attachment = Attachment.objects.get()
    stored = (Path(settings.VAR_DIR) / "attachments" / attachment.stored_as).read_bytes()
    assert b"family booklet copy" not in stored and b"%PDF" not in stored
    response = client.get(f"/attachments/{attachment.pk}/")
    assert response.content == pdf and response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    # a script named .png, an empty file and a too-large one are refused
    client.post(
        f"/cases/{case.pk}/attachments/",
        {"title": "x", "file": SimpleUploadedFile("x.png", b"<script>alert(1)</script>")},
    )
    client.post(
        f"/cases/{case.pk}/attachments/", {"title": "x", "file": SimpleUploadedFile("x.pdf", b"")}
    )
    settings.ATTACHMENT_MAX_BYTES = 10
    client.post(
        f"/cases/{case.pk}/attachments/", {"title": "x", "file": SimpleUploadedFile("big.pdf", pdf)}
    )
    assert Attachment.objects.count() == 1
    # another organisation, even with the case referred, does not get the files
    referral = referral_create(
        by=caseworker,
        household=household,
        receiving_organisation=org_b,
        kind="referral",
        service="legal_aid",
        consent="given",
        case=case,
    )
    referral_accept(referral=referral, by=other_caseworker)
    assert logged_in(other_caseworker).get(f"/attachments/{attachment.pk}/").status_code == 404
    assert AuditEntry.objects.filter(object_type="cases.attachment", action="view").count() == 1


@pytest.mark.django_db
def test_a_tampered_file_is_not_served(caseworker, household, settings):
    from pathlib import Path

    from awda.cases.models import Attachment
    from awda.cases.services import attachment_add, attachment_read
    from awda.common.crypto import InvalidToken

    case = case_open(by=caseworker, household=household)
    attachment = attachment_add(
        by=caseworker, case=case, title="x", content=b"\x89PNG\r\n\x1a\n" + b"0" * 50
    )
    path = Path(settings.VAR_DIR) / "attachments" / attachment.stored_as
    path.write_bytes(path.read_bytes()[:-4] + b"AAAA")
    with pytest.raises(InvalidToken):
        attachment_read(by=caseworker, attachment=Attachment.objects.get())


@pytest.mark.django_db
def test_a_supervisor_assigns_the_case_to_another_caseworker(
    caseworker, supervisor, household, org_a, other_caseworker
):
    colleague = make_user("hadi", org_a, "caseworker")
    case = case_open(by=caseworker, household=household)
    boss = logged_in(supervisor)
    boss.post(f"/cases/{case.pk}/step/", {"action": "assign", "assigned_to": other_caseworker.pk})
    case.refresh_from_db()
    assert case.assigned_to == caseworker  # not someone of another organisation
    boss.post(f"/cases/{case.pk}/step/", {"action": "assign", "assigned_to": colleague.pk})
    case.refresh_from_db()
    assert case.assigned_to == colleague
    assert list(
        logged_in(colleague).get("/cases/", {"view": "mine"}).context["page"].object_list
    ) == [case]
    assert case.events.filter(kind="assigned").exists()
