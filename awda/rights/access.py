"""Subject access: everything Awda holds on one person, as one structure with stable keys
(codes, not labels; dates in ISO 8601), for the JSON export and the Arabic PDF.

What is the person's: their registration (and the registrations merged into it), the
households they have belonged to, the cases about them or their household, their
psychosocial records, consents, return records, their household's sponsorships, tracing
requests they made or in which they were confirmed as the person sought, family links,
and the audit trail of who viewed or changed any of these records. Other people appear
only as far as the person's own records need them: a household's members by number,
relationship, sex and year of birth — not their names; a sponsor by kind and place — not
their name or contact.

Encrypted fields are read decrypted through the ORM. This module does not check who
asks: the caller went through awda.rights.selectors or is the `awda subject_access`
command.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db.models import Model, Q
from django.utils import timezone

from awda.audit.models import AuditEntry
from awda.audit.services import object_type_of
from awda.cases.models import Attachment, Case, Referral
from awda.community.models import Sponsorship
from awda.consent.models import Consent
from awda.mhpss.models import Screening, Session
from awda.places.models import Place
from awda.registry.models import Household, Membership, Person
from awda.reintegration.models import FollowUp as ReintegrationFollowUp
from awda.reintegration.models import Survey
from awda.returns.models import CentreStay, Homecoming, Intention, Passenger
from awda.tracing.models import Candidate, FamilyLink, TracingRequest

FORMAT = "awda-subject-access"
VERSION = 1


def _day(value: datetime.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _time(value: datetime.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def _place(place: Place | None) -> dict[str, str] | None:
    if place is None:
        return None
    return {"pcode": place.pcode, "name_ar": place.name_ar, "name_en": place.name_en}


class _Targets:
    """The records exported, for the audit trail's entries about them."""

    def __init__(self) -> None:
        self.pairs: set[tuple[str, str]] = set()

    def add(self, rows: Iterable[Model]) -> None:
        for row in rows:
            self.pairs.add((object_type_of(row), str(row.pk)))


def _person(person: Person) -> dict[str, Any]:
    return {
        "id": person.pk,
        "organisation": person.organisation.slug,
        "first_name_ar": person.first_name_ar,
        "father_name_ar": person.father_name_ar,
        "grandfather_name_ar": person.grandfather_name_ar,
        "family_name_ar": person.family_name_ar,
        "first_name_lat": person.first_name_lat,
        "father_name_lat": person.father_name_lat,
        "grandfather_name_lat": person.grandfather_name_lat,
        "family_name_lat": person.family_name_lat,
        "sex": person.sex,
        "date_of_birth": _day(person.date_of_birth),
        "date_of_birth_precision": person.dob_precision or None,
        "nationality": person.nationality or None,
        "household": person.household_id,
        "relationship": person.relationship or None,
        "merged_into": person.merged_into_id,
        "registered_at": _time(person.created_at),
        "documents": [{"kind": d.kind, "status": d.status} for d in person.documents.all()],
        "specific_needs": [n.code for n in person.needs.all()],
    }


def _households(ids: set[int], targets: _Targets) -> list[dict[str, Any]]:
    households = (
        Household.objects.filter(pk__in=ids)
        .select_related("organisation", "camp", "camp_section", "camp_block", "origin")
        .select_related("destination")
        .prefetch_related("members")
        .order_by("pk")
    )
    targets.add(households)
    return [
        {
            "id": h.pk,
            "reference": h.reference,
            "organisation": h.organisation.slug,
            "camp": _place(h.camp),
            "camp_section": _place(h.camp_section),
            "camp_block": _place(h.camp_block),
            "tent": h.tent,
            "origin": _place(h.origin),
            "destination": _place(h.destination),
            "nationality": h.nationality,
            "stage": h.status,
            "registered_on": _day(h.registered_on),
            # Other members by number only: their names are their own.
            "members": [
                {
                    "person": m.pk,
                    "relationship": m.relationship or None,
                    "sex": m.sex,
                    "birth_year": m.date_of_birth.year if m.date_of_birth else None,
                }
                for m in h.members.all()
            ],
        }
        for h in households
    ]


def _referral(r: Referral) -> dict[str, Any]:
    return {
        "id": r.pk,
        "case": r.case_id,
        "household": r.household_id,
        "kind": r.kind,
        "service": r.service,
        "from": r.sending_organisation.slug,
        "to": r.receiving_organisation.slug,
        "status": r.status,
        "created_at": _time(r.created_at),
        "reason": r.reason,
        "consent": r.consent,
        "consent_note": r.consent_note,
        "response_note": r.response_note,
        "responded_at": _time(r.responded_at),
        "ended_at": _time(r.ended_at),
    }


