"""Writes about the receiving communities: sponsors, sponsorships, acceptance activities
and assessments. Each service checks the rules again, writes in one transaction, records
the audit entry in it (ids and codes only: never a sponsor's contact details, names or
notes) and refreshes the stage of every household the change may move."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from awda.accounts.models import User
from awda.accounts.roles import Can
from awda.audit.models import Action
from awda.audit.services import audit_record, diff, snapshot
from awda.community.models import (
    AcceptanceActivity,
    CommunityActor,
    PlaceAcceptance,
    Sponsorship,
)
from awda.community.selectors import at_or_under
from awda.places.models import CAMP_KINDS, Place
from awda.registry.models import Household
from awda.registry.services import EditConflict
from awda.returns.models import Intention
from awda.returns.pipeline import stage_refresh

ACTOR_FIELDS = ("place", "kind", "name", "affiliation", "contact", "notes", "is_active")
# A sponsor's identity and how to reach them: a leak exposes the people who guarantee
# returnees. The audit says that these changed, never what they are.
SENSITIVE_ACTOR_FIELDS = ("name", "affiliation", "contact", "notes")
NOTE_LIMIT = 2000
TEXT_LIMIT = 5000
# The stages a place's acceptance can move a household between (readiness decides them;
# "registered" in case the stage was not refreshed since the intention was stated); a
# household already scheduled, on its way or home is past them.
STAGES_ACCEPTANCE_DECIDES = (
    Household.Status.REGISTERED,
    Household.Status.INTENTION,
    Household.Status.PREPARING,
    Household.Status.ELIGIBLE,
)


def _require(user: User) -> int:
    """The user's organisation, if the user may manage community work."""
    if not user.can(Can.MANAGE_COMMUNITY) or user.organisation_id is None:
        raise PermissionDenied
    return user.organisation_id


def _raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def _check_date(
    errors: dict[str, list[str]],
    field: str,
    value: datetime.date,
    *,
    not_before: datetime.date | None = None,
    before_label: str = "",
) -> None:
    if value > timezone.localdate():
        errors.setdefault(field, []).append(_("The date is in the future."))
    elif not_before is not None and value < not_before:
        errors.setdefault(field, []).append(
            _("The date is before %(what)s (%(date)s).")
            % {"what": before_label, "date": not_before.isoformat()}
        )


def _check_place(errors: dict[str, list[str]], place: Place | None) -> None:
    if place is None:
        errors.setdefault("place", []).append(_("Choose a place."))
    elif place.kind in CAMP_KINDS:
        errors.setdefault("place", []).append(_("Choose a place families return to, not a camp."))


# --- Community actors -------------------------------------------------------------------


@dataclass
class ActorData:
    place: Place | None
    kind: str
    name: str
    affiliation: str = ""
    contact: str = ""
    notes: str = ""
    is_active: bool = True

    def cleaned(self) -> ActorData:
        return ActorData(
            place=self.place,
            kind=self.kind,
            name=" ".join(self.name.split()),
            affiliation=" ".join(self.affiliation.split()),
            contact=self.contact.strip(),
            notes=self.notes.strip(),
            is_active=self.is_active,
        )


def _check_actor(data: ActorData) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    _check_place(errors, data.place)
    if data.kind not in CommunityActor.Kind.values:
        errors["kind"] = [
            _("Choose a kind: sheikh, mukhtar, religious leader, notable or organisation.")
        ]
    if not data.name:
        errors["name"] = [_("Give the name of the person or organisation.")]
    elif len(data.name) > 200:
        errors["name"] = [_("The name is longer than 200 characters.")]
    if len(data.affiliation) > 200:
        errors["affiliation"] = [_("The affiliation is longer than 200 characters.")]
    if len(data.contact) > NOTE_LIMIT:
        errors["contact"] = [
            ngettext(
                "The contact details are longer than %(n)s character.",
                "The contact details are longer than %(n)s characters.",
                NOTE_LIMIT,
            )
            % {"n": NOTE_LIMIT}
        ]
    if len(data.notes) > TEXT_LIMIT:
        errors["notes"] = [
            ngettext(
                "The notes are longer than %(n)s character.",
                "The notes are longer than %(n)s characters.",
                TEXT_LIMIT,
            )
            % {"n": TEXT_LIMIT}
        ]
    return errors


