"""Keeping the search keys of people's names."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from awda.accounts.models import User
from awda.accounts.roles import Can
from awda.audit.models import Action
from awda.audit.services import audit_record
from awda.common.bulk import insert_rows
from awda.common.models import Task
from awda.common.tasks import Progress, task, task_enqueue
from awda.identity.dedup import find_duplicates, read_registrations
from awda.identity.models import MatchCandidate, Merge, NameKey
from awda.identity.names import coarse, family_tokens, skeleton, tokens
from awda.registry.models import CivilDocument, Membership, Person, SpecificNeed

NAME_FIELDS = (
    "first_name_ar",
    "father_name_ar",
    "grandfather_name_ar",
    "family_name_ar",
    "first_name_lat",
    "father_name_lat",
    "grandfather_name_lat",
    "family_name_lat",
)


def name_keys_of(person: Person) -> set[tuple[str, str]]:
    keys: set[tuple[str, str]] = set()
    for field in NAME_FIELDS:
        value = getattr(person, field)
        parts = family_tokens(value) if field.startswith("family") else tokens(value)
        for part in parts:
            sk = skeleton(part)
            if sk:
                keys.add((NameKey.Kind.SKELETON, sk[:40]))
                keys.add((NameKey.Kind.COARSE, coarse(sk)[:40]))
    return keys


def name_keys_insert(persons: Iterable[Person]) -> None:
    """The keys of people just created (nothing to replace), written in plain INSERTs."""
    insert_rows(
        NameKey,
        ("person_id", "kind", "key"),
        (
            (person.pk, kind, key)
            for person in persons
            for kind, key in sorted(name_keys_of(person))
        ),
    )


def name_keys_refresh(persons: Iterable[Person]) -> None:
    """Write the keys of these people's names, replacing what was there."""
    persons = list(persons)
    NameKey.objects.filter(person__in=persons).delete()
    NameKey.objects.bulk_create(
        [
            NameKey(person=person, kind=kind, key=key)
            for person in persons
            for kind, key in sorted(name_keys_of(person))
        ],
        batch_size=2000,
    )


# -- duplicate scans and merges -------------------------------------------------------------


def _registration(person: Person) -> dict[str, str]:
    """A person as the duplicate detection reads a registration."""
    arabic = any(getattr(person, f) for f in NAME_FIELDS[:4])
    suffix = "_ar" if arabic else "_lat"
    dob = ""
    if person.date_of_birth is not None:
        exact = person.dob_precision == Person.DobPrecision.EXACT
        dob = person.date_of_birth.isoformat() if exact else f"{person.date_of_birth.year:04d}"
    return {
        "unique_id": str(person.pk),
        "first_name": getattr(person, f"first_name{suffix}"),
        "father_name": getattr(person, f"father_name{suffix}"),
        "grandfather_name": getattr(person, f"grandfather_name{suffix}"),
        "family_name": getattr(person, f"family_name{suffix}"),
        "sex": person.sex,
        "dob": dob,
        "camp": "",
        "block": "",
        "governorate": "",
        "agency": str(person.organisation_id),
    }


@task("identity.scan")
def registry_scan(current: Task, progress: Progress) -> dict[str, Any]:
    """Look for people registered more than once across the whole registry (every
    organisation: duplicates hide across agencies) and store new candidate pairs.
    Pairs already decided are not asked again."""
    progress(5, "reading the registry")
    people = Person.objects.filter(merged_into__isnull=True).only(
        *NAME_FIELDS, "sex", "date_of_birth", "dob_precision", "organisation_id"
    )
    rows = [
        (index, _registration(p))
        for index, p in enumerate(people.iterator(chunk_size=5000), start=1)
    ]
    progress(25, f"comparing {len(rows)} registrations")
    result = find_duplicates(rows, keep_pairs=True)
    progress(85, "storing the pairs to review")
    found = 0
    with transaction.atomic():
        for pair in result.pairs:
            a, b = sorted((int(pair["left"]), int(pair["right"])))
            _candidate, created = MatchCandidate.objects.get_or_create(
                person_a_id=a,
                person_b_id=b,
                defaults={
                    "score": pair["probability"],
                    "evidence": pair["evidence"],
                    "found_by": current,
                },
            )
            found += created
        audit_record(
            actor=current.created_by,
            action=Action.SCAN,
            details={"task": current.pk, "registrations": len(rows), "new_pairs": found},
        )
    return {"registrations": len(rows), "pairs": len(result.pairs), "new_pairs": found}


def _documents_and_needs(person: Person) -> dict[str, Any]:
    return {
        "documents": {d.kind: d.status for d in CivilDocument.objects.filter(person=person)},
        "needs": sorted(SpecificNeed.objects.filter(person=person).values_list("code", flat=True)),
    }


