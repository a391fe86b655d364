"""`awda backup` and `awda restore`: the round trip gives back the same database, byte for
byte, and the same files; a damaged, truncated or foreign archive, or a target that is not
empty, is refused with a clear message and nothing written."""

from __future__ import annotations

import datetime
import hashlib
import io
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import models
from django.db.models.functions import Cast
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from awda.accounts.models import Organisation
from awda.audit.models import AuditEntry
from awda.audit.selectors import audit_verify
from awda.audit.services import BreachData, breach_record
from awda.cases.default_forms import load_default_forms
from awda.cases.models import Attachment, FormDefinition, FormVersion
from awda.cases.services import (
    attachment_add,
    attachment_read,
    case_open,
    note_add,
    referral_create,
)
from awda.common import backup
from awda.community.models import CommunityActor
from awda.community.services import ActorData, actor_create
from awda.conftest import make_user, place, register
from awda.mhpss.services import screening_record
from awda.places.models import Place
from awda.places.services import load_built_in
from awda.registry.models import Household
from awda.reintegration.instruments import load_default_instrument
from awda.reintegration.models import SurveyInstrument
from awda.returns.checklists import load_default_checklists
from awda.returns.models import ChecklistItem, Pathway
from awda.returns.services import intention_record, movement_create

TEST_BACKUP_KEY = Fernet.generate_key().decode()
PDF = b"%PDF-1.4\n% a scanned family booklet, synthetic\n" + bytes(range(256)) * 40
CONTACT = "+963 944 000 111, beside the old mill"
NOTE = "The family asked for a visit after the harvest."


def populate(org_a: Organisation, org_b: Organisation) -> dict[str, object]:
    """A household with members, a case with a note and an encrypted attachment, a
    referral, a screening, a return intention and a movement, a sponsor with encrypted
    contact details, a two-factor device, a breach in the log, and the audit entries all
    of that wrote."""
    caseworker = make_user("alice", org_a, "caseworker")
    supervisor = make_user("sam", org_a, "supervisor")
    counsellor = make_user("mona", org_a, "mhpss")
    coordinator = make_user("rami", org_a, "returns")
    liaison = make_user("lina", org_a, "liaison")
    household = register(caseworker, reference="A-0001")
    case = case_open(by=caseworker, household=household)
    note_add(by=caseworker, case=case, text=NOTE)
    attachment = attachment_add(by=caseworker, case=case, title="Family booklet", content=PDF)
    referral_create(
        by=supervisor,
        household=household,
        receiving_organisation=org_b,
        kind="referral",
        service="health",
        consent="override",
        consent_note="vital interest: urgent treatment",
        reason="needs a specialist",
    )
    screening_record(
        by=counsellor,
        person=household.members.get(relationship="head"),
        instrument="who5",
        answers=[3, 3, 2, 2, 1],
    )
    destination = Place.objects.filter(country="SY", kind="subdistrict").order_by("pcode")[0]
    intention_record(
        by=coordinator,
        household=household,
        pathway=Pathway.SYRIAN_SPONSORSHIP,
        destination=destination,
    )
    movement_create(
        by=coordinator,
        kind="convoy",
        pathway=Pathway.SYRIAN_SPONSORSHIP,
        departs_on=datetime.date.today() + datetime.timedelta(days=10),  # noqa: DTZ011
        origin=place("SY080006-HOL"),
        destination=destination,
        capacity=40,
        vehicles=2,
    )
    TOTPDevice.objects.create(user=caseworker, name="phone", confirmed=True)
    actor = actor_create(
        by=liaison,
        data=ActorData(place=destination, kind="sheikh", name="الشيخ سالم", contact=CONTACT),
    )
    breach_record(
        by=make_user("dora", org_a, "dpo"),
        data=BreachData(
            discovered_at=timezone.now() - datetime.timedelta(days=1),
            description="A shared folder was opened to the world for an afternoon.",
            data_categories=["identity"],
            people_categories=["adults", "children"],
            people_affected=12,
        ),
    )
    return {"caseworker": caseworker, "attachment": attachment, "actor": actor}