def actor_create(*, by: User, data: ActorData) -> CommunityActor:
    organisation_id = _require(by)
    data = data.cleaned()
    _raise_if(_check_actor(data))
    with transaction.atomic():
        actor = CommunityActor.objects.create(
            organisation_id=organisation_id,
            place=cast(Place, data.place),  # checked above
            kind=data.kind,
            name=data.name,
            affiliation=data.affiliation,
            contact=data.contact,
            notes=data.notes,
            is_active=data.is_active,
            created_by=by,
        )
        audit_record(
            actor=by,
            action=Action.CREATE,
            obj=actor,
            changes=diff({}, snapshot(actor, ACTOR_FIELDS), sensitive=SENSITIVE_ACTOR_FIELDS),
        )
    return actor


def actor_update(
    *, by: User, actor: CommunityActor, expected_version: int, data: ActorData
) -> CommunityActor:
    organisation_id = _require(by)
    if actor.organisation_id != organisation_id:
        raise PermissionDenied
    data = data.cleaned()
    _raise_if(_check_actor(data))
    with transaction.atomic():
        current = CommunityActor.objects.select_for_update().get(pk=actor.pk)
        if current.version != expected_version:
            raise EditConflict
        before = snapshot(current, ACTOR_FIELDS)
        for name in ACTOR_FIELDS:
            setattr(current, name, getattr(data, name))
        changes = diff(before, snapshot(current, ACTOR_FIELDS), sensitive=SENSITIVE_ACTOR_FIELDS)
        if changes:
            current.version += 1
            current.save()
            audit_record(actor=by, action=Action.UPDATE, obj=current, changes=changes)
    return current


def _note_too_long(limit: int) -> str:
    return ngettext(
        "The note is longer than %(n)s character.",
        "The note is longer than %(n)s characters.",
        limit,
    ) % {"n": limit}


# --- Sponsorships -----------------------------------------------------------------------


def _open_sponsorship_message() -> str:
    return _(
        "This household already has an open sponsorship (requested or agreed). "
        "Withdraw it before requesting another sponsor."
    )


def sponsorship_request(
    *,
    by: User,
    household: Household,
    sponsor: CommunityActor,
    requested_on: datetime.date | None = None,
    note: str = "",
) -> Sponsorship:
    """Ask a sponsor to guarantee a household. A household has at most one open
    sponsorship: the request is refused while another is requested or agreed."""
    organisation_id = _require(by)
    if household.organisation_id != organisation_id:
        raise PermissionDenied
    requested_on = requested_on or timezone.localdate()
    note = note.strip()
    errors: dict[str, list[str]] = {}
    if sponsor.organisation_id != organisation_id:
        errors["sponsor"] = [_("Choose a sponsor from your organisation's list.")]
    elif not sponsor.is_active:
        errors["sponsor"] = [_("This sponsor is marked inactive; choose an active sponsor.")]
    _check_date(errors, "requested_on", requested_on)
    if len(note) > NOTE_LIMIT:
        errors["note"] = [_note_too_long(NOTE_LIMIT)]
    _raise_if(errors)
    with transaction.atomic():
        # One request at a time per household: the lock makes the check below hold.
        Household.objects.select_for_update().only("pk").get(pk=household.pk)
        if Sponsorship.objects.filter(household=household, status__in=Sponsorship.OPEN).exists():
            raise ValidationError({"household": [_open_sponsorship_message()]})
        try:
            with transaction.atomic():
                sponsorship = Sponsorship.objects.create(
                    organisation_id=organisation_id,
                    household=household,
                    sponsor=sponsor,
                    status=Sponsorship.Status.REQUESTED,
                    requested_on=requested_on,
                    note=note,
                    created_by=by,
                )
        except IntegrityError as exc:
            raise ValidationError({"household": [_open_sponsorship_message()]}) from exc
        audit_record(
            actor=by,
            action=Action.CREATE,
            obj=sponsorship,
            details={
                "household": household.pk,
                "sponsor": sponsor.pk,
                "status": sponsorship.status,
                "requested_on": requested_on,
            },
        )
        stage_refresh(household)
    return sponsorship


_STATUS_DATE: dict[str, str] = {
    Sponsorship.Status.REQUESTED: "requested_on",
    Sponsorship.Status.AGREED: "agreed_on",
    Sponsorship.Status.FULFILLED: "fulfilled_on",
    Sponsorship.Status.WITHDRAWN: "withdrawn_on",
}