def _require_reviewer(by: User, candidate: MatchCandidate) -> None:
    if not by.can(Can.REVIEW_DUPLICATES):
        raise PermissionDenied
    owners = {candidate.person_a.organisation_id, candidate.person_b.organisation_id}
    if owners != {by.organisation_id}:
        # Across organisations a merge goes through a referral or transfer first.
        raise PermissionDenied


def candidate_reject(*, candidate: MatchCandidate, by: User, note: str = "") -> MatchCandidate:
    _require_reviewer(by, candidate)
    with transaction.atomic():
        current = MatchCandidate.objects.select_for_update().get(pk=candidate.pk)
        if current.status != MatchCandidate.Status.PENDING:
            raise ValidationError(_("This pair has already been decided."))
        current.status = MatchCandidate.Status.REJECTED
        current.reviewed_by, current.reviewed_at, current.note = by, timezone.now(), note
        current.save()
        audit_record(
            actor=by,
            action=Action.REJECT,
            obj=current,
            details={"persons": [current.person_a_id, current.person_b_id]},
        )
    return current


def candidate_merge(
    *, candidate: MatchCandidate, by: User, survivor: Person, note: str = ""
) -> Merge:
    """Confirm that the pair is one person: the other registration is folded into
    `survivor` (its documents and needs joined, its household membership ended with the
    reason "merged") and hidden behind it. Everything needed to undo it is kept."""
    _require_reviewer(by, candidate)
    if survivor.pk not in (candidate.person_a_id, candidate.person_b_id):
        raise ValidationError(_("Keep one of the two registrations."))
    with transaction.atomic():
        current = MatchCandidate.objects.select_for_update().get(pk=candidate.pk)
        if current.status != MatchCandidate.Status.PENDING:
            raise ValidationError(_("This pair has already been decided."))
        merged_id = (
            current.person_b_id if survivor.pk == current.person_a_id else current.person_a_id
        )
        keeper = Person.objects.select_for_update().get(pk=survivor.pk)
        merged = Person.objects.select_for_update().get(pk=merged_id)
        if keeper.merged_into_id or merged.merged_into_id:
            raise ValidationError(_("One of the two has been merged already; review it again."))
        if (
            merged.relationship == Person.Relationship.HEAD
            and merged.household_id
            and Person.objects.filter(household_id=merged.household_id, merged_into__isnull=True)
            .exclude(pk=merged.pk)
            .exists()
        ):
            raise ValidationError(
                _(
                    "The registration to fold in heads a household with other members: "
                    "keep it, or name another head first."
                )
            )
        before = _documents_and_needs(keeper)
        membership = Membership.objects.filter(person=merged, ended_on__isnull=True).first()
        before["merged_household"] = merged.household_id
        before["merged_relationship"] = merged.relationship
        before["merged_membership"] = membership.pk if membership else None
        for document in CivilDocument.objects.filter(person=merged):
            # "held" wins over "missing": one agency saw the document
            existing = CivilDocument.objects.filter(person=keeper, kind=document.kind).first()
            if existing is None:
                CivilDocument.objects.create(
                    person=keeper, kind=document.kind, status=document.status
                )
            elif (
                document.status == CivilDocument.Status.HELD and existing.status != document.status
            ):
                existing.status = CivilDocument.Status.HELD
                existing.save()
        for code in SpecificNeed.objects.filter(person=merged).values_list("code", flat=True):
            SpecificNeed.objects.get_or_create(person=keeper, code=code)
        if membership:
            membership.ended_on = timezone.localdate()
            membership.end_reason = Membership.EndReason.MERGED
            membership.save()
        merged.merged_into = keeper
        merged.household = None
        merged.relationship = ""
        merged.version += 1
        merged.save()
        keeper.version += 1
        keeper.save()
        current.status = MatchCandidate.Status.CONFIRMED
        current.reviewed_by, current.reviewed_at, current.note = by, timezone.now(), note
        current.save()
        merge = Merge.objects.create(
            candidate=current, survivor=keeper, merged=merged, before=before, merged_by=by
        )
        audit_record(
            actor=by,
            action=Action.MERGE,
            obj=keeper,
            details={"merged": merged.pk, "candidate": current.pk, "merge": merge.pk},
        )
        audit_record(
            actor=by,
            action=Action.MERGE,
            obj=merged,
            changes={"merged_into": [None, keeper.pk]},
            details={"candidate": current.pk, "merge": merge.pk},
        )
    return merge


