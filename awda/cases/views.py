from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from awda.accounts.roles import Can
from awda.cases import selectors, services
from awda.cases.forms import ReferralForm, ResponseForm
from awda.cases.models import Referral
from awda.common.views import acting_user, paginate, requires
from awda.registry.selectors import household_get_for_user


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
        },
    )


@requires(Can.REFER)
def referral_create(request: HttpRequest, household_pk: int) -> HttpResponse:
    user = acting_user(request)
    household = household_get_for_user(user, household_pk, write=True)
    form = ReferralForm(request.POST or None, own_organisation_id=household.organisation_id)
    if request.method == "POST" and form.is_valid():
        try:
            services.referral_create(
                by=user,
                household=household,
                receiving_organisation=form.cleaned_data["receiving_organisation"],
                kind=form.cleaned_data["kind"],
                service=form.cleaned_data["service"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(
                request, _("Sent. Nothing is shared until the receiving organisation accepts.")
            )
            return redirect("registry:household_detail", pk=household.pk)
    return render(request, "cases/referral_form.html", {"form": form, "household": household})


@require_POST
@requires(Can.RESPOND_TO_REFERRAL)
def referral_respond(request: HttpRequest, pk: int, answer: str) -> HttpResponse:
    if answer not in ("accept", "decline"):
        raise Http404
    user = acting_user(request)
    referral = selectors.referral_get_for_user(user, pk)
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