def _refused(current: Sponsorship, to: str) -> ValidationError:
    status = {"status": current.get_status_display().lower()}
    if current.status == to:
        message = _("This sponsorship is already %(status)s.") % status
    elif to == Sponsorship.Status.AGREED:
        message = _("Only a requested sponsorship can be agreed; this one is %(status)s.") % status
    elif to == Sponsorship.Status.FULFILLED:
        message = (
            _(
                "Only an agreed sponsorship can be fulfilled; this one is %(status)s. "
                "Record the sponsor's agreement first."
            )
            % status
        )
    else:
        message = (
            _("Only a requested or agreed sponsorship can be withdrawn; this one is %(status)s.")
            % status
        )
    return ValidationError({"status": [message]})


def _move(
    *,
    by: User,
    sponsorship: Sponsorship,
    to: str,
    allowed_from: Iterable[str],
    on: datetime.date | None,
    expected_version: int | None,
    reason: str = "",
    note: str = "",
) -> Sponsorship:
    """Move a sponsorship on: only along requested → agreed → fulfilled, or to withdrawn
    from requested or agreed. The date may not be in the future nor before the previous
    step's."""
    organisation_id = _require(by)
    if sponsorship.organisation_id != organisation_id:
        raise PermissionDenied
    on = on or timezone.localdate()
    note = note.strip()
    with transaction.atomic():
        current = (
            Sponsorship.objects.select_for_update()
            .select_related("household")
            .get(pk=sponsorship.pk)
        )
        if expected_version is not None and current.version != expected_version:
            raise EditConflict
        if current.status not in allowed_from:
            raise _refused(current, to)
        errors: dict[str, list[str]] = {}
        previous = current.agreed_on or current.requested_on
        previous_label = _("the sponsor's agreement") if current.agreed_on else _("the request")
        _check_date(errors, _STATUS_DATE[to], on, not_before=previous, before_label=previous_label)
        if to == Sponsorship.Status.WITHDRAWN:
            if reason not in Sponsorship.WithdrawalReason.values:
                errors["withdrawal_reason"] = [_("Choose the reason for the withdrawal.")]
            elif reason == Sponsorship.WithdrawalReason.OTHER and not note:
                errors["note"] = [_("Say in the note why the sponsorship was withdrawn.")]
        if len(current.note) + len(note) + 1 > NOTE_LIMIT:
            errors["note"] = [_note_too_long(NOTE_LIMIT)]
        _raise_if(errors)
        before = current.status
        current.status = to
        setattr(current, _STATUS_DATE[to], on)
        if reason:
            current.withdrawal_reason = reason
        if note:
            current.note = f"{current.note}\n{note}".strip()
        current.version += 1
        current.save()
        details: dict[str, object] = {
            "household": current.household_id,
            "sponsor": current.sponsor_id,
            "on": on,
        }
        if reason:
            details["withdrawal_reason"] = reason
        audit_record(
            actor=by,
            action=Action.UPDATE,
            obj=current,
            changes={"status": [before, to]},
            details=details,
        )
        stage_refresh(current.household)
    return current


def sponsorship_agree(
    *,
    by: User,
    sponsorship: Sponsorship,
    on: datetime.date | None = None,
    expected_version: int | None = None,
    note: str = "",
) -> Sponsorship:
    return _move(
        by=by,
        sponsorship=sponsorship,
        to=Sponsorship.Status.AGREED,
        allowed_from=[Sponsorship.Status.REQUESTED],
        on=on,
        expected_version=expected_version,
        note=note,
    )


def sponsorship_fulfil(
    *,
    by: User,
    sponsorship: Sponsorship,
    on: datetime.date | None = None,
    expected_version: int | None = None,
    note: str = "",
) -> Sponsorship:
    """The family arrived and the sponsor received it."""
    return _move(
        by=by,
        sponsorship=sponsorship,
        to=Sponsorship.Status.FULFILLED,
        allowed_from=[Sponsorship.Status.AGREED],
        on=on,
        expected_version=expected_version,
        note=note,
    )


def sponsorship_withdraw(
    *,
    by: User,
    sponsorship: Sponsorship,
    reason: str,
    note: str = "",
    on: datetime.date | None = None,
    expected_version: int | None = None,
) -> Sponsorship:
    """End a requested or agreed sponsorship, with the reason (community pressure on the
    sponsor among them, counted on the sponsor's record)."""
    return _move(
        by=by,
        sponsorship=sponsorship,
        to=Sponsorship.Status.WITHDRAWN,
        allowed_from=Sponsorship.OPEN,
        on=on,
        expected_version=expected_version,
        reason=reason,
        note=note,
    )


