"""Exports: who may take which, the audit entry, and the writing.

Each export is recorded in the audit trail (Action.EXPORT) before any row is written, so
that no data leaves without its entry: the channel (web, api, command), the kind
(persons, pseudonymised, aggregate), the format, the number of rows, the organisation,
and what was decided on the way — an unencrypted file and why, people included despite a
withdrawn registration consent and why, the recipient of a pseudonymised file.

Person-level exports are an AES-256 encrypted ZIP by default, with a password that the
person exporting types (at least 12 characters; Awda keeps it nowhere). A plain file
only with the exporter's word that they will store it encrypted, and a reason.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from awda.accounts.models import Organisation, User
from awda.accounts.roles import Can
from awda.audit.models import Action
from awda.audit.services import audit_record
from awda.exports import aggregates, selectors, writers
from awda.exports.pseudonyms import Pseudonyms
from awda.imports.columns import COLUMNS

FORMATS = ("csv", "xlsx")
MIN_PASSWORD = 12
MIN_REASON = 10

PSEUDONYMISED_COLUMNS = (
    "pseudonym",
    "household_pseudonym",
    "sex",
    "year_of_birth",
    "age_group",
    "nationality",
    "camp",
    "origin_governorate",
    "destination_governorate",
    "household_status",
    "relationship",
)


@dataclass(frozen=True)
class PersonExport:
    """An export that was allowed and recorded: what to write."""

    kind: str  # "persons" or "pseudonymised"
    fmt: str
    selection: selectors.Selection
    recipient: str = ""

    @property
    def rows(self) -> int:
        return self.selection.rows

    def filename(self, today: datetime.date | None = None) -> str:
        """No personal data: the organisation's short name, the kind and the date."""
        day = (today or timezone.localdate()).isoformat()
        return f"awda-{self.kind}-{self.selection.organisation.slug}-{day}.{self.fmt}"

    def header(self) -> tuple[str, ...]:
        return COLUMNS if self.kind == "persons" else PSEUDONYMISED_COLUMNS

    def values(self) -> Iterator[list[str]]:
        if self.kind == "persons":
            yield from selectors.person_rows(self.selection)
            return
        pseudonyms = Pseudonyms(self.recipient)
        for person, household, values in selectors.pseudonymised_values(self.selection):
            yield [pseudonyms.person(person), pseudonyms.household(household), *values]

    def csv_chunks(self) -> Iterator[bytes]:
        return writers.csv_chunks(self.header(), self.values())

    def write(self, target: IO[bytes]) -> None:
        if self.fmt == "xlsx":
            writers.write_xlsx(target, self.header(), self.values(), title=self.kind)
        else:
            writers.write_csv(target, self.header(), self.values())

    def write_encrypted(self, target: IO[bytes], password: str) -> None:
        writers.write_encrypted_zip(
            target, password=password, name=self.filename(), write=self.write
        )


def _check_access(by: User | None, organisation: Organisation, capability: Can) -> None:
    """A user exports their own organisation's people only; a command (no user) any."""
    if by is not None and (not by.can(capability) or by.organisation_id != organisation.pk):
        raise PermissionDenied


def _check_rows(fmt: str, rows: int) -> None:
    if fmt not in FORMATS:
        raise ValidationError({"fmt": [_("Choose CSV or XLSX.")]})
    if fmt == "xlsx" and rows + 1 > writers.XLSX_MAX_ROWS:
        raise ValidationError({"fmt": [_("Too many people for one XLSX sheet: choose CSV.")]})


