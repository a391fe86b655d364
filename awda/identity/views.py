from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from awda.accounts.roles import Can
from awda.common.models import Task
from awda.common.tasks import task_enqueue
from awda.common.views import acting_user, paginate, requires
from awda.identity import selectors, services
from awda.identity.dedup import INPUT_COLUMNS, InputError


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
        (label, {**item, "text": LEVEL_TEXT.get(item.get("level", ""), item.get("level", ""))})
        for label, item in _evidence_rows(candidate)
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


def _evidence_rows(candidate: Any) -> list[tuple[str, dict[str, Any]]]:
    return [
        (label, candidate.evidence.get(name, {}))
        for name, label in (
            ("fn", _("First name")),
            ("family_line", _("Father, grandfather and family name")),
            ("sex", _("Sex")),
            ("dob", _("Date of birth")),
        )
    ]


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


MAX_LIST_BYTES = 50 * 1024 * 1024

# What the evidence levels say, for the reviewer (see dedup.EVIDENCE_LABELS).
LEVEL_TEXT = {
    "same spelling": gettext_lazy("same spelling"),
    "same skeleton across scripts": gettext_lazy("the same name in the other script"),
    "a rare spelling of the same name": gettext_lazy("a rare spelling of the same name"),
    "close across scripts": gettext_lazy("a close spelling in the other script"),
    "two common names, one skeleton": gettext_lazy("two different common names"),
    "close skeleton": gettext_lazy("close spelling"),
    "different, across scripts": gettext_lazy("different, in the other script"),
    "different": gettext_lazy("different"),
    "father, family (and grandfather)": gettext_lazy("same father and family (and grandfather)"),
    "grandfather taken as family": gettext_lazy("the grandfather written as family name"),
    "father and grandfather": gettext_lazy("same father and grandfather"),
    "father and family": gettext_lazy("same father and family, other grandfather"),
    "close father and family": gettext_lazy("close father and family"),
    "father or family": gettext_lazy("same father or same family only"),
    "same": gettext_lazy("same"),
    "same date": gettext_lazy("same date"),
    "day and month swapped": gettext_lazy("day and month swapped"),
    "same year, one side year only": gettext_lazy("same year (one gives the year only)"),
    "year one apart, same day": gettext_lazy("one year apart, same day and month"),
    "same month, a slipped day": gettext_lazy("same month, a day slipped"),
    "same month, other day": gettext_lazy("same month, another day"),
    "same year": gettext_lazy("same year, another date"),
    "not recorded": gettext_lazy("not recorded"),
}


@requires(Can.REGISTER)
def incoming_list(request: HttpRequest) -> HttpResponse:
    """Upload a registration list to see, before importing it, which rows repeat each
    other or people already registered."""
    user = acting_user(request)
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = _("Choose a CSV file.")
        elif upload.size is not None and upload.size > MAX_LIST_BYTES:
            error = _("The file is larger than 50 MB; split it.")
        else:
            try:
                checking = services.incoming_list_check_start(by=user, content=upload.read())
            except InputError as problem:
                error = str(problem)
            else:
                return redirect("identity:task", pk=checking.pk)
    return render(
        request, "identity/incoming_list.html", {"error": error, "columns": INPUT_COLUMNS}
    )


@requires(Can.VIEW_PERSONAL_DATA)
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A task's progress; the page polls itself (HTMX) until the task ends."""
    current = selectors.task_get_for_user(acting_user(request), pk)
    template = "identity/_task.html" if request.headers.get("HX-Request") else "identity/task.html"
    return render(request, template, {"task": current})
