"""Recording and revoking consent (or another legal basis), and the checks that the
uses of data which need it — referral, transfer, tracing, person-level export — make."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from awda.accounts.models import Organisation, User
from awda.accounts.roles import Can
from awda.audit.models import Action
from awda.audit.services import audit_record
from awda.consent.models import Consent, LegalBasis, Purpose
from awda.registry.models import Person

ADULT_AGE = 18


def is_child(person: Person, on: datetime.date | None = None) -> bool:
    age = person.age_on(on or timezone.localdate())
    return age is not None and age < ADULT_AGE


def consent_in_force(
    person: Person, purpose: str, recipient: Organisation | None = None
) -> Consent | None:
    """The record that covers this use of the person's data now, if any: not revoked, not
    refused by the child, and for a referral naming this receiving organisation."""
    rows = Consent.objects.filter(person=person, purpose=purpose, revoked_at__isnull=True).exclude(
        child_assent=Consent.Assent.REFUSED
    )
    if purpose == Purpose.REFERRAL:
        rows = rows.filter(recipient=recipient)
    return rows.order_by("-created_at", "-id").first()


def _check(
    *,
    person: Person,
    purpose: str,
    recipient: Organisation | None,
    legal_basis: str,
    given_by: str,
    caregiver: Person | None,
    child_assent: str,
    note: str,
    given_on: datetime.date,
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if purpose not in Purpose.values:
        errors["purpose"] = [_("Choose the purpose from the list.")]
    if purpose == Purpose.REFERRAL and recipient is None:
        errors["recipient"] = [_("A referral consent names the receiving organisation.")]
    if purpose != Purpose.REFERRAL and recipient is not None:
        errors["recipient"] = [_("Only a referral consent names an organisation.")]
    if recipient is not None and recipient.pk == person.organisation_id:
        errors["recipient"] = [_("Choose another organisation than the one holding the file.")]
    if legal_basis not in LegalBasis.values:
        errors["legal_basis"] = [_("Choose the legal basis from the list.")]
    child = is_child(person, given_on)
    if legal_basis == LegalBasis.CONSENT:
        if given_by not in (Consent.GivenBy.PERSON, Consent.GivenBy.CAREGIVER):
            errors["given_by"] = [_("Say who gave the consent.")]
        elif child and given_by != Consent.GivenBy.CAREGIVER:
            errors["given_by"] = [_("For a child, a parent or caregiver gives the consent.")]
        if child and child_assent not in (
            Consent.Assent.GIVEN,
            Consent.Assent.REFUSED,
            Consent.Assent.NOT_ASKED,
        ):
            errors["child_assent"] = [_("Record the child's own assent (or why it was not asked).")]
    else:
        if given_by:
            errors["given_by"] = [_("Without consent as the basis, nobody gives it.")]
        if len(note.strip()) < 10:
            errors["note"] = [_("Say why this legal basis applies.")]
    if not child and child_assent:
        errors["child_assent"] = [_("Assent is asked of children only.")]
    if caregiver is not None:
        if given_by != Consent.GivenBy.CAREGIVER:
            errors["caregiver"] = [_("Name a caregiver only when the caregiver consented.")]
        elif caregiver.pk == person.pk or is_child(caregiver, given_on):
            errors["caregiver"] = [_("The caregiver is another person, an adult.")]
        elif caregiver.organisation_id != person.organisation_id:
            errors["caregiver"] = [_("Choose the caregiver among the organisation's records.")]
    if given_on > timezone.localdate():
        errors["given_on"] = [_("This date is in the future.")]
    return errors


def consent_record(
    *,
    by: User,
    person: Person,
    purpose: str,
    legal_basis: str,
    recipient: Organisation | None = None,
    given_by: str = "",
    caregiver: Person | None = None,
    child_assent: str = "",
    note: str = "",
    given_on: datetime.date | None = None,
) -> Consent:
    if not by.can(Can.EDIT_REGISTRY) or person.organisation_id != by.organisation_id:
        raise PermissionDenied
    given_on = given_on or timezone.localdate()
    errors = _check(
        person=person,
        purpose=purpose,
        recipient=recipient,
        legal_basis=legal_basis,
        given_by=given_by,
        caregiver=caregiver,
        child_assent=child_assent,
        note=note,
        given_on=given_on,
    )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        consent = Consent.objects.create(
            organisation_id=person.organisation_id,
            person=person,
            purpose=purpose,
            recipient=recipient,
            legal_basis=legal_basis,
            given_by=given_by,
            caregiver=caregiver,
            child_assent=child_assent,
            note=note.strip()[:2000],
            given_on=given_on,
            recorded_by=by,
        )
        audit_record(
            actor=by,
            action=Action.CREATE,
            obj=consent,
            details={
                "person": person.pk,
                "purpose": purpose,
                "recipient": recipient.slug if recipient else None,
                "legal_basis": legal_basis,
                "given_by": given_by,
                "child_assent": child_assent,
            },
        )
    return consent


def consent_revoke(*, by: User, consent: Consent) -> Consent:
    """The person (or caregiver) withdraws: the record stays as history, and what it
    covered stops — an open referral it covered is revoked with it."""
    from awda.cases.models import Referral
    from awda.cases.services import referral_end_on_withdrawn_consent

    if not by.can(Can.EDIT_REGISTRY) or consent.organisation_id != by.organisation_id:
        raise PermissionDenied
    with transaction.atomic():
        updated = Consent.objects.filter(pk=consent.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=by
        )
        if not updated:
            raise ValidationError({"consent": [_("This consent was already withdrawn.")]})
        consent.refresh_from_db()
        audit_record(
            actor=by,
            action=Action.UPDATE,
            obj=consent,
            details={"withdrawn": True, "person": consent.person_id, "purpose": consent.purpose},
        )
        if consent.purpose == Purpose.REFERRAL and consent.person.household_id:
            still = consent_in_force(consent.person, Purpose.REFERRAL, consent.recipient)
            if still is None:
                open_ones = Referral.objects.filter(
                    Q(case__person=consent.person) | Q(case__person__isnull=True),
                    household_id=consent.person.household_id,
                    receiving_organisation=consent.recipient,
                    kind=Referral.Kind.REFERRAL,
                    status__in=[Referral.Status.PENDING, Referral.Status.ACCEPTED],
                )
                for referral in open_ones:
                    referral_end_on_withdrawn_consent(referral=referral, by=by)
    return consent


def referral_subject(household_head: Person | None, case_person: Person | None) -> Person | None:
    """Whose consent a referral rests on: the person a case is about, or else the head of
    the household, who consents for the family."""
    return case_person or household_head


def require_consent_for_referral(
    *,
    by: User,
    subject: Person,
    recipient: Organisation,
    note: str,
) -> Consent:
    """The consent a referral or transfer to `recipient` rests on. An adult's consent
    stated on the referral form is recorded here, with who recorded it and when; a child's
    needs the caregiver's consent and the child's assent recorded first."""
    found = consent_in_force(subject, Purpose.REFERRAL, recipient)
    if found is not None:
        return found
    if is_child(subject):
        raise ValidationError(
            {
                "consent": [
                    _(
                        "Record the caregiver's consent and the child's assent for this "
                        "organisation first (on the person's consent page)."
                    )
                ]
            }
        )
    return consent_record(
        by=by,
        person=subject,
        purpose=Purpose.REFERRAL,
        recipient=recipient,
        legal_basis=LegalBasis.CONSENT,
        given_by=Consent.GivenBy.PERSON,
        note=note,
    )
