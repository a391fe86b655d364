"""Pages of family tracing: a family's requests, the candidates found, contact requests
between organisations, and the family a person belongs to."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from awda.accounts.roles import Can
from awda.common.forms import add_service_errors
from awda.common.numbers import whole_number
from awda.common.views import acting_user, paginate, requires
from awda.consent.models import Purpose
from awda.consent.services import consent_in_force
from awda.registry.selectors import person_get_for_user
from awda.registry.services import EditConflict
from awda.tracing import selectors, services
from awda.tracing.forms import RequestForm
from awda.tracing.models import ContactRequest, TracingRequest


def _messages_from(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@requires(Can.TRACE)
def request_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    status = request.GET.get("status", "")
    queryset = selectors.requests_for_user(user)
    if status in TracingRequest.Status.values:
        queryset = queryset.filter(status=status)
    incoming = selectors.incoming_for_user(user)
    return render(
        request,
        "tracing/request_list.html",
        {
            "page": paginate(request, queryset),
            "status": status,
            "statuses": TracingRequest.Status.choices,
            "waiting": incoming.filter(answer="").count(),
        },
    )


@requires(Can.TRACE)
def request_create(request: HttpRequest, person: int) -> HttpResponse:
    user = acting_user(request)
    requester = person_get_for_user(user, person)
    if requester.organisation_id != user.organisation_id:
        raise Http404
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        sought = services.Sought(
            sex=c["sought_sex"],
            first_name=c["sought_first_name"],
            father_name=c.get("sought_father_name", ""),
            grandfather_name=c.get("sought_grandfather_name", ""),
            family_name=c.get("sought_family_name", ""),
            first_name_lat=c.get("sought_first_name_lat", ""),
            family_name_lat=c.get("sought_family_name_lat", ""),
            birth_year=c.get("sought_birth_year"),
            age=c.get("sought_age"),
        )
        try:
            created = services.request_create(
                by=user,
                requester=requester,
                relationship=c["relationship"],
                sought=sought,
                last_known_place=c.get("last_known_place"),
                last_seen_on=c.get("last_seen_on"),
                separation=c["separation"],
                circumstances=c.get("circumstances", ""),
                consent_override=c.get("consent_override", ""),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Tracing request opened; the registry was searched."))
            return redirect("tracing:request_detail", pk=created.pk)
    return render(
        request,
        "tracing/request_form.html",
        {
            "form": form,
            "requester": requester,
            "has_consent": consent_in_force(requester, Purpose.TRACING) is not None,
            "can_override": user.can(Can.APPROVE_CASES),
        },
    )


@requires(Can.TRACE)
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    tracing = selectors.request_get_for_user(user, pk)
    return render(
        request,
        "tracing/request_detail.html",
        {
            "tracing": tracing,
            "candidates": selectors.candidates_of(user, tracing),
            "outcomes": [
                (code, label)
                for code, label in TracingRequest.Status.choices
                if code in services.OUTCOMES
            ],
            "active": tracing.status in TracingRequest.ACTIVE,
        },
    )


@require_POST
@requires(Can.TRACE)
def request_search(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    tracing = selectors.request_get_for_user(user, pk)
    try:
        found = services.request_search(by=user, request=tracing)
    except ValidationError as error:
        _messages_from(request, error)
    else:
        messages.success(
            request,
            ngettext(
                "Searched again: %(n)s candidate.", "Searched again: %(n)s candidates.", len(found)
            )
            % {"n": len(found)},
        )
    return redirect("tracing:request_detail", pk=tracing.pk)


@require_POST
@requires(Can.TRACE)
def request_outcome(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    tracing = selectors.request_get_for_user(user, pk)
    version = request.POST.get("version", "")
    try:
        services.request_outcome(
            by=user,
            request=tracing,
            outcome=request.POST.get("outcome", ""),
            expected_version=whole_number(version) or 0,
        )
    except ValidationError as error:
        _messages_from(request, error)
    except EditConflict:
        messages.error(request, _("Someone else changed this request; reload and try again."))
    else:
        messages.success(request, _("Recorded."))
    return redirect("tracing:request_detail", pk=tracing.pk)


@require_POST
@requires(Can.TRACE)
def candidate_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = acting_user(request)
    if action not in ("contact", "confirm", "dismiss"):
        raise Http404
    candidate = selectors.candidate_get_for_user(user, pk)
    try:
        if action == "contact":
            services.contact_request_send(by=user, candidate=candidate)
            messages.success(
                request, _("Contact request sent; the other organisation will answer.")
            )
        elif action == "confirm":
            services.candidate_confirm_own(by=user, candidate=candidate)
            messages.success(request, _("Match confirmed."))
        else:
            services.candidate_dismiss(by=user, candidate=candidate)
            messages.success(request, _("Suggestion dismissed."))
    except ValidationError as error:
        _messages_from(request, error)
    return redirect("tracing:request_detail", pk=candidate.request_id)


@requires(Can.TRACE)
def contact_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    return render(
        request,
        "tracing/contact_list.html",
        {
            "page": paginate(
                request, selectors.incoming_for_user(user).order_by("answer", "-sent_at")
            )
        },
    )


@requires(Can.TRACE)
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    contact = selectors.contact_get_for_user(user, pk)
    if request.method == "POST":
        try:
            services.contact_request_answer(
                by=user,
                contact=contact,
                answer=request.POST.get("answer", ""),
                note=request.POST.get("note", "")[:2000],
            )
        except ValidationError as error:
            _messages_from(request, error)
        else:
            messages.success(request, _("Answer sent."))
            return redirect("tracing:contact_detail", pk=contact.pk)
    candidate = contact.candidate
    ours = candidate.person or (
        candidate.other_request.requester if candidate.other_request else None
    )
    return render(
        request,
        "tracing/contact_detail.html",
        {
            "contact": contact,
            "tracing": candidate.request,
            "ours": ours,
            "answers": ContactRequest.Answer.choices,
        },
    )


@requires(Can.VIEW_PERSONAL_DATA)
def person_family(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    person = person_get_for_user(user, pk)
    template = "tracing/_family.html" if request.GET.get("part") else "tracing/family.html"
    return render(
        request,
        template,
        {
            "person": person,
            "relatives": selectors.family_of(user, person),
            "can_trace": user.can(Can.TRACE) and person.organisation_id == user.organisation_id,
        },
    )


@require_POST
@requires(Can.TRACE)
def photo_upload(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    tracing = selectors.request_get_for_user(user, pk)
    upload = request.FILES.get("photo")
    content = (
        b""
        if request.POST.get("remove")
        else (upload.read(services.PHOTO_MAX_BYTES + 1) if upload else b"")
    )
    try:
        services.request_photo_set(by=user, request=tracing, content=content)
    except ValidationError as error:
        _messages_from(request, error)
    else:
        messages.success(request, _("Photo saved.") if content else _("Photo removed."))
    return redirect("tracing:request_detail", pk=tracing.pk)


@requires(Can.TRACE)
def photo(request: HttpRequest, pk: int) -> HttpResponse:
    """The photo, to the organisation that opened the request, and to an organisation
    asked to check with a person (it helps them recognise the relative)."""
    import base64

    user = acting_user(request)
    tracing = selectors.photo_request_for_user(user, pk)
    if not tracing.photo:
        raise Http404
    response = HttpResponse(base64.b64decode(tracing.photo), content_type=tracing.photo_type)
    response["Cache-Control"] = "private, no-store"
    return response
