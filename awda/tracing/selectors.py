"""Reads of family tracing. A request and its candidates are seen by the organisation
that opened it; a candidate held by another organisation shows only that organisation, a
score and the evidence the requester gave — until that organisation confirms with the
person's consent. A contact request is seen by the organisation asked."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from awda.accounts.models import Organisation, User
from awda.accounts.roles import Can
from awda.audit.models import Action
from awda.audit.services import audit_record
from awda.registry.models import Person
from awda.tracing.models import Candidate, ContactRequest, FamilyLink, Relation, TracingRequest


def requests_for_user(user: User) -> QuerySet[TracingRequest]:
    if not user.can(Can.TRACE) or user.organisation_id is None:
        return TracingRequest.objects.none()
    return TracingRequest.objects.filter(organisation_id=user.organisation_id).select_related(
        "requester", "requester__household", "last_known_place"
    )


def request_get_for_user(user: User, pk: int | str) -> TracingRequest:
    try:
        request = requests_for_user(user).get(pk=pk)
    except (TracingRequest.DoesNotExist, ValueError):
        raise Http404 from None
    audit_record(actor=user, action=Action.VIEW, obj=request)
    return request


@dataclass
class CandidateView:
    candidate: Candidate
    holder: Organisation
    mine: bool
    confirmed: bool
    evidence: list[dict[str, Any]]
    # Shown only when the record is the user's organisation's, or once confirmed.
    person: Person | None = None
    other_request: TracingRequest | None = None
    answered_by: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def candidates_of(user: User, request: TracingRequest) -> list[CandidateView]:
    rows = (
        Candidate.objects.filter(request=request)
        .exclude(status=Candidate.Status.DISMISSED)
        .select_related(
            "holder",
            "person",
            "person__household",
            "person__household__camp",
            "other_request",
            "other_request__requester",
            "contact_request__answered_by",
        )
        .order_by("-score", "id")
    )
    views = []
    for candidate in rows:
        mine = candidate.holder_id == user.organisation_id
        confirmed = candidate.status == Candidate.Status.CONFIRMED
        view = CandidateView(
            candidate=candidate,
            holder=candidate.holder,
            mine=mine,
            confirmed=confirmed,
            evidence=list(candidate.evidence),
        )
        if mine or confirmed:
            view.person = candidate.person
            view.other_request = candidate.other_request
            found = candidate.person or (
                candidate.other_request.requester if candidate.other_request else None
            )
            if found is not None:
                view.details = {
                    "name": found.display_name,
                    "sex": found.get_sex_display(),
                    "age": found.age_on(request.updated_at.date()),
                    "camp": found.household.camp.name if found.household else "",
                }
            contact = getattr(candidate, "contact_request", None)
            if contact is not None and contact.answered_by is not None:
                view.answered_by = contact.answered_by.username
        views.append(view)
    return views


def candidate_get_for_user(user: User, pk: int | str) -> Candidate:
    try:
        return Candidate.objects.select_related("request", "person", "other_request").get(
            pk=pk, request__in=requests_for_user(user)
        )
    except (Candidate.DoesNotExist, ValueError):
        raise Http404 from None


def incoming_for_user(user: User) -> QuerySet[ContactRequest]:
    if not user.can(Can.TRACE) or user.organisation_id is None:
        return ContactRequest.objects.none()
    return ContactRequest.objects.filter(to_organisation_id=user.organisation_id).select_related(
        "from_organisation",
        "candidate",
        "candidate__request",
        "candidate__request__requester",
        "candidate__person",
        "candidate__other_request__requester",
    )


def contact_get_for_user(user: User, pk: int | str) -> ContactRequest:
    try:
        contact = incoming_for_user(user).get(pk=pk)
    except (ContactRequest.DoesNotExist, ValueError):
        raise Http404 from None
    audit_record(
        actor=user,
        action=Action.VIEW,
        obj=contact.candidate.request,
        details={"contact_request": contact.pk},
    )
    return contact


@dataclass(frozen=True)
class Relative:
    person: Person
    relation: str
    label: str
    source: str
    visible: bool  # the user may open the relative's record
    movement: str = ""  # the movement the relative is on, when it differs


HOUSEHOLD_RELATIONS = {
    # (my relationship to the head, theirs) → what they are to me
    ("head", "spouse"): Relation.SPOUSE,
    ("spouse", "head"): Relation.SPOUSE,
    ("head", "child"): Relation.CHILD,
    ("head", "stepchild"): Relation.CHILD,
    ("spouse", "child"): Relation.CHILD,
    ("child", "head"): Relation.PARENT,
    ("child", "spouse"): Relation.PARENT,
    ("stepchild", "head"): Relation.PARENT,
    ("child", "child"): Relation.SIBLING,
    ("head", "parent"): Relation.PARENT,
    ("parent", "head"): Relation.CHILD,
    ("head", "sibling"): Relation.SIBLING,
    ("sibling", "head"): Relation.SIBLING,
    ("head", "grandchild"): Relation.GRANDCHILD,
    ("grandchild", "head"): Relation.GRANDPARENT,
}


def _movements_of(people: list[Person]) -> dict[int, str]:
    from awda.returns.models import Passenger

    rows = Passenger.objects.filter(
        person__in=people,
        status__in=[Passenger.Status.SCHEDULED, Passenger.Status.DEPARTED],
    ).values_list("person_id", "movement__reference")
    return dict(rows)


def family_of(user: User, person: Person) -> list[Relative]:
    """The person's relatives: from the household's relationships and from confirmed
    tracing matches (across organisations), each flagged when they are booked on another
    movement than the person."""
    from awda.registry.selectors import persons_visible_to

    relatives: list[tuple[Person, str, str]] = []
    relation: str | None
    if person.household_id:
        for other in person.household.members.exclude(pk=person.pk).filter(  # type: ignore[union-attr]
            merged_into__isnull=True
        ):
            relation = HOUSEHOLD_RELATIONS.get((person.relationship, other.relationship))
            if relation is not None:
                relatives.append((other, relation, FamilyLink.Source.REGISTRATION))
    for link in FamilyLink.objects.filter(from_person=person).select_related("to_person"):
        relatives.append((link.to_person, link.relation, link.source))
    visible = set(
        persons_visible_to(user)
        .filter(pk__in=[p.pk for p, _r, _s in relatives])
        .values_list("pk", flat=True)
    )
    movements = _movements_of([person, *[p for p, _r, _s in relatives]])
    mine = movements.get(person.pk, "")
    out = []
    for other, relation, source in relatives:
        theirs = movements.get(other.pk, "")
        out.append(
            Relative(
                person=other,
                relation=relation,
                label=str(Relation(relation).label),
                source=source,
                visible=other.pk in visible,
                # Only for records the user may open: another organisation's movements are
                # not the user's to see.
                movement=(theirs or "-") if other.pk in visible and theirs != mine else "",
            )
        )
    return out


def photo_request_for_user(user: User, pk: int | str) -> TracingRequest:
    """The request whose photo the user may see: their organisation's, or one another
    organisation asked them about."""
    if not user.can(Can.TRACE) or user.organisation_id is None:
        raise Http404
    asked = ContactRequest.objects.filter(
        to_organisation_id=user.organisation_id, candidate__request_id=OuterRef("pk")
    )
    found = (
        TracingRequest.objects.filter(pk=pk)
        .filter(Q(organisation_id=user.organisation_id) | Exists(asked))
        .first()
        if str(pk).isdigit()
        else None
    )
    if found is None:
        raise Http404
    audit_record(actor=user, action=Action.VIEW, obj=found, details={"photo": True})
    return found