def backed_up() -> list[type[models.Model]]:
    """Read from the app registry here, not from the module under test: every table but
    content types, permissions, sessions and login counters."""
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label not in ("contenttypes", "sessions", "axes")
        and model._meta.label_lower != "auth.permission"
    ]


def fingerprint(*, audit_up_to: int | None = None) -> dict[str, tuple[int, str]]:
    """Per table: the row count and the SHA-256 of every row's values, read through the
    ORM (encrypted fields decrypted) and, for encrypted fields, as the stored token."""
    found = {}
    for model in backed_up():
        rows = model._base_manager.order_by("pk")
        if model is AuditEntry and audit_up_to is not None:
            rows = rows.filter(seq__lte=audit_up_to)
        columns = model._meta.local_concrete_fields
        tokens = [
            Cast(c.attname, output_field=models.TextField())
            for c in columns
            if type(c).__module__ == "awda.common.fields"
        ]
        digest = hashlib.sha256()
        count = 0
        for row in rows.values_list(*[c.attname for c in columns], *tokens):
            digest.update(repr(row).encode())
            count += 1
        found[model._meta.label_lower] = (count, digest.hexdigest())
    return found


def files_in(folder: Path) -> dict[str, str]:
    if not folder.exists():
        return {}
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def run(*args: str, **options):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def load_reference_data() -> None:
    """What `migrate`, `load_places` and `load_centres` leave in a fresh instance."""
    if not Place.objects.exists():
        load_built_in()
    load_default_forms(FormDefinition, FormVersion)
    load_default_instrument(SurveyInstrument)
    load_default_checklists(ChecklistItem)


# --- the round trip --------------------------------------------------------------------


def test_a_restore_gives_back_every_row_byte_for_byte_and_every_file(
    transactional_db, settings, tmp_path, org_a, org_b
):
    settings.VAR_DIR = tmp_path / "source"
    made = populate(org_a, org_b)
    before = fingerprint()
    for label in (
        "registry.person",
        "cases.attachment",
        "cases.casenote",
        "cases.referral",
        "mhpss.screening",
        "returns.intention",
        "returns.movement",
        "community.communityactor",
        "audit.breach",
        "otp_totp.totpdevice",
    ):
        assert before[label][0] >= 1, label
    last_seq = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True)[0]
    source_files = files_in(tmp_path / "source" / "attachments")
    assert len(source_files) == 1
    archive = tmp_path / "awda.backup"

    report = run("backup", output=archive)

    assert "Backup written to" in report and "1 attached files" in report
    # the backup itself is recorded, after what it holds
    assert AuditEntry.objects.get(seq=last_seq + 1).details["backup"]

    call_command("flush", interactive=False, verbosity=0)  # a fresh instance elsewhere
    load_reference_data()
    settings.VAR_DIR = tmp_path / "target"
    assert Household.objects.count() == 0

    report = run("restore", str(archive))

    assert "Restored the backup" in report
    after = fingerprint(audit_up_to=last_seq)
    assert after == before
    assert files_in(tmp_path / "target" / "attachments") == source_files
    chain = audit_verify()
    assert chain.intact and chain.entries == last_seq + 1  # the restore is recorded after
    assert AuditEntry.objects.get(seq=last_seq + 1).action == "import"
    # what was encrypted opens again, and new rows do not collide with restored ones
    attachment = Attachment.objects.get(pk=made["attachment"].pk)
    assert attachment_read(by=made["caseworker"], attachment=attachment) == PDF
    assert CommunityActor.objects.get().contact == CONTACT
    assert TOTPDevice.objects.get().user_id == made["caseworker"].pk  # two-factor login too
    register(made["caseworker"], reference="A-0002")
    assert Household.objects.count() == 2


