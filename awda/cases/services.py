"""Referrals and transfers of households between organisations.

For now a referral shares a household (read-only) with the receiver once accepted; the
case-management work extends it to cases, forms and consent."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from awda.accounts.models import Organisation, User
from awda.accounts.roles import Can
from awda.audit.models import Action
from awda.audit.services import audit_record
from awda.cases.models import Referral
from awda.registry.models import Household, Person


def referral_create(
    *,
    by: User,
    household: Household,
    receiving_organisation: Organisation,
    kind: str,
    service: str,
    reason: str = "",
) -> Referral:
    if not by.can(Can.REFER) or household.organisation_id != by.organisation_id:
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if receiving_organisation.pk == by.organisation_id:
        errors["receiving_organisation"] = [_("Choose another organisation than yours.")]
    elif not receiving_organisation.is_active:
        errors["receiving_organisation"] = [_("This organisation is no longer active.")]
    if kind not in Referral.Kind.values:
        errors["kind"] = [_("Choose referral or transfer.")]
    if service not in Referral.Service.values:
        errors["service"] = [_("Choose a service from the list.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        open_one = Referral.objects.filter(
            household=household,
            receiving_organisation=receiving_organisation,
            status__in=[Referral.Status.PENDING, Referral.Status.ACCEPTED],
            kind=kind,
            service=service,
        ).exists()
        if open_one:
            raise ValidationError(
                {
                    "receiving_organisation": [
                        _("An open referral for this service to this organisation already exists.")
                    ]
                }
            )
        referral = Referral.objects.create(
            household=household,
            kind=kind,
            sending_organisation_id=by.organisation_id,
            receiving_organisation=receiving_organisation,
            service=service,
            reason=reason,
            created_by=by,
        )
        audit_record(
            actor=by,
            action=Action.REFER,
            obj=household,
            details={
                "referral": referral.pk,
                "kind": kind,
                "to": receiving_organisation.slug,
                "service": service,
            },
        )
    return referral


def _respond(*, referral: Referral, by: User, status: str, note: str) -> Referral:
    if (
        not by.can(Can.RESPOND_TO_REFERRAL)
        or referral.receiving_organisation_id != by.organisation_id
    ):
        raise PermissionDenied
    with transaction.atomic():
        current = Referral.objects.select_for_update().get(pk=referral.pk)
        if current.status != Referral.Status.PENDING:
            raise ValidationError({"status": [_("This referral has already been answered.")]})
        current.status = status
        current.responded_by = by
        current.responded_at = timezone.now()
        current.response_note = note
        current.save()
        if status == Referral.Status.ACCEPTED and current.kind == Referral.Kind.TRANSFER:
            _transfer_ownership(current, by)
        audit_record(
            actor=by,
            action=Action.ACCEPT if status == Referral.Status.ACCEPTED else Action.DECLINE,
            obj=current.household,
            details={"referral": current.pk, "kind": current.kind},
        )
    return current


def _transfer_ownership(referral: Referral, by: User) -> None:
    household = Household.objects.select_for_update().get(pk=referral.household_id)
    if household.organisation_id != referral.sending_organisation_id:
        raise ValidationError(
            {"status": [_("The household has changed hands since the transfer was sent.")]}
        )
    if Household.objects.filter(
        organisation_id=referral.receiving_organisation_id, reference=household.reference
    ).exists():
        raise ValidationError(
            {
                "status": [
                    _(
                        "Your organisation already uses the reference %(ref)s; "
                        "ask the sender to change it."
                    )
                    % {"ref": household.reference}
                ]
            }
        )
    old = household.organisation_id
    household.organisation_id = referral.receiving_organisation_id
    household.version += 1
    household.save()
    Person.objects.filter(household=household).update(
        organisation_id=referral.receiving_organisation_id
    )
    audit_record(
        actor=by,
        action=Action.UPDATE,
        obj=household,
        changes={"organisation": [old, referral.receiving_organisation_id]},
        details={"referral": referral.pk},
    )


def referral_accept(*, referral: Referral, by: User, note: str = "") -> Referral:
    return _respond(referral=referral, by=by, status=Referral.Status.ACCEPTED, note=note)


def referral_decline(*, referral: Referral, by: User, note: str = "") -> Referral:
    return _respond(referral=referral, by=by, status=Referral.Status.DECLINED, note=note)