def _cases(case_filter: Q, targets: _Targets) -> list[dict[str, Any]]:
    cases = (
        Case.objects.filter(case_filter)
        .select_related("organisation")
        .prefetch_related(
            "events",
            "notes",
            "services",
            "follow_ups",
            "goals__actions",
            "assessments__form_version__form",
            "attachments",
        )
        .order_by("opened_on", "pk")
    )
    out = []
    for case in cases:
        targets.add([case, *case.notes.all(), *case.assessments.all(), *case.attachments.all()])
        out.append(
            {
                "id": case.pk,
                "reference": case.reference,
                "organisation": case.organisation.slug,
                "household": case.household_id,
                "person": case.person_id,
                "status": case.status,
                "risk": case.risk,
                "opened_on": _day(case.opened_on),
                "closed_on": _day(case.closed_on),
                "events": [
                    {
                        "kind": e.kind,
                        "from_status": e.from_status or None,
                        "to_status": e.to_status or None,
                        "comment": e.comment,
                        "at": _time(e.at),
                    }
                    for e in case.events.all()
                ],
                "notes": [
                    {"written_at": _time(n.written_at), "text": n.text} for n in case.notes.all()
                ],
                "assessments": [
                    {
                        "form": a.form_version.form.slug,
                        "form_version": a.form_version.number,
                        "recorded_at": _time(a.recorded_at),
                        "answers": a.answers,
                    }
                    for a in case.assessments.all()
                ],
                "services": [
                    {
                        "service": s.service,
                        "channel": s.channel,
                        "referral": s.referral_id,
                        "delivered_on": _day(s.delivered_on),
                        "note": s.note,
                    }
                    for s in case.services.all()
                ],
                "follow_ups": [
                    {"title": f.title, "due_on": _day(f.due_on), "done_on": _day(f.done_on)}
                    for f in case.follow_ups.all()
                ],
                "goals": [
                    {
                        "title": g.title,
                        "status": g.status,
                        "actions": [
                            {"title": a.title, "due_on": _day(a.due_on), "done_on": _day(a.done_on)}
                            for a in g.actions.all()
                        ],
                    }
                    for g in case.goals.all()
                ],
                "attachments": [_attachment(a) for a in case.attachments.all()],
            }
        )
    return out


def _attachment(a: Attachment) -> dict[str, Any]:
    # The file itself is given on request from the case page; the export lists it.
    return {
        "title": a.title,
        "content_type": a.content_type,
        "size": a.size,
        "uploaded_at": _time(a.uploaded_at),
    }


def _mhpss(ids: list[int], targets: _Targets) -> dict[str, Any]:
    screenings = list(Screening.objects.filter(person_id__in=ids).order_by("administered_on", "pk"))
    sessions = list(Session.objects.filter(person_id__in=ids).order_by("held_on", "pk"))
    targets.add([*screenings, *sessions])
    return {
        "screenings": [
            {
                "instrument": s.instrument,
                "administered_on": _day(s.administered_on),
                "answers": s.answers,
                "raw_score": s.raw_score,
                "score": s.score,
                "band": s.band,
                "flags": s.flags,
            }
            for s in screenings
        ],
        "sessions": [
            {"held_on": _day(s.held_on), "kind": s.kind, "minutes": s.minutes, "notes": s.notes}
            for s in sessions
        ],
    }


def _consents(ids: list[int], targets: _Targets) -> list[dict[str, Any]]:
    consents = list(
        Consent.objects.filter(Q(person_id__in=ids) | Q(caregiver_id__in=ids))
        .select_related("recipient")
        .order_by("created_at", "pk")
    )
    targets.add(consents)
    return [
        {
            "id": c.pk,
            "person": c.person_id,
            "as_caregiver": c.person_id not in ids,
            "purpose": c.purpose,
            "recipient": c.recipient.slug if c.recipient else None,
            "legal_basis": c.legal_basis,
            "given_by": c.given_by or None,
            "child_assent": c.child_assent or None,
            "note": c.note,
            "given_on": _day(c.given_on),
            "revoked_at": _time(c.revoked_at),
        }
        for c in consents
    ]


