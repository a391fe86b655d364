"""Writes of family tracing: requests, the search for candidates, mediated contact
between organisations, outcomes, and the family links a confirmed match creates."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from awda.accounts.models import User
from awda.accounts.roles import Can
from awda.audit.models import Action
from awda.audit.services import audit_record
from awda.consent.models import Purpose
from awda.consent.services import consent_in_force
from awda.identity.names import is_arabic
from awda.places.models import Place
from awda.registry.models import Person
from awda.registry.services import EditConflict
from awda.tracing.models import Candidate, ContactRequest, FamilyLink, Relation, TracingRequest

NAME_PARTS = ("first_name", "father_name", "grandfather_name", "family_name")
# What the other side of a link is: a parent's child is a child's parent.
INVERSE = {
    Relation.CHILD: Relation.PARENT,
    Relation.PARENT: Relation.CHILD,
    Relation.SIBLING: Relation.SIBLING,
    Relation.SPOUSE: Relation.SPOUSE,
    Relation.GRANDCHILD: Relation.GRANDPARENT,
    Relation.GRANDPARENT: Relation.GRANDCHILD,
    Relation.OTHER: Relation.OTHER,
}


@dataclass
class Sought:
    """The person sought, as the family describes them. Names may be given in Arabic or
    Latin script (or both); each part is put in the field of its script."""

    sex: str
    first_name: str = ""
    father_name: str = ""
    grandfather_name: str = ""
    family_name: str = ""
    first_name_lat: str = ""
    father_name_lat: str = ""
    grandfather_name_lat: str = ""
    family_name_lat: str = ""
    birth_year: int | None = None
    age: int | None = None

    def fields(self) -> dict[str, str]:
        """{model field: value}: parts given in `first_name` etc. go to the Arabic or
        Latin field by their script."""
        out: dict[str, str] = {}
        for part in NAME_PARTS:
            value = " ".join(getattr(self, part).split())
            latin = " ".join(getattr(self, f"{part}_lat").split())
            if value and not is_arabic(value):
                latin = latin or value
                value = ""
            out[f"sought_{part}_ar"] = value[:60]
            out[f"sought_{part}_lat"] = latin[:60]
        return out


def _require(by: User) -> None:
    if not by.can(Can.TRACE) or by.organisation_id is None:
        raise PermissionDenied


def _check_sought(sought: Sought, names: dict[str, str]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not (names["sought_first_name_ar"] or names["sought_first_name_lat"]):
        errors["sought_first_name"] = [_("Give at least the first name of the person sought.")]
    for field, value in names.items():
        if field.endswith("_ar") and value and not is_arabic(value):
            errors[field] = [_("Write this name in Arabic letters, or in the Latin field.")]
        if field.endswith("_lat") and value and is_arabic(value):
            errors[field] = [_("Write this name in Latin letters, or in the Arabic field.")]
    if sought.sex not in Person.Sex.values:
        errors["sought_sex"] = [_("Choose the sex of the person sought.")]
    year = timezone.localdate().year
    if sought.birth_year is not None and not 1900 <= sought.birth_year <= year:
        errors["sought_birth_year"] = [
            _("Give a year of birth between 1900 and %(year)s.") % {"year": year}
        ]
    if sought.age is not None and not 0 <= sought.age <= 110:
        errors["sought_age"] = [_("Give an age between 0 and 110.")]
    return errors


def request_create(
    *,
    by: User,
    requester: Person,
    relationship: str,
    sought: Sought,
    last_known_place: Place | None = None,
    last_seen_on: datetime.date | None = None,
    separation: str = TracingRequest.Separation.UNKNOWN,
    circumstances: str = "",
    consent_override: str = "",
    search: bool = True,
) -> TracingRequest:
    """Open a tracing request for a registered person of the user's organisation. It rests
    on the requester's consent to tracing; without it only a supervisor may open it, and
    must say why. The search for candidates runs at once."""
    _require(by)
    if requester.organisation_id != by.organisation_id or requester.merged_into_id:
        raise PermissionDenied
    names = sought.fields()
    errors = _check_sought(sought, names)
    if relationship not in Relation.values:
        errors["relationship"] = [_("Say who the person sought is to the requester.")]
    if separation not in TracingRequest.Separation.values:
        errors["separation"] = [_("Choose from the list, as the family reports it.")]
    if last_seen_on is not None and last_seen_on > timezone.localdate():
        errors["last_seen_on"] = [_("This date is in the future.")]
    override = consent_override.strip()
    if consent_in_force(requester, Purpose.TRACING) is None:
        if not by.can(Can.APPROVE_CASES):
            errors["consent"] = [
                _(
                    "Record the requester's consent to tracing first (on the person's consent "
                    "page); without it only a supervisor may open the request."
                )
            ]
        elif len(override) < 10:
            errors["consent_override"] = [_("Say why tracing goes ahead without consent.")]
    else:
        override = ""
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        request = TracingRequest.objects.create(
            organisation_id=by.organisation_id,
            requester=requester,
            relationship=relationship,
            sought_sex=sought.sex,
            sought_birth_year=sought.birth_year,
            sought_age=sought.age,
            last_known_place=last_known_place,
            last_seen_on=last_seen_on,
            separation=separation,
            circumstances=circumstances.strip()[:5000],
            consent_override=override[:2000],
            created_by=by,
            **names,
        )
        audit_record(
            actor=by,
            action=Action.CREATE,
            obj=request,
            details={
                "requester": requester.pk,
                "relationship": relationship,
                "separation": separation,
                "consent": "override" if override else "given",
            },
        )
        if search:
            request_search(by=by, request=request)
    return request


PHOTO_MAX_BYTES = 2 * 1024 * 1024
PHOTO_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


def request_photo_set(*, by: User, request: TracingRequest, content: bytes) -> TracingRequest:
    """Keep a photo of the person sought (JPEG or PNG, checked by content, at most 2 MB),
    encrypted; an empty `content` removes it."""
    import base64

    _owned(by, request)
    kind = next((t for magic, t in PHOTO_TYPES.items() if content.startswith(magic)), "")
    if content and not kind:
        raise ValidationError({"photo": [_("Give a JPEG or PNG photo.")]})
    if len(content) > PHOTO_MAX_BYTES:
        raise ValidationError({"photo": [_("The photo is larger than 2 MB.")]})
    with transaction.atomic():
        request.photo = base64.b64encode(content).decode("ascii") if content else ""
        request.photo_type = kind
        request.version += 1
        request.save(update_fields=["photo", "photo_type", "version", "updated_at"])
        audit_record(
            actor=by,
            action=Action.UPDATE,
            obj=request,
            details={"photo": "set" if content else "removed"},
        )
    return request


def _owned(by: User, request: TracingRequest) -> None:
    _require(by)
    if request.organisation_id != by.organisation_id:
        raise PermissionDenied


def request_search(*, by: User, request: TracingRequest) -> list[Candidate]:
    """Look again for the person sought: new registrations and new requests are found;
    suggestions already answered (confirmed, declined, dismissed) stay as they are."""
    from awda.tracing.matching import find_candidates

    _owned(by, request)
    if request.status not in TracingRequest.ACTIVE:
        raise ValidationError({"status": [_("The request is no longer open.")]})
    found = find_candidates(request)
    with transaction.atomic():
        kept = []
        for match in found:
            key = (
                {"person_id": match.person_id}
                if match.person_id
                else {"other_request_id": match.request_id}
            )
            candidate, created = Candidate.objects.get_or_create(
                request=request,
                **key,
                defaults={
                    "holder_id": match.holder_id,
                    "score": match.score,
                    "evidence": match.evidence,
                },
            )
            if not created and candidate.status == Candidate.Status.SUGGESTED:
                candidate.score, candidate.evidence = match.score, match.evidence
                candidate.save(update_fields=["score", "evidence", "updated_at"])
            if match.request_id and created:
                # Two families looking for each other: the other request learns it too.
                Candidate.objects.get_or_create(
                    request_id=match.request_id,
                    other_request=request,
                    defaults={
                        "holder_id": request.organisation_id,
                        "score": match.score,
                        "evidence": match.reverse_evidence or _mirror(match.evidence),
                    },
                )
                TracingRequest.objects.filter(
                    pk=match.request_id, status=TracingRequest.Status.OPEN
                ).update(status=TracingRequest.Status.CANDIDATE_FOUND)
            kept.append(candidate)
        request.searched_at = timezone.now()
        if kept and request.status == TracingRequest.Status.OPEN:
            request.status = TracingRequest.Status.CANDIDATE_FOUND
        request.save(update_fields=["searched_at", "status", "updated_at"])
        audit_record(
            actor=by,
            action=Action.SCAN,
            obj=request,
            details={"candidates": [c.pk for c in kept]},
        )
    return kept


def _mirror(evidence: list[dict[str, object]]) -> list[dict[str, object]]:
    """The other family's side of a mutual match: it sees the agreement levels only, not
    what this family wrote."""
    return [{"field": e.get("field"), "level": e.get("level"), "given": ""} for e in evidence]


def candidate_dismiss(*, by: User, candidate: Candidate) -> Candidate:
    _owned(by, candidate.request)
    with transaction.atomic():
        updated = Candidate.objects.filter(
            pk=candidate.pk, status=Candidate.Status.SUGGESTED
        ).update(status=Candidate.Status.DISMISSED)
        if not updated:
            raise ValidationError({"status": [_("Only a suggestion can be dismissed.")]})
        audit_record(
            actor=by,
            action=Action.REJECT,
            obj=candidate.request,
            details={"candidate": candidate.pk},
        )
    candidate.refresh_from_db()
    return candidate


def _link(by: User, request: TracingRequest, person: Person) -> None:
    FamilyLink.objects.get_or_create(
        from_person=request.requester,
        to_person=person,
        defaults={
            "relation": request.relationship,
            "source": FamilyLink.Source.TRACING,
            "request": request,
            "created_by": by,
        },
    )
    FamilyLink.objects.get_or_create(
        from_person=person,
        to_person=request.requester,
        defaults={
            "relation": INVERSE[Relation(request.relationship)],
            "source": FamilyLink.Source.TRACING,
            "request": request,
            "created_by": by,
        },
    )


def _confirm(by: User, candidate: Candidate) -> None:
    """The match is the person: the request is confirmed, the two relatives are linked,
    and for two families seeking each other both requests are confirmed."""
    request = candidate.request
    Candidate.objects.filter(pk=candidate.pk).update(status=Candidate.Status.CONFIRMED)
    TracingRequest.objects.filter(pk=request.pk, status__in=TracingRequest.ACTIVE).update(
        status=TracingRequest.Status.CONFIRMED
    )
    if candidate.person_id:
        _link(by, request, candidate.person)  # type: ignore[arg-type]
    elif candidate.other_request_id:
        other = TracingRequest.objects.select_related("requester").get(
            pk=candidate.other_request_id
        )
        _link(by, request, other.requester)
        Candidate.objects.filter(request=other, other_request=request).update(
            status=Candidate.Status.CONFIRMED
        )
        TracingRequest.objects.filter(pk=other.pk, status__in=TracingRequest.ACTIVE).update(
            status=TracingRequest.Status.CONFIRMED
        )


def candidate_confirm_own(*, by: User, candidate: Candidate) -> Candidate:
    """A candidate in the user's own caseload: the caseworker checks with both people
    directly, and confirms."""
    _owned(by, candidate.request)
    if candidate.holder_id != by.organisation_id:
        raise ValidationError(
            {"candidate": [_("Another organisation holds this record: send a contact request.")]}
        )
    with transaction.atomic():
        if candidate.status != Candidate.Status.SUGGESTED:
            raise ValidationError({"status": [_("This candidate was already answered.")]})
        _confirm(by, candidate)
        audit_record(
            actor=by,
            action=Action.MERGE,
            obj=candidate.request,
            details={"candidate": candidate.pk, "confirmed": True},
        )
    candidate.refresh_from_db()
    return candidate


def contact_request_send(*, by: User, candidate: Candidate) -> ContactRequest:
    """Ask the organisation holding a candidate's record to check with the person. It
    sees the request's own details; nothing of its record reaches the requester until it
    answers that the person agrees."""
    _owned(by, candidate.request)
    if candidate.holder_id == by.organisation_id:
        raise ValidationError({"candidate": [_("This record is your own organisation's.")]})
    with transaction.atomic():
        locked = Candidate.objects.select_for_update().get(pk=candidate.pk)
        if locked.status != Candidate.Status.SUGGESTED:
            raise ValidationError({"status": [_("A contact request was already sent.")]})
        contact = ContactRequest.objects.create(
            candidate=locked,
            from_organisation_id=by.organisation_id or 0,
            to_organisation_id=locked.holder_id,
            sent_by=by,
        )
        locked.status = Candidate.Status.CONTACT_REQUESTED
        locked.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=by,
            action=Action.REFER,
            obj=candidate.request,
            details={"contact_request": contact.pk, "to": locked.holder_id},
        )
    return contact


ANSWER_STATUS: dict[str, str] = {
    ContactRequest.Answer.CONFIRMED: Candidate.Status.CONFIRMED,
    ContactRequest.Answer.DECLINED: Candidate.Status.DECLINED,
    ContactRequest.Answer.NOT_THE_PERSON: Candidate.Status.NOT_THE_PERSON,
}


def contact_request_answer(
    *, by: User, contact: ContactRequest, answer: str, note: str = ""
) -> ContactRequest:
    """The holding organisation answers after checking with the person. "Confirmed" means
    the person agrees to share contact: it is recorded as their consent to tracing if none
    is in force, and only then do the two organisations see each other's details."""
    from awda.consent.models import Consent, LegalBasis
    from awda.consent.services import consent_record, is_child

    _require(by)
    if contact.to_organisation_id != by.organisation_id:
        raise PermissionDenied
    if answer not in ANSWER_STATUS:
        raise ValidationError({"answer": [_("Choose an answer from the list.")]})
    with transaction.atomic():
        locked = ContactRequest.objects.select_for_update().get(pk=contact.pk)
        if locked.answer:
            raise ValidationError({"answer": [_("This contact request was already answered.")]})
        candidate = locked.candidate
        person = candidate.person or (
            candidate.other_request.requester if candidate.other_request else None
        )
        needs_consent = (
            answer == ContactRequest.Answer.CONFIRMED
            and person is not None
            and consent_in_force(person, Purpose.TRACING) is None
        )
        if needs_consent and person is not None and is_child(person):
            raise ValidationError(
                {
                    "answer": [
                        _("Record the caregiver's consent and the child's assent to tracing first.")
                    ]
                }
            )
        if needs_consent and person is not None:
            consent_record(
                by=by,
                person=person,
                purpose=Purpose.TRACING,
                legal_basis=LegalBasis.CONSENT,
                given_by=Consent.GivenBy.PERSON,
                note=note,
            )
        locked.answer = answer
        locked.answered_by = by
        locked.answered_at = timezone.now()
        locked.answer_note = note.strip()[:2000]
        locked.save()
        if answer == ContactRequest.Answer.CONFIRMED:
            _confirm(by, candidate)
        else:
            Candidate.objects.filter(pk=candidate.pk).update(status=ANSWER_STATUS[answer])
        audit_record(
            actor=by,
            action=Action.ACCEPT if answer == ContactRequest.Answer.CONFIRMED else Action.DECLINE,
            obj=candidate.request,
            details={"contact_request": locked.pk, "answer": answer},
        )
    return locked


OUTCOMES = {
    TracingRequest.Status.REUNIFIED,
    TracingRequest.Status.CONTACT_RESTORED,
    TracingRequest.Status.CLOSED,
}


def request_outcome(
    *, by: User, request: TracingRequest, outcome: str, expected_version: int
) -> TracingRequest:
    """Reunified or contact restored (after a confirmed match), or closed."""
    _owned(by, request)
    if outcome not in OUTCOMES:
        raise ValidationError({"outcome": [_("Choose reunified, contact restored or closed.")]})
    with transaction.atomic():
        current = TracingRequest.objects.select_for_update().get(pk=request.pk)
        if current.version != expected_version:
            raise EditConflict
        if outcome != TracingRequest.Status.CLOSED and current.status != (
            TracingRequest.Status.CONFIRMED
        ):
            raise ValidationError({"outcome": [_("Confirm a match first.")]})
        if current.status in OUTCOMES:
            raise ValidationError({"outcome": [_("The request is already ended.")]})
        before = current.status
        current.status = outcome
        current.version += 1
        current.save()
        audit_record(
            actor=by, action=Action.UPDATE, obj=current, changes={"status": [before, outcome]}
        )
    return current
