"""Writes to the registry. Each service checks the domain rules again, writes in one
transaction, and records what changed in the audit trail in that same transaction."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from awda.accounts.models import Organisation, User
from awda.accounts.roles import Can
from awda.audit.models import Action
from awda.audit.services import (
    AuditEvent,
    audit_record,
    audit_record_many,
    diff,
    event_for,
    snapshot,
)
from awda.common.bulk import insert_rows
from awda.identity.models import NameKey
from awda.identity.services import name_keys_insert, name_keys_refresh
from awda.places.models import Place
from awda.registry import validation
from awda.registry.models import CivilDocument, Household, Membership, Person, SpecificNeed

HOUSEHOLD_FIELDS = (
    "reference",
    "camp",
    "camp_section",
    "camp_block",
    "tent",
    "origin",
    "destination",
    "nationality",
    "registered_on",
)
PERSON_FIELDS = (
    *validation.ARABIC_FIELDS,
    *validation.LATIN_FIELDS,
    "sex",
    "date_of_birth",
    "dob_precision",
    "nationality",
    "relationship",
    "household",
)
# Specific needs reveal protection concerns (torture, SGBV): the audit says that they
# changed, never what they are. Names and the date of birth likewise: the audit trail is
# append-only and hash-chained, so what it holds can never be erased or anonymised (a
# person's right), and it must not keep a copy of who the person is.
SENSITIVE_PERSON_FIELDS = (
    "needs",
    *validation.ARABIC_FIELDS,
    *validation.LATIN_FIELDS,
    "date_of_birth",
)


class EditConflict(Exception):
    """Someone else saved the record after it was opened: reload and redo the change."""


@dataclass
class PersonData:
    first_name_ar: str = ""
    father_name_ar: str = ""
    grandfather_name_ar: str = ""
    family_name_ar: str = ""
    first_name_lat: str = ""
    father_name_lat: str = ""
    grandfather_name_lat: str = ""
    family_name_lat: str = ""
    sex: str = ""
    date_of_birth: datetime.date | None = None
    dob_precision: str = ""
    nationality: str = ""
    relationship: str = ""
    documents: dict[str, str] = field(default_factory=dict)  # kind -> held / missing
    needs: set[str] = field(default_factory=set)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> PersonData:
        known = {k: v for k, v in values.items() if k in cls.__dataclass_fields__}
        data = cls(**known)
        for name in (*validation.ARABIC_FIELDS, *validation.LATIN_FIELDS):
            setattr(data, name, validation.clean_name(getattr(data, name)))
        data.documents = {k: v for k, v in (data.documents or {}).items() if v}
        data.needs = set(data.needs or ())
        return data

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass
class HouseholdData:
    camp: Place
    nationality: str
    reference: str = ""
    camp_section: Place | None = None
    camp_block: Place | None = None
    tent: str = ""
    origin: Place | None = None
    destination: Place | None = None
    registered_on: datetime.date | None = None


def _require(user: User, capability: Can) -> None:
    if not user.can(capability):
        raise PermissionDenied


def _raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def _check_household(data: HouseholdData) -> dict[str, list[str]]:
    errors = validation.check_camp_address(data.camp, data.camp_section, data.camp_block)
    errors |= validation.check_community(data.origin, "origin")
    errors |= validation.check_community(data.destination, "destination")
    if data.registered_on is not None and data.registered_on > timezone.localdate():
        errors["registered_on"] = [_("The registration date is in the future.")]
    return errors


def _check_person(data: PersonData) -> dict[str, list[str]]:
    errors = validation.check_person(data.as_dict())
    bad_documents = set(data.documents) - set(CivilDocument.Kind.values)
    bad_statuses = set(data.documents.values()) - set(CivilDocument.Status.values)
    if bad_documents or bad_statuses:
        errors["documents"] = [
            _("Unknown document or status: %(v)s")
            % {"v": ", ".join(sorted(bad_documents | bad_statuses))}
        ]
    if data.needs - set(SpecificNeed.Code.values):
        errors["needs"] = [
            _("Unknown specific need: %(v)s")
            % {"v": ", ".join(sorted(data.needs - set(SpecificNeed.Code.values)))}
        ]
    return errors


def _person_state(person: Person) -> dict[str, Any]:
    state = snapshot(person, PERSON_FIELDS)
    state["documents"] = {d.kind: d.status for d in person.documents.all()}
    state["needs"] = sorted(n.code for n in person.needs.all())
    return state


def _create_person_details(person: Person, data: PersonData) -> None:
    CivilDocument.objects.bulk_create(
        [CivilDocument(person=person, kind=k, status=s) for k, s in sorted(data.documents.items())]
    )
    SpecificNeed.objects.bulk_create(
        [SpecificNeed(person=person, code=code) for code in sorted(data.needs)]
    )


def _write_person_details(person: Person, data: PersonData) -> None:
    CivilDocument.objects.filter(person=person).exclude(kind__in=list(data.documents)).delete()
    for kind, status in data.documents.items():
        CivilDocument.objects.update_or_create(
            person=person, kind=kind, defaults={"status": status}
        )
    SpecificNeed.objects.filter(person=person).exclude(code__in=data.needs).delete()
    existing = set(SpecificNeed.objects.filter(person=person).values_list("code", flat=True))
    SpecificNeed.objects.bulk_create(
        [SpecificNeed(person=person, code=code) for code in sorted(data.needs - existing)]
    )


def _apply_person(person: Person, data: PersonData) -> None:
    for name in PERSON_FIELDS:
        if name not in ("household", "relationship"):
            setattr(person, name, getattr(data, name))


def _create_person(
    *, by: User, household: Household, data: PersonData, on: datetime.date
) -> tuple[Person, AuditEvent]:
    person = Person(
        organisation=household.organisation,
        household=household,
        relationship=data.relationship,
        created_by=by,
    )
    _apply_person(person, data)
    person.save()
    _create_person_details(person, data)
    Membership.objects.create(
        person=person,
        household=household,
        relationship=data.relationship,
        started_on=on,
        recorded_by=by,
    )
    state = snapshot(person, PERSON_FIELDS) | {
        "documents": dict(sorted(data.documents.items())),
        "needs": sorted(data.needs),
    }
    changes = diff({}, state, sensitive=SENSITIVE_PERSON_FIELDS)
    return person, event_for(
        Action.CREATE, person, changes=changes, details={"household": household.pk}
    )


def household_register(
    *, by: User, data: HouseholdData, members: Sequence[PersonData]
) -> Household:
    """Register a household with all its members at once."""
    _require(by, Can.REGISTER)
    errors = _check_household(data)
    errors |= validation.check_members([m.as_dict() for m in members])
    for index, member in enumerate(members):
        for name, messages in _check_person(member).items():
            errors.setdefault(f"members.{index}.{name}", []).extend(messages)
    _raise_if(errors)
    today = timezone.localdate()
    with transaction.atomic():
        household = Household(
            organisation=by.organisation,
            reference=data.reference or f"tmp-{uuid.uuid4().hex}",
            registered_by=by,
            registered_on=data.registered_on or today,
        )
        for name in HOUSEHOLD_FIELDS:
            if name not in ("reference", "registered_on"):
                setattr(household, name, getattr(data, name))
        _save_household(household)
        if not data.reference:
            household.reference = (
                f"{household.organisation.slug.upper()}-{household.registered_on.year}-"
                f"{household.pk:06d}"
            )
            _save_household(household)
        events = [
            event_for(
                Action.CREATE,
                household,
                changes=diff({}, snapshot(household, HOUSEHOLD_FIELDS)),
            )
        ]
        persons = []
        for member in members:
            person, event = _create_person(
                by=by, household=household, data=member, on=household.registered_on
            )
            persons.append(person)
            events.append(event)
        name_keys_refresh(persons)
        audit_record_many(actor=by, events=events)
    return household


def _save_household(household: Household) -> None:
    try:
        with transaction.atomic():
            household.save()
    except IntegrityError as exc:
        if "reference" in str(exc).lower() or "household_reference_unique" in str(exc):
            raise ValidationError(
                {"reference": [_("This reference number is already used in your organisation.")]}
            ) from exc
        raise


def _locked(model: type[Household] | type[Person], pk: int, expected_version: int) -> Any:
    """The record as saved now, held for this transaction, if it is still at the version
    the editor read; otherwise EditConflict.

    The check and the lock are one statement, `UPDATE ... SET version = version WHERE
    id = %s AND version = %s`: reading the version and comparing it in Python lets two
    editors both pass where SELECT ... FOR UPDATE locks nothing (SQLite). On PostgreSQL
    the UPDATE locks the row, and a concurrent editor's UPDATE waits for the commit, then
    finds the version moved on and matches no row; on SQLite it takes the write lock.
    The caller raises the version when it changes something."""
    claimed = model.objects.filter(pk=pk, version=expected_version).update(version=F("version"))
    if not claimed:
        raise EditConflict
    return model.objects.get(pk=pk)


def household_update(
    *, by: User, household: Household, expected_version: int, data: HouseholdData
) -> Household:
    _require(by, Can.EDIT_REGISTRY)
    _raise_if(_check_household(data))
    with transaction.atomic():
        current: Household = _locked(Household, household.pk, expected_version)
        before = snapshot(current, HOUSEHOLD_FIELDS)
        for name in HOUSEHOLD_FIELDS:
            value = getattr(data, name)
            if name == "reference" and not value:
                continue
            if name == "registered_on" and value is None:
                continue
            setattr(current, name, value)
        changes = diff(before, snapshot(current, HOUSEHOLD_FIELDS))
        if changes:
            current.version += 1
            _save_household(current)
            audit_record(actor=by, action=Action.UPDATE, obj=current, changes=changes)
    return current


def person_update(*, by: User, person: Person, expected_version: int, data: PersonData) -> Person:
    _require(by, Can.EDIT_REGISTRY)
    _raise_if(_check_person(data))
    with transaction.atomic():
        current: Person = _locked(Person, person.pk, expected_version)
        before = _person_state(current)
        if data.relationship and data.relationship != current.relationship:
            _raise_if(_check_relationship_change(current, data.relationship))
            current.relationship = data.relationship
            Membership.objects.filter(person=current, ended_on__isnull=True).update(
                relationship=data.relationship
            )
        _apply_person(current, data)
        _write_person_details(current, data)
        changes = diff(before, _person_state(current), sensitive=SENSITIVE_PERSON_FIELDS)
        if changes:
            current.version += 1
            current.save()
            name_keys_refresh([current])
            audit_record(actor=by, action=Action.UPDATE, obj=current, changes=changes)
    return current


def _check_relationship_change(person: Person, relationship: str) -> dict[str, list[str]]:
    if person.household_id is None:
        return {}
    if relationship == Person.Relationship.HEAD:
        other = Person.objects.filter(
            household_id=person.household_id, relationship=Person.Relationship.HEAD
        ).exclude(pk=person.pk)
        if other.exists():
            return {
                "relationship": [
                    _("This household already has a head; change the head's relationship first.")
                ]
            }
    return {}


def member_add(
    *, by: User, household: Household, data: PersonData, on: datetime.date | None = None
) -> Person:
    """A new person joins a household (a birth, a relative arriving)."""
    _require(by, Can.EDIT_REGISTRY)
    errors = _check_person(data)
    if not data.relationship:
        errors["relationship"] = [_("Choose the relationship to the head.")]
    _raise_if(errors)
    with transaction.atomic():
        locked = Household.objects.select_for_update().get(pk=household.pk)
        if (
            data.relationship == Person.Relationship.HEAD
            and locked.members.filter(relationship=Person.Relationship.HEAD).exists()
        ):
            raise ValidationError({"relationship": [_("This household already has a head.")]})
        person, event = _create_person(
            by=by, household=locked, data=data, on=on or timezone.localdate()
        )
        event.action = Action.MEMBER_JOIN
        name_keys_refresh([person])
        audit_record_many(actor=by, events=[event])
    return person


def _person_now(pk: int, expected_version: int | None) -> Person:
    """The person as saved now, locked; still at the version the page showed, if it
    names one."""
    if expected_version is not None:
        locked: Person = _locked(Person, pk, expected_version)
        return locked
    return Person.objects.select_for_update().get(pk=pk)


def member_leave(
    *,
    by: User,
    person: Person,
    reason: str,
    on: datetime.date | None = None,
    expected_version: int | None = None,
) -> None:
    """A person leaves their household; the membership is kept as history. A page names
    the version it showed: if someone else changed the person since (moved them, say),
    the step is refused (EditConflict)."""
    _require(by, Can.EDIT_REGISTRY)
    if reason not in Membership.EndReason.values or reason == Membership.EndReason.MOVED:
        raise ValidationError({"reason": [_("Choose why the person leaves.")]})
    on = on or timezone.localdate()
    with transaction.atomic():
        current = _person_now(person.pk, expected_version)
        if current.household_id is None:
            raise ValidationError({"household": [_("This person is not in a household.")]})
        if (
            current.relationship == Person.Relationship.HEAD
            and current.household is not None
            and current.household.members.count() > 1
        ):
            raise ValidationError(
                {"relationship": [_("Name another head of household before the head leaves.")]}
            )
        household_id = current.household_id
        _end_membership(current, reason, on)
        current.household = None
        current.relationship = ""
        current.version += 1
        current.save()
        audit_record(
            actor=by,
            action=Action.MEMBER_LEAVE,
            obj=current,
            changes={"household": [household_id, None]},
            details={"reason": reason, "on": on},
        )


def member_move(
    *,
    by: User,
    person: Person,
    to: Household,
    relationship: str,
    on: datetime.date | None = None,
    expected_version: int | None = None,
) -> None:
    """A person moves to another household of the same organisation (refused as
    EditConflict if the person changed since the version the page showed)."""
    _require(by, Can.EDIT_REGISTRY)
    if to.organisation_id != person.organisation_id:
        raise ValidationError(
            {
                "household": [
                    _(
                        "A person can only move to a household of the same organisation; "
                        "use a transfer."
                    )
                ]
            }
        )
    if relationship not in Person.Relationship.values:
        raise ValidationError({"relationship": [_("Choose the relationship to the head.")]})
    on = on or timezone.localdate()
    with transaction.atomic():
        current = _person_now(person.pk, expected_version)
        if current.household_id == to.pk:
            raise ValidationError({"household": [_("The person is already in this household.")]})
        if (
            current.relationship == Person.Relationship.HEAD
            and current.household is not None
            and current.household.members.count() > 1
        ):
            raise ValidationError(
                {"relationship": [_("Name another head of household before the head leaves.")]}
            )
        if (
            relationship == Person.Relationship.HEAD
            and to.members.filter(relationship=Person.Relationship.HEAD).exists()
        ):
            raise ValidationError({"relationship": [_("That household already has a head.")]})
        old_household = current.household_id
        if old_household is not None:
            _end_membership(current, Membership.EndReason.MOVED, on)
        Membership.objects.create(
            person=current, household=to, relationship=relationship, started_on=on, recorded_by=by
        )
        current.household = to
        current.relationship = relationship
        current.version += 1
        current.save()
        audit_record(
            actor=by,
            action=Action.MEMBER_JOIN,
            obj=current,
            changes={"household": [old_household, to.pk], "relationship": [None, relationship]},
            details={"on": on},
        )


def _end_membership(person: Person, reason: str, on: datetime.date) -> None:
    Membership.objects.filter(person=person, ended_on__isnull=True).update(
        ended_on=on, end_reason=reason
    )


def households_import(
    *,
    organisation: Organisation,
    by: User | None,
    entries: Sequence[tuple[HouseholdData, Sequence[PersonData]]],
    details: Mapping[str, Any],
) -> list[Household]:
    """Register many households at once for an import, in the caller's transaction: the
    same rules as `household_register` (checked again here), written in bulk. `by` is the
    person importing, or None for the command line (the audit says which batch)."""
    if by is not None:
        _require(by, Can.REGISTER)
    errors: dict[str, list[str]] = {}
    for number, (data, members) in enumerate(entries):
        found = _check_household(data) | validation.check_members([m.as_dict() for m in members])
        for index, member in enumerate(members):
            for name, messages in _check_person(member).items():
                found.setdefault(f"members.{index}.{name}", []).extend(messages)
        for name, messages in found.items():
            errors.setdefault(f"{number}.{name}", []).extend(messages)
    _raise_if(errors)
    today = timezone.localdate()
    with transaction.atomic():
        households = [
            Household(
                organisation=organisation,
                reference=data.reference or f"tmp-{uuid.uuid4().hex}",
                registered_by=by,
                registered_on=data.registered_on or today,
                **{
                    name: getattr(data, name)
                    for name in HOUSEHOLD_FIELDS
                    if name not in ("reference", "registered_on")
                },
            )
            for data, _members in entries
        ]
        try:
            with transaction.atomic():
                Household.objects.bulk_create(households, batch_size=1000)
        except IntegrityError as exc:
            raise ValidationError(
                {"reference": [_("A reference number is already used in your organisation.")]}
            ) from exc
        renamed = []
        for household, (data, _members) in zip(households, entries, strict=True):
            if not data.reference:
                household.reference = (
                    f"{organisation.slug.upper()}-{household.registered_on.year}-{household.pk:06d}"
                )
                renamed.append(household)
        Household.objects.bulk_update(renamed, ["reference"], batch_size=1000)
        persons: list[Person] = []
        person_data: list[PersonData] = []
        for household, (_data, members) in zip(households, entries, strict=True):
            for member in members:
                person = Person(
                    organisation=organisation,
                    household=household,
                    relationship=member.relationship,
                    created_by=by,
                )
                _apply_person(person, member)
                persons.append(person)
                person_data.append(member)
        Person.objects.bulk_create(persons, batch_size=1000)
        insert_rows(
            CivilDocument,
            ("person_id", "kind", "status"),
            (
                (person.pk, kind, status)
                for person, member in zip(persons, person_data, strict=True)
                for kind, status in sorted(member.documents.items())
            ),
        )
        insert_rows(
            SpecificNeed,
            ("person_id", "code"),
            (
                (person.pk, code)
                for person, member in zip(persons, person_data, strict=True)
                for code in sorted(member.needs)
            ),
        )
        by_pk = {household.pk: household for household in households}
        recorded_by = by.pk if by is not None else None
        ops = connection.ops
        created_at = ops.adapt_datetimefield_value(timezone.now())
        insert_rows(
            Membership,
            (
                "person_id", "household_id", "relationship", "started_on", "ended_on",
                "end_reason", "recorded_by_id", "created_at",
            ),
            (
                (
                    person.pk, person.household_id, person.relationship,
                    ops.adapt_datefield_value(by_pk[person.household_id].registered_on), None, "",
                    recorded_by, created_at,
                )
                for person in persons
                if person.household_id is not None
            ),
        )  # fmt: skip
        name_keys_insert(persons)
        events = [
            event_for(
                Action.IMPORT,
                household,
                changes=diff({}, snapshot(household, HOUSEHOLD_FIELDS)),
                details=details,
            )
            for household in households
        ]
        events += [
            event_for(
                Action.IMPORT,
                person,
                changes=diff(
                    {},
                    snapshot(person, PERSON_FIELDS)
                    | {
                        "documents": dict(sorted(member.documents.items())),
                        "needs": sorted(member.needs),
                    },
                    sensitive=SENSITIVE_PERSON_FIELDS,
                ),
                details={**details, "household": person.household_id},
            )
            for person, member in zip(persons, person_data, strict=True)
        ]
        audit_record_many(actor=by, events=events)
    return households


def _in_chunks(ids: Sequence[int], size: int = 500) -> list[list[int]]:
    """Ids a few hundred at a time: SQLite takes at most 32,766 parameters a statement."""
    ids = list(ids)
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def households_unimport(
    *,
    by: User | None,
    household_pks: Sequence[int],
    person_pks: Sequence[int],
    details: Mapping[str, Any],
) -> None:
    """Undo an import: delete the households and people it created, if nothing has been
    done with them since (no edit, no member moved in or out, no case, referral, return
    step or anything else that points at them). Otherwise ValidationError naming them."""
    ours, theirs = set(person_pks), set(household_pks)
    with transaction.atomic():
        changed: list[str] = []
        for chunk in _in_chunks(household_pks):
            rows = Household.objects.select_for_update().filter(pk__in=chunk)
            changed += [
                ref for ref, version in rows.values_list("reference", "version") if version != 1
            ]
            members = Membership.objects.filter(household_id__in=chunk)
            changed += [
                ref
                for person, ref in members.values_list("person_id", "household__reference")
                if person not in ours
            ]
        for chunk in _in_chunks(person_pks):
            people = Person.objects.select_for_update().filter(pk__in=chunk)
            changed += [
                f"#{pk}"
                for pk, version, household, merged in people.values_list(
                    "pk", "version", "household_id", "merged_into_id"
                )
                if version != 1 or household not in theirs or merged
            ]
            ended = Membership.objects.filter(person_id__in=chunk, ended_on__isnull=False)
            changed += [f"#{pk}" for pk in ended.values_list("person_id", flat=True)]
            if Person.objects.filter(merged_into_id__in=chunk).exists():
                changed.append(_("another registration was merged into one of its people"))
        if changed:
            raise ValidationError(
                _(
                    "These records were changed or used since the import, so it cannot be "
                    "undone: %(list)s"
                )
                % {"list": ", ".join(sorted(set(changed))[:20])}
            )
        events = [
            AuditEvent(str(Action.DELETE), "registry.household", str(pk), {}, dict(details))
            for pk in household_pks
        ]
        events += [
            AuditEvent(str(Action.DELETE), "registry.person", str(pk), {}, dict(details))
            for pk in person_pks
        ]
        try:
            with transaction.atomic():
                for chunk in _in_chunks(person_pks):
                    NameKey.objects.filter(person_id__in=chunk).delete()
                    Membership.objects.filter(person_id__in=chunk).delete()
                    CivilDocument.objects.filter(person_id__in=chunk).delete()
                    SpecificNeed.objects.filter(person_id__in=chunk).delete()
                    Person.objects.filter(pk__in=chunk).delete()
                for chunk in _in_chunks(household_pks):
                    Household.objects.filter(pk__in=chunk).delete()
        except ProtectedError as exc:
            used = sorted({str(obj._meta.verbose_name) for obj in exc.protected_objects})
            raise ValidationError(
                _("Records of this import were used since (%(what)s), so it cannot be undone.")
                % {"what": ", ".join(used)}
            ) from exc
        audit_record_many(actor=by, events=events)
