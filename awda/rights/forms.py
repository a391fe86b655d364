from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from awda.common.forms import StyledForm
from awda.rights.models import Anonymisation, CorrectionRequest, RetentionRule
from awda.rights.services import REASON_LIMIT, REQUEST_LIMIT


class _DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class PersonNumberForm(StyledForm):
    """Open a person by their registration number (sent by POST: no number in a URL's
    query string or a log)."""

    number = forms.IntegerField(label=_("Registration number"), min_value=1)


class CorrectionForm(StyledForm):
    received_on = forms.DateField(
        label=_("Received on"), widget=_DateInput(), initial=timezone.localdate
    )
    request = forms.CharField(
        label=_("What the person asked to correct"),
        max_length=REQUEST_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Stored encrypted."),
    )


class DecisionForm(StyledForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            c
            for c in CorrectionRequest.Decision.choices
            if c[0] != CorrectionRequest.Decision.PENDING
        ],
    )
    decided_on = forms.DateField(
        label=_("Decided on"), widget=_DateInput(), initial=timezone.localdate
    )
    decision_note = forms.CharField(
        label=_("What was changed, or why not"),
        max_length=REQUEST_LIMIT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class AnonymiseForm(StyledForm):
    basis = forms.ChoiceField(
        label=_("Basis"),
        choices=[c for c in Anonymisation.Basis.choices if c[0] != Anonymisation.Basis.RETENTION],
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept with the anonymisation, not in the audit trail. No names."),
    )
    confirm = forms.BooleanField(label=_("I understand that this cannot be undone."), required=True)


class RetentionRuleForm(StyledForm):
    record_type = forms.ChoiceField(label=_("Records"), choices=RetentionRule.RecordType.choices)
    after_months = forms.IntegerField(
        label=_("Anonymise after (months)"),
        min_value=RetentionRule.MIN_MONTHS,
        max_value=1200,
        help_text=_("At least 12 months."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
