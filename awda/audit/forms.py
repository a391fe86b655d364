from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from awda.audit.models import Action, Breach
from awda.audit.services import BREACH_FIELDS, BREACH_TEXT_LIMIT, BreachData
from awda.common.forms import StyledForm


class AuditSearchForm(StyledForm):
    username = forms.CharField(label=_("User"), max_length=150, required=False)
    action = forms.ChoiceField(
        label=_("Action"), choices=[("", "—"), *Action.choices], required=False
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class BreachForm(StyledForm):
    """A breach as the data protection officer records it; the service checks the rules."""

    discovered_at = forms.DateTimeField(
        label=_("Found on"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("When the organisation learnt of it: the 72 hours to notify start here."),
    )
    occurred_on = forms.DateField(
        label=_("Happened on"), required=False, widget=_DateInput(), help_text=_("If known.")
    )
    description = forms.CharField(
        label=_("What happened"),
        max_length=BREACH_TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Stored encrypted. Describe the breach, not the people: no names."),
    )
    data_categories = forms.MultipleChoiceField(
        label=_("Data concerned"),
        choices=Breach.DataCategory.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    people_categories = forms.MultipleChoiceField(
        label=_("People concerned"),
        choices=Breach.PeopleCategory.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    people_affected = forms.IntegerField(
        label=_("Estimated number of people affected"), min_value=0, max_value=10_000_000
    )
    containment = forms.CharField(
        label=_("Containment actions"),
        required=False,
        max_length=BREACH_TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was done to stop it and limit the harm. Stored encrypted."),
    )
    authority_notified_on = forms.DateField(
        label=_("Supervisory authority notified on"),
        required=False,
        widget=_DateInput(),
        help_text=_("Leave empty while it has not been notified."),
    )
    people_notified_on = forms.DateField(
        label=_("People affected notified on"),
        required=False,
        widget=_DateInput(),
        help_text=_("Leave empty while they have not been notified."),
    )
    status = forms.ChoiceField(label=_("Status"), choices=Breach.Status.choices)

    @staticmethod
    def initial_for(breach: Breach) -> dict[str, Any]:
        initial = {name: getattr(breach, name) for name in BREACH_FIELDS}
        initial["discovered_at"] = timezone.localtime(breach.discovered_at)
        return initial

    def to_data(self) -> BreachData:
        return BreachData(**{name: self.cleaned_data[name] for name in BREACH_FIELDS})
