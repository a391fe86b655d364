from __future__ import annotations

import logging
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from awda.accounts.roles import Can
from awda.collect import selectors, services, xlsform
from awda.common.views import acting_user, requires

logger = logging.getLogger(__name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _imports_url() -> str:
    try:
        return reverse("imports:batch_list")
    except NoReverseMatch:
        return ""


@login_required
def index(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if not selectors.may_collect(user):
        raise PermissionDenied
    forms = selectors.collectable_forms(user)
    return render(
        request,
        "collect/index.html",
        {
            "forms": forms,
            "kinds": [
                (kind, title, [f for f in forms if f.kind == kind])
                for kind, title in (
                    ("registration", _("Household registration")),
                    ("survey", _("Reintegration surveys")),
                    ("screening", _("Psychosocial screenings")),
                    ("assessment", _("Case assessments")),
                )
                if any(f.kind == kind for f in forms)
            ],
            "imports_url": _imports_url(),
            "can_import": user.can(Can.IMPORT_DATA),
        },
    )


def _download(
    request: HttpRequest, make: Callable[[], xlsform.XLSForm], obj: models.Model | None = None
) -> HttpResponse:
    form = make()
    try:
        content = services.xlsform_export(by=acting_user(request), form=form, obj=obj)
    except xlsform.XLSFormError as error:
        # the class only: pyxform's message may quote the form's labels
        logger.error("XLSForm %s refused by pyxform: %s", form.form_id, type(error.cause).__name__)
        messages.error(
            request,
            _(
                "This form cannot be turned into a valid XLSForm, so it is not offered for "
                "download. Ask the administrator who manages the forms to check it."
            ),
        )
        return redirect("collect:index")
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{form.filename}"'
    return response


@requires(Can.REGISTER)
def registration(request: HttpRequest) -> HttpResponse:
    return _download(request, xlsform.registration_form)


@requires(Can.RECORD_FOLLOW_UP)
def survey(request: HttpRequest, code: str) -> HttpResponse:
    instrument = selectors.survey_for_collection(code)
    return _download(request, lambda: xlsform.survey_form(instrument), instrument)


@requires(Can.RECORD_MHPSS)
def screening(request: HttpRequest, code: str) -> HttpResponse:
    found = selectors.screening_for_collection(code)
    return _download(request, lambda: xlsform.screening_form(found))


@requires(Can.MANAGE_CASES)
def assessment(request: HttpRequest, slug: str) -> HttpResponse:
    version = selectors.assessment_for_collection(slug)
    return _download(request, lambda: xlsform.assessment_form(version), version)