def persons_export(
    *,
    by: User | None,
    organisation: Organisation,
    fmt: str,
    channel: str,
    encrypted: bool = True,
    unencrypted_reason: str = "",
    include_withdrawn: bool = False,
    override_reason: str = "",
    operator: str = "",
) -> PersonExport:
    """Allow and record a person-level export of the organisation's people (columns of
    awda/imports/columns.py). People whose registration consent was withdrawn are left out
    unless `include_withdrawn`, which needs a reason (an override, recorded as such). A
    user's unencrypted file needs a reason; a command's is the operator's business (they
    hold the database), named in the entry (`operator`)."""
    _check_access(by, organisation, Can.EXPORT_PERSONS)
    errors: dict[str, list[str]] = {}
    if not encrypted and by is not None and len(unencrypted_reason.strip()) < MIN_REASON:
        errors["unencrypted_reason"] = [_("Say why you need the file without encryption.")]
    if include_withdrawn and len(override_reason.strip()) < MIN_REASON:
        errors["override_reason"] = [
            _("Say why people who withdrew their consent must be in the file.")
        ]
    if errors:
        raise ValidationError(errors)
    selection = selectors.selection_for(organisation, include_withdrawn=include_withdrawn)
    _check_rows(fmt, selection.rows)
    details: dict[str, Any] = {
        "channel": channel,
        "kind": "persons",
        "format": fmt,
        "rows": selection.rows,
        "organisation": organisation.slug,
        "encrypted": encrypted,
        "left_out_for_consent": len(selection.left_out),
    }
    if not encrypted and unencrypted_reason:
        details["unencrypted_reason"] = unencrypted_reason.strip()[:500]
    if operator:
        details["operator"] = operator
    if include_withdrawn:
        details["consent_override"] = {
            "people": selection.withdrawn,
            "reason": override_reason.strip()[:500],
        }
    with transaction.atomic():
        audit_record(actor=by, action=Action.EXPORT, obj=organisation, details=details)
    return PersonExport("persons", fmt, selection)


def pseudonymised_export(
    *, by: User | None, organisation: Organisation, fmt: str, recipient: str, channel: str
) -> PersonExport:
    """Allow and record a pseudonymised export for a named recipient. People whose
    registration consent was withdrawn are always left out."""
    _check_access(by, organisation, Can.EXPORT_PSEUDONYMISED)
    recipient = " ".join(recipient.split())
    if len(recipient) < 2:
        raise ValidationError({"recipient": [_("Name the organisation that receives the file.")]})
    selection = selectors.selection_for(organisation)
    _check_rows(fmt, selection.rows)
    with transaction.atomic():
        audit_record(
            actor=by,
            action=Action.EXPORT,
            obj=organisation,
            details={
                "channel": channel,
                "kind": "pseudonymised",
                "format": fmt,
                "rows": selection.rows,
                "organisation": organisation.slug,
                "recipient": recipient[:200],
                "left_out_for_consent": len(selection.left_out),
            },
        )
    return PersonExport("pseudonymised", fmt, selection, recipient=recipient)


def aggregate_export(
    *, by: User | None, dimension: str, fmt: str, channel: str, operator: str = ""
) -> aggregates.Table:
    """Allow and record an aggregate export (counts of the whole programme)."""
    if by is not None and not by.can(Can.VIEW_AGGREGATES):
        raise PermissionDenied
    if fmt not in FORMATS:
        raise ValidationError({"fmt": [_("Choose CSV or XLSX.")]})
    table = aggregates.aggregate_table(dimension)
    with transaction.atomic():
        audit_record(
            actor=by,
            action=Action.EXPORT,
            details={
                "channel": channel,
                "kind": "aggregate",
                "by": dimension,
                "format": fmt,
                "rows": len(table.rows),
                "organisation": by.organisation.slug if by and by.organisation else None,
                **({"operator": operator} if operator else {}),
            },
        )
    return table


def write_table(target: IO[bytes], table: aggregates.Table, fmt: str, *, bom: bool = True) -> None:
    """The table with its HXL row. A CSV for people (opened in Excel) starts with a byte
    order mark, so that Arabic names read right; one for machines (the API, the command)
    does not, as HXL tools expect."""
    if fmt == "xlsx":
        writers.write_xlsx(target, table.header, table.rows, hxl=table.hxl, title="aggregate")
    else:
        writers.write_csv(target, table.header, table.rows, hxl=table.hxl, bom=bom)
