from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from awda.accounts.roles import Can
from awda.audit.models import Action
from awda.audit.services import audit_record
from awda.common.forms import StyledForm, add_service_errors
from awda.common.views import acting_user, paginate, requires
from awda.imports import selectors, services
from awda.imports.mapping import FIELD_LABELS, FIELDS
from awda.imports.models import ImportBatch, ImportTemplate
from awda.imports.report import report_xlsx

ENCODINGS = [
    ("", gettext_lazy("Detect automatically (UTF-8 or UTF-16)")),
    ("cp1256", gettext_lazy("Windows Arabic (cp1256)")),
    ("utf-8", "UTF-8"),
]
KINDS = [
    ("", gettext_lazy("Detect from the file")),
    ("registration", gettext_lazy("Registration list (households and members)")),
    ("survey", gettext_lazy("Reintegration survey submissions")),
    ("screening", gettext_lazy("MHPSS screening submissions")),
    ("assessment", gettext_lazy("Case assessment submissions")),
]


class UploadForm(StyledForm):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "Excel (.xlsx), CSV, a Kobo export (JSON or labelled .xlsx) or an ODK Central "
            "CSV zip; at most 50 MB."
        ),
    )
    form = forms.FileField(
        label=gettext_lazy("The form's XLSForm (for a Kobo JSON export)"), required=False
    )
    template = forms.ModelChoiceField(
        label=gettext_lazy("Column mapping"),
        queryset=ImportTemplate.objects.none(),
        required=False,
        empty_label=gettext_lazy("Recognise the columns automatically"),
    )
    encoding = forms.ChoiceField(
        label=gettext_lazy("Text encoding (CSV)"), choices=ENCODINGS, required=False
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("What the file holds"), choices=KINDS, required=False
    )

    def __init__(self, *args: object, templates: object = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates  # type: ignore[attr-defined]


@requires(Can.IMPORT_DATA)
def batch_list(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    templates = selectors.templates_for_user(user)
    form = UploadForm(request.POST or None, request.FILES or None, templates=templates)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size and upload.size > services.MAX_UPLOAD:
            form.add_error("file", _("The file is larger than 50 MB; split it."))
        else:
            extra = form.cleaned_data.get("form")
            try:
                batch = services.batch_start(
                    by=user,
                    content=upload.read(),
                    file_name=upload.name or "",
                    form=extra.read() if extra else None,
                    template=form.cleaned_data.get("template"),
                    encoding=form.cleaned_data.get("encoding") or "",
                    kind=form.cleaned_data.get("kind") or "",
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return redirect("imports:batch_detail", pk=batch.pk)
    return render(
        request,
        "imports/batch_list.html",
        {
            "form": form,
            "page": paginate(request, selectors.batches_for_user(user)),
            "templates": templates,
        },
    )


def _problem_filter(batch: ImportBatch, request: HttpRequest) -> list[dict[str, object]]:
    shown = request.GET.get("show", "")
    problems = batch.problems
    if shown == "duplicates":
        return [p for p in problems if p.get("code") == "duplicate"]
    if shown == "other":
        return [p for p in problems if p.get("code") != "duplicate"]
    return list(problems)


@requires(Can.IMPORT_DATA)
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    batch = services.batch_recover(selectors.batch_get_for_user(user, pk))
    audit_record(actor=user, action=Action.VIEW, obj=batch)
    problems = _problem_filter(batch, request)
    page = Paginator(problems, 50).get_page(request.GET.get("page"))
    mapped = batch.mapping or {}
    return render(
        request,
        "imports/batch_detail.html",
        {
            "batch": batch,
            "page": page,
            "show": request.GET.get("show", ""),
            "duplicate_count": sum(1 for p in batch.problems if p.get("code") == "duplicate"),
            "columns": [(header, mapped.get(header, "")) for header in batch.headers],
            "fields": [(f, FIELD_LABELS.get(f, f)) for f in FIELDS],
            "import_anyway": set(batch.import_anyway),
        },
    )


@requires(Can.IMPORT_DATA)
def batch_progress(request: HttpRequest, pk: int) -> HttpResponse:
    batch = services.batch_recover(selectors.batch_get_for_user(acting_user(request), pk))
    return render(request, "imports/_progress.html", {"batch": batch, "swapped": True})


@requires(Can.IMPORT_DATA)
def batch_report(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    batch = selectors.batch_get_for_user(user, pk)
    if batch.status in (ImportBatch.Status.CHECKING,):
        raise Http404
    content = report_xlsx(batch.problems, file_name=batch.file_name)
    audit_record(
        actor=user,
        action=Action.EXPORT,
        obj=batch,
        details={"what": "import report", "problems": len(batch.problems)},
    )
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="import-{batch.pk}-report.xlsx"'
    return response


def _done(request: HttpRequest, batch: ImportBatch, error: ValidationError | None) -> HttpResponse:
    if error is not None:
        messages.error(request, "; ".join(error.messages))
    return redirect("imports:batch_detail", pk=batch.pk)


@require_POST
@requires(Can.IMPORT_DATA)
def batch_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    batch = selectors.batch_get_for_user(user, pk)
    mapping = {
        header: request.POST.get(f"map-{index}", "") for index, header in enumerate(batch.headers)
    }
    try:
        services.batch_remap(
            by=user, batch=batch, mapping=mapping, save_as=request.POST.get("save_as", "")
        )
    except ValidationError as error:
        return _done(request, batch, error)
    return _done(request, batch, None)


@require_POST
@requires(Can.IMPORT_DATA)
def batch_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    batch = selectors.batch_get_for_user(user, pk)
    ticked = {int(r) for r in request.POST.getlist("row") if r.isdigit()}
    shown = {int(r) for r in request.POST.getlist("shown") if r.isdigit()}
    rows = sorted((set(batch.import_anyway) - shown) | ticked)
    try:
        services.batch_decide(by=user, batch=batch, import_anyway=rows)
    except ValidationError as error:
        return _done(request, batch, error)
    messages.success(request, _("Your decisions are saved."))
    return _done(request, batch, None)


@require_POST
@requires(Can.IMPORT_DATA)
def batch_commit(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    batch = selectors.batch_get_for_user(user, pk)
    try:
        services.batch_commit_start(
            by=user, batch=batch, skip_bad_rows=request.POST.get("skip_bad_rows") == "1"
        )
    except ValidationError as error:
        return _done(request, batch, error)
    return _done(request, batch, None)


@require_POST
@requires(Can.IMPORT_DATA)
def batch_rollback(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    batch = selectors.batch_get_for_user(user, pk)
    try:
        services.batch_rollback(by=user, batch=batch)
    except ValidationError as error:
        return _done(request, batch, error)
    messages.success(request, _("The import is undone."))
    return _done(request, batch, None)


@require_POST
@requires(Can.IMPORT_DATA)
def batch_discard(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    batch = selectors.batch_get_for_user(user, pk)
    try:
        services.batch_discard(by=user, batch=batch)
    except ValidationError as error:
        return _done(request, batch, error)
    return redirect("imports:batch_list")


@require_POST
@requires(Can.IMPORT_DATA)
def template_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = acting_user(request)
    template = selectors.templates_for_user(user).filter(pk=pk).first()
    if template is None:
        raise Http404
    audit_record(actor=user, action=Action.DELETE, obj=template)
    template.delete()
    return redirect("imports:batch_list")