# --- Acceptance -------------------------------------------------------------------------


def activity_record(
    *,
    by: User,
    place: Place,
    kind: str,
    held_on: datetime.date,
    participant_roles: Iterable[str],
    participants: int = 0,
    outcome: str = "",
) -> AcceptanceActivity:
    """A dialogue session, town hall or workshop held at a place; participants are
    counted and described by role, never named."""
    organisation_id = _require(by)
    roles = list(dict.fromkeys(participant_roles))
    outcome = outcome.strip()
    errors: dict[str, list[str]] = {}
    _check_place(errors, place)
    if kind not in AcceptanceActivity.Kind.values:
        errors["kind"] = [_("Choose the kind of activity.")]
    _check_date(errors, "held_on", held_on)
    unknown = [r for r in roles if r not in AcceptanceActivity.Participant.values]
    if unknown:
        errors["participant_roles"] = [
            _("Unknown participant roles: %(codes)s.") % {"codes": ", ".join(map(str, unknown))}
        ]
    elif not roles:
        errors["participant_roles"] = [_("Tick at least one group that took part.")]
    if not 0 <= participants <= 100_000:
        errors["participants"] = [_("Give the number of participants (0 to 100,000).")]
    if len(outcome) > TEXT_LIMIT:
        errors["outcome"] = [
            ngettext(
                "The outcome is longer than %(n)s character.",
                "The outcome is longer than %(n)s characters.",
                TEXT_LIMIT,
            )
            % {"n": TEXT_LIMIT}
        ]
    _raise_if(errors)
    order = list(AcceptanceActivity.Participant.values)
    with transaction.atomic():
        activity = AcceptanceActivity.objects.create(
            organisation_id=organisation_id,
            place=place,
            kind=kind,
            held_on=held_on,
            participant_roles=sorted(roles, key=order.index),
            participants=participants,
            outcome=outcome,
            recorded_by=by,
        )
        audit_record(
            actor=by,
            action=Action.CREATE,
            obj=activity,
            details={"place": place.pk, "kind": kind, "held_on": held_on},
        )
    return activity


def households_bound_for(organisation_id: int, place: Place) -> list[Household]:
    """The organisation's households whose current intention leads to the place or a
    place under it, at a stage its acceptance decides."""
    latest_destination = (
        Intention.objects.filter(household=OuterRef("pk"))
        .order_by("-created_at", "-id")
        .values("destination")[:1]
    )
    destinations = Place.objects.filter(at_or_under(place.pk, prefix="")).values("pk")
    return list(
        Household.objects.filter(
            organisation_id=organisation_id, status__in=STAGES_ACCEPTANCE_DECIDES
        )
        .annotate(current_destination=Subquery(latest_destination))
        .filter(current_destination__in=destinations)
    )


def acceptance_assess(
    *,
    by: User,
    place: Place,
    status: str,
    assessed_on: datetime.date,
    note: str = "",
    activity: AcceptanceActivity | None = None,
) -> PlaceAcceptance:
    """A new assessment of a place's acceptance (the earlier ones stay as its history).
    The households heading there may become ready, or stop being ready."""
    organisation_id = _require(by)
    note = note.strip()
    errors: dict[str, list[str]] = {}
    _check_place(errors, place)
    if status not in PlaceAcceptance.Status.values:
        errors["status"] = [_("Choose the acceptance status.")]
    _check_date(errors, "assessed_on", assessed_on)
    if activity is not None:
        if activity.organisation_id != organisation_id or activity.place_id != place.pk:
            errors["activity"] = [_("Choose an activity your organisation held at this place.")]
        elif activity.held_on > assessed_on:
            errors["activity"] = [_("The activity was held after the assessment date.")]
    if len(note) > TEXT_LIMIT:
        errors["note"] = [_note_too_long(TEXT_LIMIT)]
    _raise_if(errors)
    with transaction.atomic():
        assessment = PlaceAcceptance.objects.create(
            organisation_id=organisation_id,
            place=place,
            status=status,
            assessed_on=assessed_on,
            note=note,
            activity=activity,
            recorded_by=by,
        )
        audit_record(
            actor=by,
            action=Action.CREATE,
            obj=assessment,
            details={
                "place": place.pk,
                "status": status,
                "assessed_on": assessed_on,
                "activity": activity.pk if activity else None,
            },
        )
        for household in households_bound_for(organisation_id, place):
            stage_refresh(household)
    return assessment
