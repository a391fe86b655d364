"""The demo's family tracing, written through the services: consent to tracing for part
of both organisations' registries, and requests from organisation A for relatives held
by organisation B (and by A itself) — one answered and put back in contact, one waiting
for B's answer, one with suggestions only (a true candidate and namesakes), one that was
not the person, two families looking for each other, one found in A's own caseload and
reunified, and one with no candidate yet."""

from __future__ import annotations

import random

from django.db.models import Q

from awda.accounts.models import Organisation, User
from awda.consent.models import Consent, LegalBasis, Purpose
from awda.consent.services import consent_in_force, consent_record, is_child
from awda.registry.models import Household, Person
from awda.tracing import services
from awda.tracing.models import Candidate, TracingRequest

SEPARATIONS = (
    TracingRequest.Separation.IN_ANOTHER_CAMP,
    TracingRequest.Separation.REPORTED_TRANSFERRED_IRAQ,
    TracingRequest.Separation.REPORTED_DETAINED,
    TracingRequest.Separation.UNKNOWN,
)


def _consent(person: Person, by: User) -> None:
    if consent_in_force(person, Purpose.TRACING) is not None:
        return
    child = is_child(person)
    caregiver = None
    if child and person.household_id:
        caregiver = (
            Person.objects.filter(household_id=person.household_id, relationship="head")
            .exclude(pk=person.pk)
            .first()
        )
        if caregiver is not None and is_child(caregiver):
            caregiver = None
    consent_record(
        by=by,
        person=person,
        purpose=Purpose.TRACING,
        legal_basis=LegalBasis.CONSENT,
        given_by=Consent.GivenBy.CAREGIVER if child else Consent.GivenBy.PERSON,
        caregiver=caregiver,
        child_assent=Consent.Assent.NOT_ASKED if child else "",
    )


def _named(person: Person) -> bool:
    return bool(person.first_name_ar and person.father_name_ar and person.family_name_ar)


def load_tracing(
    households: dict[str, list[Household]],
    users: dict[str, User],
    orgs: dict[str, Organisation],
    rng: random.Random,
) -> None:
    worker = {"org-a": users["caseworker.a"], "org-b": users["caseworker.b"]}
    for slug, rows in households.items():
        for household in sorted(rows, key=lambda h: h.pk)[::4]:
            for person in household.members.filter(merged_into__isnull=True):
                _consent(person, worker[slug])
    a, b = orgs["org-a"], orgs["org-b"]
    traced = Q(consents__purpose=Purpose.TRACING, consents__revoked_at__isnull=True)
    sons = [
        p
        for p in Person.objects.filter(organisation=b, sex="M", merged_into__isnull=True)
        .exclude(relationship="head")
        .order_by("pk")
        if _named(p) and (p.age_on(p.created_at.date()) or 0) >= 4
    ]
    mothers = [
        p
        for p in Person.objects.filter(
            organisation=a, sex="F", relationship__in=["head", "spouse"], merged_into__isnull=True
        ).order_by("pk")
        if _named(p) and not is_child(p)
    ][::3]
    if len(sons) < 5 or len(mothers) < 7:
        return
    rng.shuffle(sons)
    worker_a, worker_b = worker["org-a"], worker["org-b"]
    for son in sons[:5]:
        _consent(son, worker_b)

    def ask(
        mother: Person, son: Person, *, father: bool = True, relationship: str = "child"
    ) -> TracingRequest:
        _consent(mother, worker_a)
        born = son.date_of_birth
        return services.request_create(
            by=worker_a,
            requester=mother,
            relationship=relationship,
            sought=services.Sought(
                sex="M",
                first_name=son.first_name_ar,
                father_name=son.father_name_ar if father else "",
                family_name=son.family_name_ar,
                birth_year=born.year if born else None,
            ),
            separation=rng.choice(SEPARATIONS),
            circumstances="انفصل عن الأسرة أثناء النقل بين المخيمات.",
        )

    def candidate(request: TracingRequest, son: Person) -> Candidate | None:
        return Candidate.objects.filter(request=request, person=son).first()

    # 1. Found in B, B confirmed with his consent, contact restored.
    first = ask(mothers[0], sons[0])
    found = candidate(first, sons[0])
    if found is not None:
        contact = services.contact_request_send(by=worker_a, candidate=found)
        services.contact_request_answer(
            by=worker_b, contact=contact, answer="confirmed", note="وافق على التواصل مع والدته."
        )
        first.refresh_from_db()
        services.request_outcome(
            by=worker_a,
            request=first,
            outcome=TracingRequest.Status.CONTACT_RESTORED,
            expected_version=first.version,
        )
    # 2. A contact request waiting for B's answer.
    second = ask(mothers[1], sons[1])
    found = candidate(second, sons[1])
    if found is not None:
        services.contact_request_send(by=worker_a, candidate=found)
    # 3. Suggestions only: a relative described by first and family name (nothing to
    # infer from the requester's own names), so namesakes come too.
    ask(mothers[2], sons[2], father=False, relationship="other")
    # 4. Not the person.
    fourth = ask(mothers[3], sons[3])
    found = candidate(fourth, sons[3])
    if found is not None:
        contact = services.contact_request_send(by=worker_a, candidate=found)
        services.contact_request_answer(by=worker_b, contact=contact, answer="not_the_person")
    # 5. Two families looking for each other: B's young man asks for his mother too.
    adults = [p for p in sons[4:] if not is_child(p)]
    mother, son = mothers[4], (adults[0] if adults else sons[4])
    _consent(son, worker_b)
    ask(mother, son)
    if not is_child(son) and mother.date_of_birth is not None:
        services.request_create(
            by=worker_b,
            requester=son,
            relationship="parent",
            sought=services.Sought(
                sex="F",
                first_name=mother.first_name_ar,
                father_name=mother.father_name_ar,
                family_name=mother.family_name_ar,
                birth_year=mother.date_of_birth.year,
            ),
            separation=TracingRequest.Separation.IN_ANOTHER_CAMP,
        )
    # 6. Found in A's own caseload: confirmed by A's caseworker, reunified.
    own = [
        p
        for p in Person.objects.filter(traced, organisation=a, sex="M", relationship="child")
        .distinct()
        .order_by("-pk")[:50]
        if _named(p) and p.household_id != mothers[5].household_id
    ]
    if own:
        sixth = ask(mothers[5], own[0])
        found = candidate(sixth, own[0])
        if found is not None:
            services.candidate_confirm_own(by=worker_a, candidate=found)
            sixth.refresh_from_db()
            services.request_outcome(
                by=worker_a,
                request=sixth,
                outcome=TracingRequest.Status.REUNIFIED,
                expected_version=sixth.version,
            )
    # 7. Nobody registered by that name yet.
    _consent(mothers[6], worker_a)
    services.request_create(
        by=worker_a,
        requester=mothers[6],
        relationship="sibling",
        sought=services.Sought(sex="M", first_name="سمعان", family_name="البرغوثي", age=30),
        separation=TracingRequest.Separation.REPORTED_DETAINED,
    )
