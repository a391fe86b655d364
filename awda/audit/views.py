from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from awda.accounts.roles import Can
from awda.audit.forms import AuditSearchForm, BreachForm
from awda.audit.models import Action
from awda.audit.presentation import readable_changes
from awda.audit.selectors import (
    AuditFilters,
    audit_search_for_user,
    breach_get_for_user,
    breach_list_for_user,
)
from awda.audit.services import audit_record, breach_record, breach_update
from awda.common.views import acting_user, paginate, requires
from awda.registry.forms import VersionForm
from awda.registry.services import EditConflict


@requires(Can.SEARCH_AUDIT)
def audit_log(request: HttpRequest) -> HttpResponse:
    """The data protection officer's view of what their organisation's users did."""
    user = acting_user(request)
    form = AuditSearchForm(request.GET or None)
    filters = AuditFilters(**form.cleaned_data) if form.is_valid() else AuditFilters()
    page = paginate(request, audit_search_for_user(user, filters), per_page=50)
    changes = readable_changes(page.object_list)
    audit_record(
        actor=user,
        action=Action.LIST,
        details={
            "object_type": "audit.auditentry",
            "filters": {k: v for k, v in vars(filters).items() if v},
            "page": page.number,
        },
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/audit_log.html",
        {
            "form": form,
            "page": page,
            "rows": [(entry, changes[entry.pk]) for entry in page.object_list],
            "query": query,
        },
    )


# --- The breach log ------------------------------------------------------------------------

CONFLICT = gettext_lazy(
    "Someone else changed this record while you were working on it: your changes were not "
    "saved. The record as it is now is shown beside your changes; make them again on it."
)


def _errors_onto(error: ValidationError, form: BaseForm) -> None:
    for field, problems in error.message_dict.items():
        for message in problems:
            form.add_error(field if field in form.fields else None, message)


@requires(Can.SEARCH_AUDIT)
def breach_list(request: HttpRequest) -> HttpResponse:
    """The organisation's breach log, latest found first."""
    user = acting_user(request)
    page = paginate(request, breach_list_for_user(user), per_page=25)
    audit_record(
        actor=user,
        action=Action.LIST,
        details={
            "object_type": "audit.breach",
            "ids": [breach.pk for breach in page.object_list],
            "page": page.number,
        },
    )
    return render(request, "audit/breach_list.html", {"page": page, "now": timezone.now()})


@requires(Can.SEARCH_AUDIT)
def breach_create(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    now = timezone.localtime().replace(second=0, microsecond=0)
    form = BreachForm(request.POST or None, initial={"discovered_at": now})
    if request.method == "POST" and form.is_valid():
        try:
            breach = breach_record(by=user, data=form.to_data())
        except ValidationError as error:
            _errors_onto(error, form)
        else:
            messages.success(request, _("Saved."))
            return redirect("breaches:detail", pk=breach.pk)
    return render(request, "audit/breach_form.html", {"form": form, "creating": True})


@requires(Can.SEARCH_AUDIT)
def breach_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    breach = breach_get_for_user(user, pk)
    audit_record(actor=user, action=Action.VIEW, obj=breach)
    return render(request, "audit/breach_detail.html", {"breach": breach, "now": timezone.now()})


@requires(Can.SEARCH_AUDIT)
def breach_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    breach = breach_get_for_user(user, pk)
    current = None
    if request.method == "POST":
        form = BreachForm(request.POST)
        version = VersionForm(request.POST)
        if form.is_valid() and version.is_valid():
            try:
                breach_update(
                    by=user,
                    breach=breach,
                    expected_version=version.cleaned_data["version"],
                    data=form.to_data(),
                )
            except EditConflict:
                form.add_error(None, CONFLICT)
                current = breach  # read afresh above: the version saved in between
                version = VersionForm(initial={"version": breach.version})
            except ValidationError as error:
                _errors_onto(error, form)
            else:
                messages.success(request, _("Saved."))
                return redirect("breaches:detail", pk=breach.pk)
    else:
        form = BreachForm(initial=BreachForm.initial_for(breach))
        version = VersionForm(initial={"version": breach.version})
    return render(
        request,
        "audit/breach_form.html",
        {"form": form, "version_form": version, "breach": breach, "current": current},
    )
