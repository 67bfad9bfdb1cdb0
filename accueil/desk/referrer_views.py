"""The referrers' area of the desk: an outside professional books, for the patient in front
of them, a motif the practice opened to referrers, and sees or cancels what they booked.

Every view needs `Capability.REFERRER_BOOKING` (`staff_view`); the services scope every
query to the appointments the referrer created, so no other page or id reaches anyone
else's patients.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accueil.audit import services as audit
from accueil.audit.models import ObjectType
from accueil.booking import services as booking
from accueil.booking.models import Channel, Status
from accueil.desk import services
from accueil.desk.forms import CancelForm, NewPatientForm, ReferrerSearchForm, parse_day
from accueil.desk.views import _now, _today, staff_view
from accueil.directory.roles import Capability
from accueil.directory.services import Audience
from accueil.patients.services import PatientIdentity
from accueil.scheduling import services as scheduling


@staff_view(Capability.REFERRER_BOOKING)
def appointments(request: HttpRequest) -> HttpResponse:
    found = list(services.referrer_appointments(request.membership)[:200])
    audit.record_reads(
        request,
        organisation_id=request.organisation.id,
        object_type=ObjectType.APPOINTMENT,
        object_ids=[a.public_id for a in found],
        channel=Channel.REFERRER,
        summary="Rendez-vous pris par le correspondant",
    )
    now = _now()
    context = {
        "organisation": request.organisation,
        "nav": "referrer",
        "upcoming": sorted(
            (a for a in found if a.start > now and a.status == Status.BOOKED),
            key=lambda a: a.start,
        ),
        "others": [a for a in found if not (a.start > now and a.status == Status.BOOKED)],
        "cancel_form": CancelForm(),
    }
    return render(request, "desk/referrer/appointments.html", context)


@staff_view(Capability.REFERRER_BOOKING)
def book(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation
    data = request.POST if request.method == "POST" else request.GET
    search = ReferrerSearchForm(
        services.referrer_practitioners(organisation),
        services.referrer_motifs(organisation),
        data if "practitioner" in data else None,
        initial={"day": parse_day(data.get("day"), _today())},
    )
    patient_form = NewPatientForm(request.POST if request.method == "POST" else None)
    context = {
        "organisation": organisation,
        "nav": "referrer_book",
        "search": search,
        "patient_form": patient_form,
        "slots": _slots(search.cleaned_data) if search.is_bound and search.is_valid() else [],
    }
    if request.method == "POST" and search.is_valid():
        outcome = _book(request, search.cleaned_data, patient_form)
        if outcome is None:
            messages.success(request, "Rendez-vous enregistré.")
            return redirect("desk:referrer", slug=organisation.slug)
        context["error"] = outcome
        context["slots"] = _slots(search.cleaned_data)
        context["chosen_start"] = request.POST.get("start", "")
    return render(request, "desk/referrer/book.html", context)


def _slots(cleaned: dict) -> list:
    day = cleaned["day"]
    return scheduling.available_slots(
        cleaned["practitioner"], cleaned["motif"], day, day, audience=Audience.REFERRER
    )


def _book(request: HttpRequest, cleaned: dict, patient_form: NewPatientForm) -> str | None:
    """None once booked, else a French error message for the page."""
    try:
        start = dt.datetime.fromisoformat(request.POST.get("start", ""))
    except ValueError:
        return "Choisissez un créneau."
    if not patient_form.is_valid():
        return "Vérifiez l'identité du patient."
    try:
        services.book_for_referrer(
            request.membership,
            practitioner=cleaned["practitioner"],
            motif=cleaned["motif"],
            start=start,
            identity=PatientIdentity(**patient_form.cleaned_data),
        )
    except booking.SlotTaken:
        return "Ce créneau vient d'être pris. Voici les créneaux encore libres."
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            if field in patient_form.fields:
                for error in errors:
                    patient_form.add_error(field, error)
        return " ".join(exc.messages)
    return None


@staff_view(Capability.REFERRER_BOOKING)
@require_POST
def cancel(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        cancelled = services.cancel_for_referrer(
            request.membership, public_id, reason=reason, now=timezone.now()
        )
    except booking.NotChangeable as exc:
        messages.error(request, str(exc))
    else:
        if cancelled is None:
            raise Http404
        messages.success(request, "Rendez-vous annulé.")
    return redirect("desk:referrer", slug=request.organisation.slug)
