"""Roles and what each may do. The one table to read when asking "who can do X"."""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    REGISTRAR = "registrar", _("Registration officer")
    CASEWORKER = "caseworker", _("Caseworker")
    MHPSS = "mhpss", _("MHPSS worker")
    RETURNS = "returns", _("Return coordinator")
    LIAISON = "liaison", _("Community liaison")
    SUPERVISOR = "supervisor", _("Supervisor")
    DPO = "dpo", _("Data protection officer")
    ADMIN = "admin", _("Administrator")
    DONOR = "donor", _("Donor viewer")


class Can(StrEnum):
    VIEW_PERSONAL_DATA = "view_personal_data"
    REGISTER = "register"
    EDIT_REGISTRY = "edit_registry"
    REFER = "refer"
    RESPOND_TO_REFERRAL = "respond_to_referral"
    VIEW_HISTORY = "view_history"
    SEARCH_AUDIT = "search_audit"
    REVIEW_DUPLICATES = "review_duplicates"
    # Screenings and session notes: opinions about a person's mental health.
    MANAGE_CASES = "manage_cases"
    MANAGE_FORMS = "manage_forms"
    APPROVE_CASES = "approve_cases"
    VIEW_MHPSS = "view_mhpss"
    RECORD_MHPSS = "record_mhpss"
    VIEW_AGGREGATES = "view_aggregates"
    # Return: intentions, readiness ticks and clearance decisions.
    PLAN_RETURNS = "plan_returns"
    # Movements, departures, arrivals, centre stays and handovers.
    MANAGE_MOVEMENTS = "manage_movements"
    # Schedule a household whose readiness checklist is not complete (with a reason).
    OVERRIDE_READINESS = "override_readiness"
    # Sponsors (and their contact details), sponsorships, acceptance activities.
    MANAGE_COMMUNITY = "manage_community"
    RECORD_FOLLOW_UP = "record_follow_up"
    # Tracing requests, contact requests to and from other organisations.
    TRACE = "trace"
    # Reintegration survey answers and scores (the psychosocial dimension among them).
    VIEW_REINTEGRATION = "view_reintegration"
    MANAGE_USERS = "manage_users"
    # Upload files to import: registration lists, Kobo and ODK submissions. What a file
    # brings in needs the role's own capability too (registering, recording follow-ups or
    # screenings, managing cases): an MHPSS worker imports screenings, not households.
    IMPORT_DATA = "import_data"
    # Person-level exports (names, dates of birth): always audited, encrypted by default.
    EXPORT_PERSONS = "export_persons"
    # Exports with a pseudonym per person and recipient, no names, contacts or exact dates.
    EXPORT_PSEUDONYMISED = "export_pseudonymised"


_STAFF = {Can.VIEW_PERSONAL_DATA, Can.VIEW_AGGREGATES}

CAPABILITIES: dict[str, frozenset[Can]] = {
    Role.REGISTRAR: frozenset(_STAFF | {Can.REGISTER, Can.EDIT_REGISTRY, Can.IMPORT_DATA}),
    Role.CASEWORKER: frozenset(
        _STAFF
        | {
            Can.REGISTER,
            Can.EDIT_REGISTRY,
            Can.REFER,
            Can.RESPOND_TO_REFERRAL,
            Can.MANAGE_CASES,
            Can.PLAN_RETURNS,
            Can.RECORD_FOLLOW_UP,
            Can.VIEW_REINTEGRATION,
            Can.TRACE,
            Can.IMPORT_DATA,
        }
    ),
    Role.MHPSS: frozenset(
        _STAFF | {Can.VIEW_MHPSS, Can.RECORD_MHPSS, Can.VIEW_REINTEGRATION, Can.IMPORT_DATA}
    ),
    Role.RETURNS: frozenset(
        _STAFF
        | {
            Can.PLAN_RETURNS,
            Can.MANAGE_MOVEMENTS,
            # Births on the way and changes of composition at departure.
            Can.EDIT_REGISTRY,
            Can.REFER,
            Can.RESPOND_TO_REFERRAL,
            Can.MANAGE_COMMUNITY,
            Can.RECORD_FOLLOW_UP,
            Can.VIEW_REINTEGRATION,
        }
    ),
    # Community liaisons work with sponsors and leaders: they see the return pipeline but
    # not survey answers or scores (psychosocial data among them) nor MHPSS records.
    Role.LIAISON: frozenset(_STAFF | {Can.MANAGE_COMMUNITY}),
    Role.SUPERVISOR: frozenset(
        _STAFF
        | {
            Can.REGISTER,
            Can.EDIT_REGISTRY,
            Can.REFER,
            Can.RESPOND_TO_REFERRAL,
            Can.VIEW_HISTORY,
            Can.REVIEW_DUPLICATES,
            Can.VIEW_MHPSS,
            Can.MANAGE_CASES,
            Can.APPROVE_CASES,
            Can.PLAN_RETURNS,
            Can.MANAGE_MOVEMENTS,
            Can.OVERRIDE_READINESS,
            Can.MANAGE_COMMUNITY,
            Can.RECORD_FOLLOW_UP,
            Can.VIEW_REINTEGRATION,
            Can.TRACE,
            Can.IMPORT_DATA,
            Can.EXPORT_PERSONS,
            Can.EXPORT_PSEUDONYMISED,
        }
    ),
    Role.DPO: frozenset(_STAFF | {Can.VIEW_HISTORY, Can.SEARCH_AUDIT, Can.EXPORT_PSEUDONYMISED}),
    Role.ADMIN: frozenset(_STAFF | {Can.MANAGE_USERS, Can.MANAGE_FORMS}),
    # Donor viewers see aggregates and nothing about any person.
    Role.DONOR: frozenset({Can.VIEW_AGGREGATES}),
}
