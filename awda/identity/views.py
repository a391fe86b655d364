from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from awda.accounts.roles import Can
from awda.common.models import Task
from awda.common.tasks import task_enqueue
from awda.common.views import acting_user, paginate, requires
from awda.identity import selectors, services


@requires(Can.REVIEW_DUPLICATES)
def candidate_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if request.method == "POST":
        scan = task_enqueue(kind="identity.scan", by=user)
        return redirect("identity:task", pk=scan.pk)
    last_scan = Task.objects.filter(kind="identity.scan").order_by("-created_at").first()
    return render(
        request,
        "identity/candidate_list.html",
        {"page": paginate(request, selectors.candidates_for_user(user)), "last_scan": last_scan},
    )


@requires(Can.REVIEW_DUPLICATES)
def candidate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    candidate = selectors.candidate_get_for_user(user, pk)
    if request.method == "POST":
        decision = request.POST.get("decision")
        note = request.POST.get("note", "")[:1000]
        try:
            if decision == "reject":
                services.candidate_reject(candidate=candidate, by=user, note=note)
                messages.success(request, _("Marked as two different people."))
            elif decision in ("keep_a", "keep_b"):
                survivor = candidate.person_a if decision == "keep_a" else candidate.person_b
                services.candidate_merge(candidate=candidate, by=user, survivor=survivor, note=note)
                messages.success(
                    request,
                    _("Merged. Both registrations stay in the history; the merge can be undone."),
                )
                return redirect("registry:person_detail", pk=survivor.pk)
            else:
                messages.error(request, _("Choose what to do with this pair."))
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        return redirect("identity:candidate_list")
    rows = [
        (label, candidate.evidence.get(name, {}))
        for name, label in (
            ("fn", _("First name")),
            ("family_line", _("Father, grandfather and family name")),
            ("sex", _("Sex")),
            ("dob", _("Date of birth")),
        )
    ]
    return render(
        request,
        "identity/candidate_detail.html",
        {
            "candidate": candidate,
            "a": candidate.person_a,
            "b": candidate.person_b,
            "evidence": rows,
        },
    )


@require_POST
@requires(Can.REVIEW_DUPLICATES)
def merge_undo(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    merge = selectors.merge_get_for_user(user, pk)
    try:
        services.merge_undo(merge=merge, by=user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request, _("The merge is undone: the two registrations are separate again.")
        )
    return redirect("registry:person_detail", pk=merge.merged_id)


@requires(Can.REVIEW_DUPLICATES)
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A task's progress; the page polls itself (HTMX) until the task ends."""
    current = selectors.task_get_for_user(acting_user(request), pk)
    template = "identity/_task.html" if request.headers.get("HX-Request") else "identity/task.html"
    return render(request, template, {"task": current})
