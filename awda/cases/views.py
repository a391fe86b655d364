from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from awda.accounts.models import User
from awda.accounts.roles import Can
from awda.audit.models import Action
from awda.audit.services import audit_record
from awda.cases import formdefs, selectors, services
from awda.cases.forms import ReferralForm, ResponseForm
from awda.cases.models import (
    Assessment,
    Attachment,
    Case,
    FormDefinition,
    PlanAction,
    Referral,
    ServiceRecord,
)
from awda.common.forms import add_service_errors
from awda.common.numbers import whole_number
from awda.common.views import acting_user, paginate, requires
from awda.registry.selectors import household_get_for_user
from awda.registry.services import EditConflict


@requires(Can.VIEW_PERSONAL_DATA)
def referral_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    referrals = selectors.referrals_for_user(user)
    received = referrals.filter(receiving_organisation_id=user.organisation_id)
    sent = referrals.filter(sending_organisation_id=user.organisation_id)
    return render(
        request,
        "cases/referral_list.html",
        {
            "received": paginate(request, received),
            "sent": sent[:50],
            "can_respond": user.can(Can.RESPOND_TO_REFERRAL),
            "can_refer": user.can(Can.REFER),
        },
    )


@requires(Can.REFER)
def referral_create(request: HttpRequest, household_pk: int) -> HttpResponse:
    user = acting_user(request)
    household = household_get_for_user(user, household_pk, write=True)
    form = ReferralForm(
        request.POST or None,
        own_organisation_id=household.organisation_id,
        household_id=household.pk,
        initial={"case": request.GET.get("case")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.referral_create(
                by=user,
                household=household,
                receiving_organisation=form.cleaned_data["receiving_organisation"],
                kind=form.cleaned_data["kind"],
                service=form.cleaned_data["service"],
                reason=form.cleaned_data["reason"],
                consent=form.cleaned_data["consent"],
                consent_note=form.cleaned_data["consent_note"],
                case=form.cleaned_data["case"],
                shared_forms=form.cleaned_data["shared_forms"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("Sent. Nothing is shared until the receiving organisation accepts.")
            )
            return redirect("registry:household_detail", pk=household.pk)
    return render(request, "cases/referral_form.html", {"form": form, "household": household})


@require_POST
@requires(Can.RESPOND_TO_REFERRAL)
def referral_respond(request: HttpRequest, pk: int, answer: str) -> HttpResponse:
    if answer not in ("accept", "decline", "complete", "revoke"):
        raise Http404
    user = acting_user(request)
    referral = selectors.referral_get_for_user(user, pk)
    if answer in ("complete", "revoke"):
        end = services.referral_complete if answer == "complete" else services.referral_revoke
        try:
            end(referral=referral, by=user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request, _("The referral has ended; the access it gave has ended with it.")
            )
        return redirect("cases:referral_list")
    form = ResponseForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    respond = services.referral_accept if answer == "accept" else services.referral_decline
    try:
        referral = respond(referral=referral, by=user, note=note)
    except ValidationError as error:
        for errors in error.message_dict.values():
            for message in errors:
                messages.error(request, message)
        return redirect("cases:referral_list")
    if referral.status == Referral.Status.ACCEPTED:
        messages.success(request, _("Accepted: the household is now visible to your organisation."))
        return redirect("registry:household_detail", pk=referral.household_id)
    messages.info(request, _("Declined."))
    return redirect("cases:referral_list")


CASELOAD_VIEWS = {
    "mine": gettext_lazy("My cases"),
    "team": gettext_lazy("My team's cases"),
    "overdue": gettext_lazy("Overdue"),
    "approvals": gettext_lazy("Waiting for approval"),
    "referred": gettext_lazy("Referred to us"),
}


@requires(Can.VIEW_PERSONAL_DATA)
def caseload(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    view = request.GET.get("view", "mine")
    if view not in CASELOAD_VIEWS:
        view = "mine"
    page = paginate(request, selectors.caseload_for_user(user, view))
    return render(
        request,
        "cases/caseload.html",
        {
            "page": page,
            "view": view,
            "views": CASELOAD_VIEWS.items(),
            "today": timezone.localdate(),
        },
    )


@requires(Can.MANAGE_CASES)
def case_open(request: HttpRequest, household_pk: int) -> HttpResponse:
    user = acting_user(request)
    household = household_get_for_user(user, household_pk, write=True)
    members = list(household.members.filter(merged_into__isnull=True))
    if request.method == "POST":
        person_id = request.POST.get("person", "")
        person = next((m for m in members if str(m.pk) == person_id), None)
        try:
            case = services.case_open(
                by=user, household=household, person=person, risk=request.POST.get("risk", "medium")
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Case %(ref)s opened.") % {"ref": case.reference})
            return redirect("cases:case_detail", pk=case.pk)
    return render(
        request,
        "cases/case_open.html",
        {"household": household, "members": members, "risks": Case.Risk.choices},
    )


@requires(Can.VIEW_PERSONAL_DATA)
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    case = selectors.case_get_for_user(user, pk)
    own = case.organisation_id == user.organisation_id
    steps = [
        (value, label)
        for value, label in Case.Status.choices
        if value in services.FORWARD[Case.Status(case.status)]
    ]
    return render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            "events": _events(case),
            "follow_ups": case.follow_ups.select_related("assigned_to"),
            "goals": case.goals.prefetch_related("actions__owner"),
            "assessments": selectors.assessments_visible_to(user, case),
            "attachments": case.attachments.all() if own else [],
            "forms": FormDefinition.objects.all(),
            "services": case.services.select_related("referral__receiving_organisation"),
            "notes": case.notes.select_related("written_by"),
            "service_choices": Referral.Service.choices,
            "channels": ServiceRecord.Channel.choices,
            "referrals": case.household.referrals.filter(
                sending_organisation_id=case.organisation_id
            ).select_related("receiving_organisation"),
            "today": timezone.localdate(),
            "steps": steps,
            "statuses": Case.Status.choices,
            # a case referred to the user's organisation is read there, not worked on
            "can_manage": own and user.can(Can.MANAGE_CASES),
            "can_approve": own and user.can(Can.APPROVE_CASES),
            "caseworkers": [
                u
                for u in User.objects.filter(
                    organisation_id=user.organisation_id or 0, is_active=True
                )
                if u.can(Can.MANAGE_CASES)
            ]
            if own
            else [],
        },
    )


def _events(case: Case) -> list[Any]:
    labels = dict(Case.Status.choices)
    events = list(case.events.select_related("by"))
    for event in events:
        moved = event.to_status and event.from_status != event.to_status
        event.to_label = labels.get(event.to_status, "") if moved else ""  # type: ignore[attr-defined]
    return events


@require_POST
@requires(Can.VIEW_PERSONAL_DATA)
def case_act(request: HttpRequest, pk: int) -> HttpResponse:
    """One form, one step: move, send for approval, approve, return, reopen."""
    user = acting_user(request)
    case = selectors.case_get_for_user(user, pk, write=True)
    action = request.POST.get("action", "")
    comment = request.POST.get("comment", "")[:2000]
    # The version the page showed: a step taken on a case someone else changed since is
    # refused rather than applied to what the user did not see.
    version = request.POST.get("version", "")
    expected = whole_number(version)
    try:
        if action == "move":
            services.case_move(
                by=user,
                case=case,
                to=request.POST.get("to", ""),
                comment=comment,
                expected_version=expected,
            )
        elif action in (Case.Approval.CASE_PLAN, Case.Approval.CLOSURE):
            services.case_submit(
                by=user, case=case, what=action, comment=comment, expected_version=expected
            )
        elif action in ("approve", "return"):
            services.case_decide(
                by=user,
                case=case,
                approve=action == "approve",
                comment=comment,
                expected_version=expected,
            )
        elif action == "reopen":
            services.case_reopen(by=user, case=case, comment=comment, expected_version=expected)
        elif action == "assign":
            worker = User.objects.filter(
                pk=_int(request.POST.get("assigned_to")), organisation_id=user.organisation_id or 0
            ).first()
            if worker is None:
                raise ValidationError(_("Choose a caseworker of your organisation."))
            services.case_assign(by=user, case=case, to=worker, expected_version=expected)
        else:
            raise ValidationError(_("Choose a step."))
    except EditConflict:
        messages.error(
            request,
            _(
                "Someone else changed this case meanwhile: nothing was done. Look at it "
                "again, and take the step again if it still applies."
            ),
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("cases:case_detail", pk=case.pk)


@requires(Can.VIEW_PERSONAL_DATA)
def today(request: HttpRequest) -> HttpResponse:
    """What is due: the user's follow-ups (overdue, today, this week), and for a
    supervisor the cases waiting for approval."""
    user = acting_user(request)
    approvals = (
        selectors.caseload_for_user(user, "approvals") if user.can(Can.APPROVE_CASES) else None
    )
    return render(
        request,
        "cases/today.html",
        {"due": selectors.follow_ups_due(user), "approvals": approvals},
    )


@require_POST
@requires(Can.MANAGE_CASES)
def follow_up_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    case = selectors.case_get_for_user(user, pk, write=True)
    due_on = _date(request.POST.get("due_on"))
    try:
        if due_on is None:
            raise ValidationError(_("Give the date it is due."))
        services.follow_up_add(
            by=user, case=case, title=request.POST.get("title", "")[:200], due_on=due_on
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("cases:case_detail", pk=case.pk)


@require_POST
@requires(Can.MANAGE_CASES)
def follow_up_done(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    follow_up = selectors.follow_up_get_for_user(user, pk)
    services.follow_up_done(by=user, follow_up=follow_up)
    if request.POST.get("back") == "today":
        return redirect("cases:today")
    return redirect("cases:case_detail", pk=follow_up.case_id)


def _date(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@require_POST
@requires(Can.MANAGE_CASES)
def case_record(request: HttpRequest, pk: int) -> HttpResponse:
    """Add to the case: a goal, an action towards a goal, a service given, a note."""
    user = acting_user(request)
    case = selectors.case_get_for_user(user, pk, write=True)
    post = request.POST
    what = post.get("what", "")
    try:
        if what == "goal":
            services.goal_add(by=user, case=case, title=post.get("title", ""))
        elif what in ("achieved", "dropped", "open"):
            goal = case.goals.filter(pk=_int(post.get("goal"))).first()
            if goal is None:
                raise Http404
            services.goal_set_status(by=user, goal=goal, status=what)
        elif what == "action":
            goal = case.goals.filter(pk=_int(post.get("goal"))).first()
            due_on = _date(post.get("due_on"))
            if goal is None:
                raise Http404
            if due_on is None:
                raise ValidationError(_("Give the date it is due."))
            services.action_add(
                by=user,
                goal=goal,
                title=post.get("title", ""),
                owner=case.assigned_to or user,
                due_on=due_on,
            )
        elif what == "action_done":
            step = PlanAction.objects.filter(goal__case=case, pk=_int(post.get("action"))).first()
            if step is None:
                raise Http404
            services.action_done(by=user, step=step)
        elif what == "service":
            referral = case.household.referrals.filter(pk=_int(post.get("referral"))).first()
            services.service_record(
                by=user,
                case=case,
                service=post.get("service", ""),
                channel=post.get("channel", ""),
                delivered_on=_date(post.get("delivered_on")) or timezone.localdate(),
                referral=referral,
                note=post.get("note", ""),
            )
        elif what == "note":
            services.note_add(by=user, case=case, text=post.get("text", "")[:10000])
        else:
            raise ValidationError(_("Choose what to add."))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect("cases:case_detail", pk=case.pk)


def _int(value: str | None) -> int:
    """A posted id, or 0 (which no record has)."""
    return whole_number(value) or 0


def _raw_answers(request: HttpRequest, fields: list[dict[str, Any]]) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for field in fields:
        name = field["name"]
        if field["type"] == "select_multiple":
            raw[name] = request.POST.getlist(name)
        else:
            raw[name] = request.POST.get(name, "")
    return raw


def _questions(fields: list[dict[str, Any]], raw: dict[str, Any]) -> list[dict[str, Any]]:
    """The questions to show, in the page's language, given the answers so far."""
    arabic = (get_language() or "ar").startswith("ar")
    shown = {f["name"] for f in formdefs.relevant_fields(fields, raw)}
    questions = []
    for field in fields:
        label = field.get("label") or {}
        questions.append(
            {
                **field,
                "text": (label.get("ar") if arabic else label.get("en"))
                or label.get("en")
                or label.get("ar"),
                "shown": field["name"] in shown,
                "value": raw.get(field["name"], [] if field["type"] == "select_multiple" else ""),
                "options": [
                    (
                        c["name"],
                        (
                            (c.get("label") or {}).get("ar")
                            if arabic
                            else (c.get("label") or {}).get("en")
                        )
                        or c["name"],
                    )
                    for c in field.get("choices") or []
                ],
            }
        )
    return questions


@requires(Can.MANAGE_CASES)
def assessment_new(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    """Fill a form for a case. The page re-draws itself as answers change (HTMX) so that
    the form's skip logic shows and hides questions; the server applies it again on save."""
    user = acting_user(request)
    case = selectors.case_get_for_user(user, pk, write=True)
    form = FormDefinition.objects.filter(slug=slug).first()
    version = form.latest() if form else None
    if version is None:
        raise Http404
    raw = _raw_answers(request, version.fields) if request.method == "POST" else {}
    errors: list[str] = []
    if request.method == "POST" and not request.headers.get("HX-Request"):
        try:
            services.assessment_record(by=user, case=case, version=version, raw=raw)
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(request, _("Assessment saved."))
            return redirect("cases:case_detail", pk=case.pk)
    context = {
        "case": case,
        "form": form,
        "version": version,
        "questions": _questions(version.fields, raw),
        "errors": errors,
    }
    template = (
        "cases/_questions.html"
        if request.headers.get("HX-Request")
        else "cases/assessment_form.html"
    )
    return render(request, template, context)


@requires(Can.VIEW_PERSONAL_DATA)
def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    found = Assessment.objects.filter(pk=pk, case__in=selectors.cases_visible_to(user)).first()
    assessment = (
        selectors.assessments_visible_to(user, found.case).filter(pk=pk).first() if found else None
    )
    if assessment is None:
        raise Http404
    audit_record(
        actor=user, action=Action.VIEW, obj=assessment.case, details={"assessment": assessment.pk}
    )
    questions = _questions(assessment.form_version.fields, assessment.answers)
    return render(
        request, "cases/assessment_detail.html", {"assessment": assessment, "questions": questions}
    )


@requires(Can.MANAGE_FORMS)
def form_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Choose an XLSForm file (.xlsx)."))
        else:
            try:
                version = services.form_import_xlsform(
                    by=user,
                    content=upload.read()[: 10 * 1024 * 1024],
                    slug=request.POST.get("slug", ""),
                )
            except ValidationError as error:
                for message in error.messages:
                    messages.error(request, message)
            else:
                messages.success(
                    request,
                    _("Form %(slug)s, version %(n)s, saved.")
                    % {"slug": version.form.slug, "n": version.number},
                )
        return redirect("cases:form_list")
    forms = FormDefinition.objects.prefetch_related("versions")
    return render(request, "cases/form_list.html", {"forms": forms})


@requires(Can.VIEW_PERSONAL_DATA)
def form_xlsform(request: HttpRequest, slug: str) -> HttpResponse:
    """The latest version as an XLSForm, for KoboToolbox or ODK (offline collection)."""
    form = FormDefinition.objects.filter(slug=slug).first()
    version = form.latest() if form else None
    if form is None or version is None:
        raise Http404
    content = formdefs.to_xlsform(
        slug=form.slug, title=form.title_en, version=version.number, fields=version.fields
    )
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{form.slug}-v{version.number}.xlsx"'
    return response


@require_POST
@requires(Can.MANAGE_CASES)
def attachment_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    case = selectors.case_get_for_user(user, pk, write=True)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise ValidationError(_("Choose a file."))
        if upload.size is not None and upload.size > settings.ATTACHMENT_MAX_BYTES:
            raise ValidationError(
                _("The file is larger than %(mb)s MB.")
                % {"mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)}
            )
        services.attachment_add(
            by=user, case=case, title=request.POST.get("title", ""), content=upload.read()
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("File attached (stored encrypted)."))
    return redirect("cases:case_detail", pk=case.pk)


@requires(Can.VIEW_PERSONAL_DATA)
def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The file, decrypted for this download only; attachments are for the case's own
    organisation (a referral shares the case and its chosen assessments, not its files)."""
    user = acting_user(request)
    attachment = (
        Attachment.objects.filter(pk=pk, case__organisation_id=user.organisation_id or 0)
        .select_related("case")
        .first()
    )
    if attachment is None:
        raise Http404
    content = services.attachment_read(by=user, attachment=attachment)
    response = HttpResponse(content, content_type=attachment.content_type)
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[
        attachment.content_type
    ]
    response["Content-Disposition"] = (
        f'attachment; filename="attachment-{attachment.pk}.{extension}"'
    )
    response["Cache-Control"] = "no-store"
    return response
