from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from awda.accounts.models import User
from awda.accounts.roles import Can
from awda.imports.models import ImportBatch, ImportTemplate


def batches_for_user(user: User) -> QuerySet[ImportBatch]:
    """Imports of the user's organisation; none for a role that does not import."""
    if not user.can(Can.IMPORT_DATA) or user.organisation_id is None:
        return ImportBatch.objects.none()
    return ImportBatch.objects.filter(organisation_id=user.organisation_id).select_related(
        "created_by", "task", "template"
    )


def batch_get_for_user(user: User, pk: int) -> ImportBatch:
    try:
        return batches_for_user(user).get(pk=pk)
    except ImportBatch.DoesNotExist:
        raise Http404 from None


def templates_for_user(user: User) -> QuerySet[ImportTemplate]:
    if not user.can(Can.IMPORT_DATA) or user.organisation_id is None:
        return ImportTemplate.objects.none()
    return ImportTemplate.objects.filter(organisation_id=user.organisation_id)
