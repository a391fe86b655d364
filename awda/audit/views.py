from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from awda.accounts.roles import Can
from awda.audit.forms import AuditSearchForm
from awda.audit.models import Action
from awda.audit.presentation import readable_changes
from awda.audit.selectors import AuditFilters, audit_search_for_user
from awda.audit.services import audit_record
from awda.common.views import acting_user, paginate, requires


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
