"""The receptionist's instruction sheet ("consignes") in the settings: read it in French,
download it as YAML, replace it by a YAML text or file (owners), see its versions.

Each save is a new version (`reception.services.save_sheet`), used from the next call on;
the service's French errors are shown by field, with their line in the YAML text.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from accueil.desk.calls_forms import SheetForm
from accueil.desk.settings_views import settings_view
from accueil.reception import services, sheet_view


def _page(request: HttpRequest, template: str, **context) -> HttpResponse:
    context.update(
        organisation=request.organisation,
        nav="settings",
        section="instructions",
        may_edit=request.may_edit,
    )
    return render(request, f"desk/calls/{template}", context)


@settings_view
def instructions(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation
    form = SheetForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        initial={"text": services.export_sheet_yaml(organisation)},
    )
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data["text"]
        try:
            row = services.import_sheet_yaml(
                organisation, text, actor=request.user, note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            for error in sheet_view.place_errors(exc.message_dict, text):
                form.add_error("text", f"{error.where} : {' '.join(error.messages)}")
            if form.cleaned_data.get("file"):
                form.data = form.data.copy()
                form.data["text"] = text  # the lines of the errors are the file's
        else:
            messages.success(
                request,
                f"Version {row.version} des consignes enregistrée : elle s'applique dès le "
                "prochain appel.",
            )
            return redirect("desk:instructions", slug=organisation.slug)
    version, sheet = services.current_sheet(organisation)
    versions = services.sheet_versions(organisation)
    return _page(
        request,
        "instructions.html",
        form=form,
        version=version,
        current=versions[0] if versions else None,
        versions=versions,
        sheet=sheet_view.describe(sheet),
    )


@settings_view
@require_safe
def instructions_version(request: HttpRequest, sheet_version: int) -> HttpResponse:
    row = services.sheet_version(request.organisation, sheet_version)
    if row is None:
        raise Http404
    latest = services.current_sheet(request.organisation)[0]
    return _page(
        request,
        "instructions_version.html",
        row=row,
        latest=latest,
        sheet=sheet_view.describe(row.data),
    )


@settings_view
@require_safe
def instructions_yaml(request: HttpRequest) -> HttpResponse:
    """The sheet in force, or `?version=N`, as a YAML file."""
    raw = request.GET.get("version", "")
    if raw and not raw.isdigit():
        raise Http404
    version = int(raw) if raw else None
    text = services.export_sheet_yaml(request.organisation, version)
    if text is None:
        raise Http404
    number = version if version is not None else services.current_sheet(request.organisation)[0]
    response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
    filename = f"consignes-{request.organisation.slug}-v{number}.yaml"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
