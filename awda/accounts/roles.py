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
    MANAGE_USERS = "manage_users"


_STAFF = {Can.VIEW_PERSONAL_DATA, Can.VIEW_AGGREGATES}

CAPABILITIES: dict[str, frozenset[Can]] = {
    Role.REGISTRAR: frozenset(_STAFF | {Can.REGISTER, Can.EDIT_REGISTRY}),
    Role.CASEWORKER: frozenset(
        _STAFF
        | {Can.REGISTER, Can.EDIT_REGISTRY, Can.REFER, Can.RESPOND_TO_REFERRAL, Can.MANAGE_CASES}
    ),
    Role.MHPSS: frozenset(_STAFF | {Can.VIEW_MHPSS, Can.RECORD_MHPSS}),
    Role.RETURNS: frozenset(_STAFF),
    Role.LIAISON: frozenset(_STAFF),
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
        }
    ),
    Role.DPO: frozenset(_STAFF | {Can.VIEW_HISTORY, Can.SEARCH_AUDIT}),
    Role.ADMIN: frozenset(_STAFF | {Can.MANAGE_USERS, Can.MANAGE_FORMS}),
    # Donor viewers see aggregates and nothing about any person.
    Role.DONOR: frozenset({Can.VIEW_AGGREGATES}),
}