def test_a_restore_that_fails_after_loading_leaves_the_target_as_it_was(
    transactional_db, settings, tmp_path, org_a, org_b
):
    settings.VAR_DIR = tmp_path / "source"
    settings.BACKUP_KEYS = [TEST_BACKUP_KEY]
    populate(org_a, org_b)
    archive = tmp_path / "awda.backup"
    run("backup", output=archive)
    call_command("flush", interactive=False, verbosity=0)
    load_reference_data()
    settings.VAR_DIR = tmp_path / "target"
    empty = fingerprint()
    # the target was given other field keys: everything loads, then the key check fails
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(CommandError, match="AWDA_ENCRYPTION_KEYS here do not open"):
        run("restore", str(archive))

    assert fingerprint() == empty  # reference data back too
    assert files_in(tmp_path / "target" / "attachments") == {}


@pytest.fixture
def archive(settings, tmp_path, org_a, org_b) -> Path:
    """A backup of a populated database, made with TEST_BACKUP_KEY."""
    settings.VAR_DIR = tmp_path / "source"
    settings.BACKUP_KEYS = [TEST_BACKUP_KEY]
    populate(org_a, org_b)
    path = tmp_path / "awda.backup"
    run("backup", output=path)
    settings.VAR_DIR = tmp_path / "target"
    return path


def refused(path: Path, message: str) -> None:
    """The restore is refused with `message`, and nothing was written."""
    before = fingerprint()
    with pytest.raises(CommandError, match=message):
        run("restore", str(path))
    assert fingerprint() == before
    assert files_in(Path(str(path.parent / "target" / "attachments"))) == {}


# --- refused archives ------------------------------------------------------------------


def frames(data: bytes) -> tuple[bytes, list[bytes]]:
    """The clear first line and the frames (length prefix included) of an archive."""
    header, rest = data.split(b"\n", 1)
    found = []
    while rest:
        length = int.from_bytes(rest[:4], "big")
        found.append(rest[: 4 + length])
        rest = rest[4 + length :]
    return header + b"\n", found


@pytest.mark.django_db
@pytest.mark.parametrize("where", [0.01, 0.5, 0.99])
def test_a_flipped_byte_is_refused(archive, where):
    data = bytearray(archive.read_bytes())
    data[int(len(data) * where)] ^= 0x01
    archive.write_bytes(bytes(data))
    refused(archive, "altered|not an Awda backup|No key|damaged|truncated")


