from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from awda.accounts.roles import Can
from awda.common.forms import add_service_errors
from awda.common.views import acting_user, requires
from awda.consent import selectors, services
from awda.consent.forms import ConsentForm
from awda.consent.services import is_child
from awda.registry.selectors import person_get_for_user


@requires(Can.VIEW_PERSONAL_DATA)
def person_consents(request: HttpRequest, pk: int) -> HttpResponse:
    """A person's consents and legal bases, with their history; the form to record one
    for staff of the organisation holding the file."""
    user = acting_user(request)
    person = person_get_for_user(user, pk)
    can_record = user.can(Can.EDIT_REGISTRY) and person.organisation_id == user.organisation_id
    form = ConsentForm(request.POST or None, person=person)
    if request.method == "POST":
        if not can_record:
            raise Http404
        if form.is_valid():
            c = form.cleaned_data
            try:
                services.consent_record(
                    by=user,
                    person=person,
                    purpose=c["purpose"],
                    recipient=c.get("recipient"),
                    legal_basis=c["legal_basis"],
                    given_by=c.get("given_by") or "",
                    caregiver=c.get("caregiver"),
                    child_assent=c.get("child_assent") or "",
                    note=c.get("note", ""),
                    given_on=c["given_on"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Recorded."))
                return redirect("consent:person", pk=person.pk)
    return render(
        request,
        "consent/person.html",
        {
            "person": person,
            "consents": selectors.consents_of(user, person),
            "form": form if can_record else None,
            "child": is_child(person),
        },
    )


@require_POST
@requires(Can.EDIT_REGISTRY)
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    consent = selectors.consents_visible_to(user).filter(pk=pk).first()
    if consent is None or consent.organisation_id != user.organisation_id:
        raise Http404
    try:
        services.consent_revoke(by=user, consent=consent)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Withdrawn. What it covered has stopped."))
    return redirect("consent:person", pk=consent.person_id)
