"""The exports page: what the user may export, and the downloads. The downloads are POSTs
(a password, a reason, a recipient: never in a URL), except aggregates, which hold
nothing about anyone."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from typing import IO, Any, cast

from django.core.exceptions import ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from awda.accounts.models import Organisation, User
from awda.accounts.roles import Can
from awda.common.forms import add_service_errors
from awda.common.views import acting_user, requires
from awda.exports import aggregates, selectors, services
from awda.exports.forms import PersonExportForm, PseudonymisedExportForm
from awda.reports.selectors import SMALL_CELL

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
}


def _organisation(user: User) -> Organisation:
    if user.organisation is None:
        raise Http404
    return user.organisation


def _page(
    request: HttpRequest,
    *,
    persons_form: PersonExportForm | None = None,
    pseudonymised_form: PseudonymisedExportForm | None = None,
) -> HttpResponse:
    user = acting_user(request)
    context: dict[str, Any] = {
        "dimensions": aggregates.DIMENSIONS,
        "small_cell": SMALL_CELL,
        "min_password": services.MIN_PASSWORD,
    }
    if user.can(Can.EXPORT_PERSONS) or user.can(Can.EXPORT_PSEUDONYMISED):
        selection = selectors.selection_for(_organisation(user))
        context["people"] = selection.total
        context["withdrawn"] = selection.withdrawn
    if user.can(Can.EXPORT_PERSONS):
        context["persons_form"] = persons_form or PersonExportForm()
    if user.can(Can.EXPORT_PSEUDONYMISED):
        context["pseudonymised_form"] = pseudonymised_form or PseudonymisedExportForm()
    return render(request, "exports/index.html", context)


@requires(Can.VIEW_AGGREGATES)
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return _page(request)


def aggregate_filename(by: str, fmt: str) -> str:
    return f"awda-aggregate-{by}-{timezone.localdate().isoformat()}.{fmt}"


def _attachment(response: HttpResponseBase, filename: str) -> HttpResponse:
    response["Content-Disposition"] = content_disposition_header(True, filename)
    # Personal data: no copy in a browser's or a proxy's cache.
    response["Cache-Control"] = "no-store"
    # A file or a stream is an HttpResponseBase, not an HttpResponse, which is all that
    # `requires` takes a view to return; Django treats them alike.
    return cast(HttpResponse, response)


def _file_response(
    write: Callable[[IO[bytes]], None], filename: str, content_type: str
) -> HttpResponse:
    """`write(file)` into an anonymous temporary file (gone from the disk as soon as it is
    closed, which the response does once sent), then that file as the download."""
    handle: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the response)
    try:
        write(handle)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    return _attachment(FileResponse(handle, content_type=content_type), filename)


@requires(Can.EXPORT_PERSONS)
@require_POST
def persons(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    form = PersonExportForm(request.POST)
    if not form.is_valid():
        return _page(request, persons_form=form)
    data = form.cleaned_data
    try:
        export = services.persons_export(
            by=user,
            organisation=_organisation(user),
            fmt=data["fmt"],
            channel="web",
            encrypted=not data["unencrypted"],
            unencrypted_reason=data["unencrypted_reason"],
            include_withdrawn=data["include_withdrawn"],
            override_reason=data["override_reason"],
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return _page(request, persons_form=form)
    if not data["unencrypted"]:
        password = data["password"]
        return _file_response(
            lambda handle: export.write_encrypted(handle, password),
            export.filename() + ".zip",
            CONTENT_TYPES["zip"],
        )
    if export.fmt == "csv":
        return _attachment(
            StreamingHttpResponse(export.csv_chunks(), content_type=CONTENT_TYPES["csv"]),
            export.filename(),
        )
    return _file_response(export.write, export.filename(), CONTENT_TYPES["xlsx"])


@requires(Can.EXPORT_PSEUDONYMISED)
@require_POST
def pseudonymised(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    form = PseudonymisedExportForm(request.POST)
    if not form.is_valid():
        return _page(request, pseudonymised_form=form)
    try:
        export = services.pseudonymised_export(
            by=user,
            organisation=_organisation(user),
            fmt=form.cleaned_data["fmt"],
            recipient=form.cleaned_data["recipient"],
            channel="web",
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return _page(request, pseudonymised_form=form)
    if export.fmt == "csv":
        return _attachment(
            StreamingHttpResponse(export.csv_chunks(), content_type=CONTENT_TYPES["csv"]),
            export.filename(),
        )
    return _file_response(export.write, export.filename(), CONTENT_TYPES["xlsx"])


@requires(Can.VIEW_AGGREGATES)
@require_GET
def aggregate(request: HttpRequest, by: str, fmt: str) -> HttpResponse:
    if by not in aggregates.DIMENSIONS or fmt not in services.FORMATS:
        raise Http404
    table = services.aggregate_export(by=acting_user(request), dimension=by, fmt=fmt, channel="web")
    content = io.BytesIO()
    services.write_table(content, table, fmt)
    response = HttpResponse(content.getvalue(), content_type=CONTENT_TYPES[fmt])
    return _attachment(response, aggregate_filename(by, fmt))