def merge_undo(*, merge: Merge, by: User) -> Merge:
    """Put both registrations back as they were before the merge."""
    _require_reviewer(by, merge.candidate)
    with transaction.atomic():
        current = Merge.objects.select_for_update().get(pk=merge.pk)
        if current.undone_at is not None:
            raise ValidationError(_("This merge has been undone already."))
        keeper = Person.objects.select_for_update().get(pk=current.survivor_id)
        merged = Person.objects.select_for_update().get(pk=current.merged_id)
        before = current.before
        CivilDocument.objects.filter(person=keeper).delete()
        CivilDocument.objects.bulk_create(
            [CivilDocument(person=keeper, kind=k, status=v) for k, v in before["documents"].items()]
        )
        SpecificNeed.objects.filter(person=keeper).exclude(code__in=before["needs"]).delete()
        household_id = before.get("merged_household")
        if household_id:
            relationship = before.get("merged_relationship") or Person.Relationship.OTHER_RELATIVE
            if (
                relationship == Person.Relationship.HEAD
                and Person.objects.filter(
                    household_id=household_id, relationship=Person.Relationship.HEAD
                ).exists()
            ):
                relationship = Person.Relationship.OTHER_RELATIVE
            Membership.objects.filter(pk=before.get("merged_membership")).update(
                ended_on=None, end_reason=""
            )
            merged.household_id = household_id
            merged.relationship = relationship
        merged.merged_into = None
        merged.version += 1
        merged.save()
        keeper.version += 1
        keeper.save()
        current.undone_by, current.undone_at = by, timezone.now()
        current.save()
        MatchCandidate.objects.filter(pk=current.candidate_id).update(
            status=MatchCandidate.Status.UNDONE
        )
        audit_record(
            actor=by,
            action=Action.UNMERGE,
            obj=keeper,
            details={"merged": merged.pk, "merge": current.pk},
        )
        audit_record(
            actor=by,
            action=Action.UNMERGE,
            obj=merged,
            changes={"merged_into": [keeper.pk, None]},
            details={"merge": current.pk},
        )
    return current


# -- an incoming list against itself and the registry ----------------------------------------


def incoming_list_path(task_pk: int) -> Path:
    folder = Path(settings.VAR_DIR) / "tasks"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder / f"{task_pk}.csv"


def incoming_list_check_start(*, by: User, content: bytes) -> Task:
    """Check a registration list (the dedup-file columns) before it is imported. The file
    is read once here, so that a bad row is reported at once by number, and kept outside
    the web root only until the task has read it."""
    if not by.can(Can.REGISTER):
        raise PermissionDenied
    with tempfile.NamedTemporaryFile(suffix=".csv") as probe:
        probe.write(content)
        probe.flush()
        rows = sum(1 for _ in read_registrations(Path(probe.name)))  # raises InputError
    with transaction.atomic():
        queued = task_enqueue(kind="identity.incoming_list", by=by, params={"rows": rows})
        incoming_list_path(queued.pk).write_bytes(content)
    return queued


@task("identity.incoming_list")
def incoming_list_check(current: Task, progress: Progress) -> dict[str, Any]:
    path = incoming_list_path(current.pk)
    try:
        progress(5, "reading the list")
        incoming = [
            (n, {**r, "unique_id": f"f:{r['unique_id']}"}) for n, r in read_registrations(path)
        ]
    finally:
        path.unlink(missing_ok=True)
    progress(15, "reading the registry")
    people = Person.objects.filter(merged_into__isnull=True).select_related("organisation")
    owners: dict[str, str] = {}
    registry = []
    for person in people.iterator(chunk_size=5000):
        row = _registration(person)
        row["unique_id"] = f"r:{person.pk}"
        owners[row["unique_id"]] = person.organisation.slug
        registry.append((0, row))
    progress(30, f"comparing {len(incoming)} rows with {len(registry)} registrations")
    result = find_duplicates([*incoming, *registry])
    progress(90, "writing the report")
    members: dict[str, list[str]] = {}
    for uid, cluster_id in result.clusters.items():
        members.setdefault(cluster_id, []).append(uid)
    own = current.organisation.slug if current.organisation else ""
    flagged = []
    for uid in sorted((u for u, _r in ((r["unique_id"], r) for _n, r in incoming)), key=_natural):
        group = members[result.clusters[uid]]
        in_file = [u[2:] for u in group if u.startswith("f:") and u != uid]
        in_registry = [u for u in group if u.startswith("r:")]
        if not in_file and not in_registry:
            continue
        flagged.append(
            {
                "row": uid[2:],
                "same_as_rows": in_file,
                # Your organisation's people by id; another organisation's only by name.
                "registered": [int(u[2:]) for u in in_registry if owners[u] == own],
                "registered_elsewhere": sorted(
                    {owners[u] for u in in_registry if owners[u] != own}
                ),
            }
        )
    audit_record(
        actor=current.created_by,
        action=Action.SCAN,
        details={"task": current.pk, "incoming_rows": len(incoming), "flagged_rows": len(flagged)},
    )
    return {"rows": len(incoming), "registrations": len(registry), "flagged": flagged}


def _natural(uid: str) -> tuple[int, str]:
    tail = uid[2:]
    return (int(tail), "") if tail.isdigit() else (1 << 62, tail)