@pytest.mark.django_db
def test_a_flipped_byte_inside_a_part_names_the_alteration(archive):
    header, parts = frames(archive.read_bytes())
    middle = bytearray(parts[len(parts) // 2])
    middle[40] ^= 0x01
    parts[len(parts) // 2] = bytes(middle)
    archive.write_bytes(header + b"".join(parts))
    refused(archive, r"The backup was altered: part \d+ does not match its signature")


@pytest.mark.django_db
@pytest.mark.parametrize("cut", ["last byte", "manifest", "half"])
def test_a_truncated_archive_is_refused(archive, cut):
    data = archive.read_bytes()
    header, parts = frames(data)
    if cut == "last byte":
        data = data[:-1]
    elif cut == "manifest":
        data = header + b"".join(parts[:-1])  # ends cleanly between parts
    else:
        data = data[: len(data) // 2]
    archive.write_bytes(data)
    refused(archive, "The backup is truncated")


@pytest.mark.django_db
def test_parts_swapped_or_taken_from_another_backup_are_refused(archive, tmp_path):
    header, parts = frames(archive.read_bytes())
    swapped = [parts[0], parts[2], parts[1], *parts[3:]]
    archive.write_bytes(header + b"".join(swapped))
    refused(archive, r"part 1 is out of place")

    other = tmp_path / "other.backup"
    run("backup", output=other)  # the same key, another archive
    _header, foreign = frames(other.read_bytes())
    archive.write_bytes(header + b"".join([*parts[:3], foreign[3], *parts[4:]]))
    refused(archive, r"part 3 is out of place")


@pytest.mark.django_db
def test_an_archive_made_with_another_key_is_refused(archive, settings):
    settings.BACKUP_KEYS = [Fernet.generate_key().decode()]
    refused(archive, "No key in AWDA_BACKUP_KEYS opens this backup")


@pytest.mark.django_db
def test_an_older_backup_key_still_opens_the_archive(archive, settings):
    settings.BACKUP_KEYS = [Fernet.generate_key().decode(), TEST_BACKUP_KEY]
    assert "is intact" in run("restore", str(archive), check=True)


@pytest.mark.django_db
def test_a_database_that_is_not_empty_is_refused(archive):
    refused(archive, r"The database is not empty \(rows in accounts.organisation: 2")


@pytest.mark.django_db
def test_another_file_is_not_taken_for_a_backup(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"nothing to see\n")
    with pytest.raises(CommandError, match="not an Awda backup"):
        run("restore", str(path))
    with pytest.raises(CommandError, match="Cannot read"):
        run("restore", str(tmp_path / "missing.backup"))


# --- what the archive holds ----------------------------------------------------------------


@pytest.mark.django_db
def test_the_archive_holds_encrypted_fields_as_tokens_never_as_clear_text(archive):
    with archive.open("rb") as stream:
        members = {}
        for name, data in backup._Reader(stream).frames():
            members[name] = members.get(name, b"") + data
    everything = b"".join(members.values())
    assert CONTACT.encode() not in everything and NOTE.encode() not in everything
    assert b"%PDF" not in everything  # attached files stay as stored: encrypted
    tokens = CommunityActor.objects.values_list(Cast("contact", models.TextField()), flat=True)
    assert tokens[0].encode() in members["db/community.communityactor.jsonl"]
    manifest = backup._verify(archive)
    assert manifest["format_version"] == 1
    assert {"model", "rows", "sha256", "columns", "encrypted"} <= set(manifest["tables"][0])
    actors = next(t for t in manifest["tables"] if t["model"] == "community.communityactor")
    assert actors["rows"] == 1 and "contact" in actors["encrypted"]
    assert [m["name"] for m in manifest["members"]][-1].startswith("files/attachments/")


@pytest.mark.django_db
def test_tables_come_after_the_tables_they_point_to(db):
    order = [m._meta.label_lower for m in backup.backed_up_models()]
    assert order.index("accounts.organisation") < order.index("accounts.user")
    assert order.index("registry.household") < order.index("registry.person")
    assert order.index("cases.case") < order.index("cases.attachment")
    assert "audit.auditentry" in order and "otp_totp.totpdevice" in order
    assert order.index("accounts.user") < order.index("otp_static.statictoken")
    assert not [
        label for label in order if label.startswith(("sessions.", "axes.", "contenttypes."))
    ]


@pytest.mark.django_db
def test_a_freshly_migrated_database_counts_as_empty(db):
    """Only the reference data migrations and the gazetteers write is allowed in the
    target: a new data migration that fills another table must be named in
    backup.REFERENCE_DATA, or restores into fresh instances would all be refused."""
    filled = [
        model._meta.label_lower
        for model in backup.backed_up_models()
        if model._base_manager.exists()
    ]
    assert filled and set(filled) <= set(backup.REFERENCE_DATA)


@pytest.mark.django_db
def test_backup_does_not_overwrite_a_file_unless_forced(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    path = tmp_path / "awda.backup"
    path.write_bytes(b"yesterday's")
    with pytest.raises(CommandError, match="exists; give --force"):
        run("backup", output=path)
    assert path.read_bytes() == b"yesterday's"
    with pytest.raises(CommandError, match="is a folder"):
        run("backup", output=tmp_path, force=True)
    run("backup", output=path, force=True)
    assert path.read_bytes().startswith(b"AWDA-BACKUP 1 ")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".awda-backup-")] == []
