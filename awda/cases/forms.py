from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from awda.accounts.models import Organisation
from awda.cases.models import Case, FormDefinition, Referral
from awda.common.forms import StyledForm


class ReferralForm(StyledForm):
    receiving_organisation = forms.ModelChoiceField(
        label=_("Receiving organisation"), queryset=Organisation.objects.none()
    )
    case = forms.ModelChoiceField(
        label=_("Case referred"),
        queryset=Case.objects.none(),
        required=False,
        empty_label=_("(the household, no particular case)"),
    )
    shared_forms = forms.MultipleChoiceField(
        label=_("Assessments the receiver may read"),
        choices=[],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only with a case. Nothing else of the case's assessments is shared."),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=Referral.Kind.choices, initial=Referral.Kind.REFERRAL
    )
    service = forms.ChoiceField(label=_("Service"), choices=Referral.Service.choices)
    consent = forms.ChoiceField(
        label=_("Consent"),
        choices=Referral.Consent.choices,
        widget=forms.RadioSelect,
        initial=Referral.Consent.GIVEN,
    )
    consent_note = forms.CharField(
        label=_("Who consented, or why a supervisor decides without consent"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the receiver needs to know to decide. Share no more than needed."),
    )

    def __init__(
        self, *args: Any, own_organisation_id: int, household_id: int, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["case"].queryset = Case.objects.filter(  # type: ignore[attr-defined]
            household_id=household_id, organisation_id=own_organisation_id
        ).exclude(status=Case.Status.CLOSED)
        self.fields["shared_forms"].choices = [  # type: ignore[attr-defined]
            (f.slug, f.title) for f in FormDefinition.objects.all()
        ]
        field = self.fields["receiving_organisation"]
        field.queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        ).exclude(pk=own_organisation_id)


class ResponseForm(StyledForm):
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