def _returns(ids: list[int], households: set[int], targets: _Targets) -> dict[str, Any]:
    intentions = list(
        Intention.objects.filter(household_id__in=households)
        .select_related("destination")
        .order_by("created_at", "pk")
    )
    passengers = list(
        Passenger.objects.filter(person_id__in=ids)
        .select_related("movement", "movement__destination", "movement__centre")
        .order_by("movement__departs_on", "pk")
    )
    stays = list(
        CentreStay.objects.filter(household_id__in=households)
        .select_related("centre")
        .order_by("entered_on", "pk")
    )
    arrivals = list(Homecoming.objects.filter(household_id__in=households).select_related("place"))
    follow_ups = list(
        ReintegrationFollowUp.objects.filter(household_id__in=households).order_by("due_on", "pk")
    )
    surveys = list(
        Survey.objects.filter(household_id__in=households)
        .select_related("instrument")
        .order_by("conducted_on", "pk")
    )
    targets.add([*intentions, *passengers, *stays, *arrivals, *follow_ups, *surveys])
    return {
        "intentions": [
            {
                "household": i.household_id,
                "pathway": i.pathway,
                "destination": _place(i.destination),
                "village": i.village,
                "country": i.country or None,
                "reasons": i.reasons,
                "stated_on": _day(i.stated_on),
            }
            for i in intentions
        ],
        "movements": [
            {
                "movement": p.movement.reference,
                "kind": p.movement.kind,
                "departs_on": _day(p.movement.departs_on),
                "destination": _place(p.movement.destination),
                "centre": p.movement.centre.name_ar if p.movement.centre else None,
                "country": p.movement.country or None,
                "vehicle": p.vehicle,
                "status": p.status,
                "born_on_the_way": p.born_on_the_way,
                "note": p.note,
            }
            for p in passengers
        ],
        "centre_stays": [
            {
                "household": s.household_id,
                "centre": s.centre.name_ar,
                "entered_on": _day(s.entered_on),
                "exited_on": _day(s.exited_on),
                "programmes": s.programmes,
            }
            for s in stays
        ],
        "arrivals": [
            {
                "household": a.household_id,
                "arrived_on": _day(a.arrived_on),
                "place": _place(a.place),
                "village": a.village,
            }
            for a in arrivals
        ],
        "follow_ups": [
            {
                "household": f.household_id,
                "months": f.months,
                "due_on": _day(f.due_on),
                "status": f.status,
                "note": f.note,
            }
            for f in follow_ups
        ],
        "surveys": [
            {
                "household": s.household_id,
                "instrument": f"{s.instrument.code} v{s.instrument.version}",
                "conducted_on": _day(s.conducted_on),
                "answers": s.answers,
                "scores": {
                    "economic": s.economic,
                    "social": s.social,
                    "psychosocial": s.psychosocial,
                    "composite": s.composite,
                },
            }
            for s in surveys
        ],
    }


def _sponsorships(households: set[int], targets: _Targets) -> list[dict[str, Any]]:
    rows = list(
        Sponsorship.objects.filter(household_id__in=households)
        .select_related("sponsor", "sponsor__place")
        .order_by("requested_on", "pk")
    )
    targets.add(rows)
    return [
        {
            "household": s.household_id,
            # The sponsor by kind and place: their name and contact are their own.
            "sponsor_kind": s.sponsor.kind,
            "sponsor_place": _place(s.sponsor.place),
            "status": s.status,
            "requested_on": _day(s.requested_on),
            "agreed_on": _day(s.agreed_on),
            "fulfilled_on": _day(s.fulfilled_on),
            "withdrawn_on": _day(s.withdrawn_on),
            "withdrawal_reason": s.withdrawal_reason or None,
            "note": s.note,
        }
        for s in rows
    ]


