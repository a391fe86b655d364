"""Handing out a form for offline collection: the workbook, checked by pyxform, and an
entry in the audit trail saying who took which form."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import models, transaction

from awda.accounts.models import User
from awda.audit.models import Action
from awda.audit.services import audit_record
from awda.collect import xlsform
from awda.collect.selectors import CAPABILITY


def xlsform_export(*, by: User, form: xlsform.XLSForm, obj: models.Model | None = None) -> bytes:
    """The form's workbook, or XLSFormError if pyxform refuses it (then nothing is
    recorded: nothing was handed out). `obj` is the configuration it comes from (the
    survey instrument, the assessment form's version), for the audit entry."""
    if not by.can(CAPABILITY[form.kind]):
        raise PermissionDenied
    content = xlsform.build(form)
    with transaction.atomic():
        audit_record(
            actor=by,
            action=Action.EXPORT,
            obj=obj,
            details={"xlsform": form.form_id, "version": form.version},
        )
    return content
