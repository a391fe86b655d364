"""The data protection officer's pages: a person's rights (subject access export,
correction requests, anonymisation), and the organisation's retention rules with the
report of what they would anonymise."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from awda.accounts.roles import Can
from awda.audit.models import Action
from awda.audit.services import audit_record
from awda.common.views import acting_user, requires
from awda.registry.services import EditConflict
from awda.rights import selectors, services
from awda.rights.forms import (
    AnonymiseForm,
    CorrectionForm,
    DecisionForm,
    PersonNumberForm,
    RetentionRuleForm,
)
from awda.rights.models import RetentionRule
from awda.rights.retention import retention_plan

# The data protection officer's role: Can.SEARCH_AUDIT is theirs alone.
OFFICER = Can.SEARCH_AUDIT
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "pdf": "application/pdf"}


def _errors_onto(error: ValidationError, form: BaseForm) -> None:
    for field, problems in error.message_dict.items():
        for message in problems:
            form.add_error(field if field in form.fields else None, message)


@requires(OFFICER)
def index(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    form = PersonNumberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        return redirect("rights:person", pk=form.cleaned_data["number"])
    return render(
        request,
        "rights/index.html",
        {
            "form": form,
            "pending": selectors.pending_corrections_for_user(user)[:50],
            "anonymisations": selectors.anonymisations_for_user(user)[:50],
        },
    )


def _person_page(
    request: HttpRequest,
    pk: int,
    *,
    correction_form: CorrectionForm | None = None,
    anonymise_form: AnonymiseForm | None = None,
    decision_forms: dict[int, DecisionForm] | None = None,
) -> HttpResponse:
    user = acting_user(request)
    person = selectors.person_for_officer(user, pk)
    corrections = list(selectors.corrections_of(person))
    forms = decision_forms or {}
    return render(
        request,
        "rights/person.html",
        {
            "person": person,
            "anonymisation": selectors.anonymisation_of(person),
            "corrections": [
                (c, forms.get(c.pk) or DecisionForm(initial={"version": c.version}))
                for c in corrections
            ],
            "correction_form": correction_form or CorrectionForm(),
            "anonymise_form": anonymise_form or AnonymiseForm(),
        },
    )


@requires(OFFICER)
def person(request: HttpRequest, pk: int) -> HttpResponse:
    return _person_page(request, pk)


@requires(OFFICER)
def export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    user = acting_user(request)
    person = selectors.person_for_officer(user, pk)
    content = services.subject_access_export(by=user, person=person, fmt=fmt)
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"subject-access-{person.pk}.{fmt}"
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@requires(OFFICER)
def correction_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    person = selectors.person_for_officer(user, pk)
    form = CorrectionForm(request.POST)
    if form.is_valid():
        try:
            services.correction_record(by=user, person=person, **form.cleaned_data)
        except ValidationError as error:
            _errors_onto(error, form)
        else:
            messages.success(request, _("Recorded."))
            return redirect("rights:person", pk=person.pk)
    return _person_page(request, pk, correction_form=form)


@require_POST
@requires(OFFICER)
def correction_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    correction = selectors.correction_for_officer(user, pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.correction_decide(
                by=user,
                correction=correction,
                expected_version=data["version"],
                decision=data["decision"],
                note=data["decision_note"],
                decided_on=data["decided_on"],
            )
        except EditConflict:
            form.add_error(
                None,
                _("Someone else decided on this request meanwhile; read it again below."),
            )
        except ValidationError as error:
            _errors_onto(error, form)
        else:
            messages.success(request, _("Saved."))
            return redirect("rights:person", pk=correction.person_id)
    return _person_page(request, correction.person_id, decision_forms={correction.pk: form})


@require_POST
@requires(OFFICER)
def anonymise(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    person = selectors.person_for_officer(user, pk)
    form = AnonymiseForm(request.POST)
    if form.is_valid():
        try:
            services.anonymise_person(
                by=user,
                person=person,
                reason=form.cleaned_data["reason"],
                basis=form.cleaned_data["basis"],
            )
        except ValidationError as error:
            _errors_onto(error, form)
        else:
            messages.success(request, _("Anonymised."))
            return redirect("rights:person", pk=person.pk)
    return _person_page(request, pk, anonymise_form=form)


# -- retention ------------------------------------------------------------------------------


@requires(OFFICER)
def retention(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    form = RetentionRuleForm(request.POST or None, initial={"is_active": True})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.retention_rule_save(
                by=user,
                record_type=data["record_type"],
                after_months=data["after_months"],
                is_active=data["is_active"],
            )
        except ValidationError as error:
            _errors_onto(error, form)
        else:
            messages.success(request, _("Saved."))
            return redirect("rights:retention")
    return render(
        request, "rights/retention.html", {"rules": selectors.rules_for_user(user), "form": form}
    )


def _describe(rule: RetentionRule) -> str:
    state = _("active") if rule.is_active else _("paused")
    return ngettext(
        "%(records)s, after %(months)s month, %(state)s",
        "%(records)s, after %(months)s months, %(state)s",
        rule.after_months,
    ) % {
        "records": rule.get_record_type_display(),
        "months": rule.after_months,
        "state": state,
    }


@requires(OFFICER)
def retention_rule(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    rule = selectors.rule_for_officer(user, pk)
    initial = {
        "record_type": rule.record_type,
        "after_months": rule.after_months,
        "is_active": rule.is_active,
        "version": rule.version,
    }
    form = RetentionRuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.retention_rule_save(
                by=user,
                rule=rule,
                expected_version=data["version"],
                record_type=data["record_type"],
                after_months=data["after_months"],
                is_active=data["is_active"],
            )
        except EditConflict:
            # `rule` was read in this request: it is the rule as saved meanwhile. The form
            # keeps what was typed, on the current version, for a second look.
            again = request.POST.copy()
            again["version"] = str(rule.version)
            form = RetentionRuleForm(again)
            form.is_valid()
            form.add_error(
                None,
                _("Someone else changed this rule meanwhile; it is now: %(rule)s.")
                % {"rule": _describe(rule)},
            )
        except ValidationError as error:
            _errors_onto(error, form)
        else:
            messages.success(request, _("Saved."))
            return redirect("rights:retention")
    return render(request, "rights/retention_rule.html", {"rule": rule, "form": form})


@requires(OFFICER)
def retention_report(request: HttpRequest) -> HttpResponse:
    """The dry run: what each active rule would anonymise today, by record number."""
    user = acting_user(request)
    plans = retention_plan(organisation_id=user.organisation_id)
    audit_record(
        actor=user,
        action=Action.LIST,
        details={
            "object_type": "rights.retentionrule",
            "retention_report": [plan.rule.pk for plan in plans],
        },
    )
    return render(request, "rights/retention_report.html", {"plans": plans})
