"""The practice owner's data-protection pages: the audit log (search, CSV export) and the
patients' rights (everything held about one patient, as a page and as JSON; erasure).

Owners only (`Capability.PRIVACY`): other members get 403, outsiders 404 (`staff_view`).
Thin: the rules are in `audit.services` and `privacy.rights`.
"""

from __future__ import annotations

import csv
import json

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from accueil.audit import services as audit
from accueil.audit.models import AuditEntry, ObjectType
from accueil.booking.models import Channel
from accueil.desk.privacy_forms import JournalFilterForm
from accueil.desk.views import staff_view
from accueil.directory.roles import Capability
from accueil.privacy import rights
from accueil.scheduling import engine

PAGE_SIZE = 100


# Audit log ----------------------------------------------------------------------------------


@staff_view(Capability.PRIVACY)
def journal(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation
    form = JournalFilterForm(organisation, request.GET or None)
    entries = AuditEntry.objects.none()
    if not form.is_bound or form.is_valid():
        filters = form.filters() if form.is_bound else audit.Filters()
        entries = audit.search(organisation, filters)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "organisation": organisation,
        "nav": "journal",
        "form": form,
        "page": page,
        "rows": [_row(e) for e in page],
        "query": query.urlencode(),
        "retention_days": settings.AUDIT_RETENTION_DAYS,
    }
    return render(request, "desk/privacy/journal.html", context)


@staff_view(Capability.PRIVACY)
def journal_csv(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation
    form = JournalFilterForm(organisation, request.GET or None)
    if form.is_bound and not form.is_valid():
        return redirect(
            reverse("desk:journal", args=[organisation.slug]) + "?" + request.GET.urlencode()
        )
    filters = form.filters() if form.is_bound else audit.Filters()
    entries = audit.search(organisation, filters)
    audit.record_read(
        request,
        organisation_id=organisation.id,
        object_type=ObjectType.AUDIT_LOG,
        object_id="",
        channel=Channel.DESK,
        summary="Export CSV du journal",
    )
    today = timezone.localtime(timezone.now(), engine.PARIS).date()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    _write_csv(response, entries)
    name = f"journal-{organisation.slug}-{today.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


CSV_HEADER = [
    "Date",
    "Utilisateur",
    "Action",
    "Objet",
    "Identifiant",
    "Canal",
    "Adresse IP",
    "Détail",
]


def _write_csv(out: HttpResponse, entries: QuerySet[AuditEntry]) -> None:
    writer = csv.writer(out, delimiter=";")
    writer.writerow(CSV_HEADER)
    for entry in entries.iterator(chunk_size=2000):
        row = _row(entry)
        writer.writerow(
            [
                row["at"].strftime("%d/%m/%Y %H:%M:%S"),
                row["actor"],
                row["action"],
                row["object"],
                entry.object_id,
                row["channel"],
                entry.ip or "",
                entry.summary,
            ]
        )


def _row(entry: AuditEntry) -> dict:
    return {
        "entry": entry,
        "at": timezone.localtime(entry.at, engine.PARIS),
        "actor": entry.actor_label or "Patient ou public",
        "action": entry.get_action_display(),
        "object": entry.get_object_type_display(),
        "channel": audit.channel_label(entry.channel),
    }


# Patients' rights ---------------------------------------------------------------------------


def _patient_data(request: HttpRequest, patient_id: int, summary: str) -> dict:
    data = rights.patient_data(request.organisation, patient_id)
    if data is None:
        raise Http404
    audit.record_read(
        request,
        organisation_id=request.organisation.id,
        object_type=ObjectType.PATIENT,
        object_id=patient_id,
        channel=Channel.DESK,
        summary=summary,
    )
    return data


@staff_view(Capability.PRIVACY)
def patient_data(request: HttpRequest, patient_id: int) -> HttpResponse:
    data = _patient_data(request, patient_id, "Données du patient (droit d'accès)")
    context = {
        "organisation": request.organisation,
        "nav": "patients",
        "patient_id": patient_id,
        "data": data,
    }
    response = render(request, "desk/privacy/patient_data.html", context)
    response["Cache-Control"] = "no-store"
    return response


@staff_view(Capability.PRIVACY)
def patient_data_json(request: HttpRequest, patient_id: int) -> HttpResponse:
    data = _patient_data(request, patient_id, "Export JSON des données (droit d'accès)")
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="patient-{patient_id}.json"'
    response["Cache-Control"] = "no-store"
    return response


@staff_view(Capability.PRIVACY)
def patient_erase(request: HttpRequest, patient_id: int) -> HttpResponse:
    organisation = request.organisation
    data = _patient_data(request, patient_id, "Effacement : page de confirmation")
    error = ""
    if request.method == "POST":
        if request.POST.get("confirm") != "oui":
            error = "Cochez la case pour confirmer l'effacement."
        else:
            try:
                rights.erase(organisation, patient_id, actor=request.user)
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                messages.success(request, "Le patient a été effacé (anonymisé).")
                return redirect("desk:patient", slug=organisation.slug, patient_id=patient_id)
    context = {
        "organisation": organisation,
        "nav": "patients",
        "patient_id": patient_id,
        "data": data,
        "error": error,
    }
    return render(request, "desk/privacy/erase.html", context)
