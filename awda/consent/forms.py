from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from awda.accounts.models import Organisation
from awda.common.forms import StyledForm
from awda.consent.models import Consent, LegalBasis, Purpose
from awda.registry.models import Person


class ConsentForm(StyledForm):
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Purpose.choices)
    recipient = forms.ModelChoiceField(
        label=_("Receiving organisation (referral)"),
        queryset=Organisation.objects.none(),
        required=False,
    )
    legal_basis = forms.ChoiceField(
        label=_("Legal basis"), choices=LegalBasis.choices, initial=LegalBasis.CONSENT
    )
    given_by = forms.ChoiceField(
        label=_("Given by"), choices=Consent.GivenBy.choices, required=False
    )
    caregiver = forms.ModelChoiceField(
        label=_("Caregiver"), queryset=Person.objects.none(), required=False
    )
    child_assent = forms.ChoiceField(
        label=_("Child's assent"), choices=Consent.Assent.choices, required=False
    )
    note = forms.CharField(
        label=_("Note (required for a basis other than consent)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    given_on = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        initial=timezone.localdate,
    )

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recipient"].queryset = Organisation.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        ).exclude(pk=person.organisation_id)
        others = Person.objects.none()
        if person.household_id:
            others = Person.objects.filter(household_id=person.household_id).exclude(pk=person.pk)
        self.fields["caregiver"].queryset = others  # type: ignore[attr-defined]
        self.fields["caregiver"].label_from_instance = lambda p: p.display_name  # type: ignore[attr-defined]