def _tracing(ids: list[int], targets: _Targets) -> dict[str, Any]:
    made = list(
        TracingRequest.objects.filter(requester_id__in=ids)
        .select_related("last_known_place")
        .order_by("created_at", "pk")
    )
    confirmed = Candidate.objects.filter(person_id__in=ids, status=Candidate.Status.CONFIRMED)
    sought = list(
        TracingRequest.objects.filter(pk__in=confirmed.values("request_id"))
        .select_related("organisation")
        .order_by("created_at", "pk")
    )
    links = list(
        FamilyLink.objects.filter(Q(from_person_id__in=ids) | Q(to_person_id__in=ids)).order_by(
            "pk"
        )
    )
    targets.add([*made, *sought, *links])
    return {
        "requests_made": [
            {
                "id": r.pk,
                "relationship": r.relationship,
                "sought": {
                    name: getattr(r, f"sought_{name}")
                    for name in (
                        "first_name_ar",
                        "father_name_ar",
                        "grandfather_name_ar",
                        "family_name_ar",
                        "first_name_lat",
                        "father_name_lat",
                        "grandfather_name_lat",
                        "family_name_lat",
                        "sex",
                        "birth_year",
                        "age",
                    )
                },
                "last_known_place": _place(r.last_known_place),
                "last_seen_on": _day(r.last_seen_on),
                "separation": r.separation,
                "circumstances": r.circumstances,
                "status": r.status,
                "created_at": _time(r.created_at),
            }
            for r in made
        ],
        "sought_in": [
            {
                "request": r.pk,
                "organisation": r.organisation.slug,
                "relationship": r.relationship,
                "status": r.status,
                "created_at": _time(r.created_at),
            }
            for r in sought
        ],
        "family_links": [
            {
                "from_person": link.from_person_id,
                "to_person": link.to_person_id,
                "relation": link.relation,
                "source": link.source,
                "created_at": _time(link.created_at),
            }
            for link in links
        ],
    }


def _audit(targets: _Targets) -> list[dict[str, Any]]:
    condition = Q(pk__in=[])
    by_type: dict[str, list[str]] = {}
    for object_type, object_id in targets.pairs:
        by_type.setdefault(object_type, []).append(object_id)
    for object_type, object_ids in sorted(by_type.items()):
        condition |= Q(object_type=object_type, object_id__in=sorted(object_ids))
    entries = (
        AuditEntry.objects.filter(condition).select_related("actor", "organisation").order_by("seq")
    )
    return [
        {
            "seq": e.seq,
            "at": _time(e.at),
            "user": e.actor.username if e.actor else None,
            "organisation": e.organisation.slug if e.organisation else None,
            "action": e.action,
            "object_type": e.object_type,
            "object_id": e.object_id,
            # Which fields changed, not their values (which the sections above give).
            "fields_changed": sorted(e.changes),
        }
        for e in entries.iterator(chunk_size=2000)
    ]


def registrations_of(person: Person) -> list[Person]:
    """The person's registration and every one merged into it (at any depth)."""
    found = [person]
    frontier = [person.pk]
    while frontier:
        merged = list(Person.objects.filter(merged_into_id__in=frontier).order_by("pk"))
        found += merged
        frontier = [p.pk for p in merged]
    return found


def subject_access_data(person: Person, *, now: datetime.datetime | None = None) -> dict[str, Any]:
    people = registrations_of(person)
    ids = [p.pk for p in people]
    targets = _Targets()
    targets.add(people)
    memberships = list(
        Membership.objects.filter(person_id__in=ids)
        .select_related("household")
        .order_by("started_on", "pk")
    )
    households = {m.household_id for m in memberships}
    households |= {p.household_id for p in people if p.household_id is not None}
    full = Person.objects.select_related("organisation").prefetch_related("documents", "needs")
    people = [full.get(pk=pk) for pk in ids]
    return {
        "format": FORMAT,
        "version": VERSION,
        "generated_at": _time(now or timezone.now()),
        "person": _person(people[0]),
        "merged_registrations": [_person(p) for p in people[1:]],
        "memberships": [
            {
                "person": m.person_id,
                "household": m.household_id,
                "household_reference": m.household.reference,
                "relationship": m.relationship,
                "started_on": _day(m.started_on),
                "ended_on": _day(m.ended_on),
                "end_reason": m.end_reason or None,
            }
            for m in memberships
        ],
        "households": _households(households, targets),
        "cases": _cases(
            Q(person_id__in=ids) | Q(person__isnull=True, household_id__in=households), targets
        ),
        "referrals": [
            _referral(r)
            for r in Referral.objects.filter(household_id__in=households)
            .filter(
                Q(case__isnull=True) | Q(case__person__isnull=True) | Q(case__person_id__in=ids)
            )
            .select_related("sending_organisation", "receiving_organisation")
            .order_by("created_at", "pk")
        ],
        "mhpss": _mhpss(ids, targets),
        "consents": _consents(ids, targets),
        "returns": _returns(ids, households, targets),
        "sponsorships": _sponsorships(households, targets),
        "tracing": _tracing(ids, targets),
        "audit_trail": _audit(targets),
    }
