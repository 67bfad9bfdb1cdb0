"""Back-office pages. Thin: resolve the organisation, parse, call services, render.

Every view but the organisation list is wrapped by `staff_view(capability)`: anonymous users
go to the login page, users without a membership of the organisation in the URL get a 404,
members whose role lacks the capability (`directory.roles`) a 403.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accueil.audit import services as audit
from accueil.audit.models import ObjectType
from accueil.booking import services as booking
from accueil.booking.models import Appointment, Channel, Status
from accueil.desk import services
from accueil.desk.forms import (
    AbsenceForm,
    CancelForm,
    MessageForm,
    NewPatientForm,
    SlotSearchForm,
    parse_day,
)
from accueil.directory import roles
from accueil.directory.roles import Capability
from accueil.directory.services import Audience
from accueil.notify import services as notify
from accueil.patients.models import Patient
from accueil.patients.services import PatientIdentity, set_sms_opt_out
from accueil.privacy import rights
from accueil.scheduling import engine
from accueil.scheduling import services as scheduling
from accueil.scheduling.models import Absence

PX_PER_MINUTE = 1.4
POLL_SECONDS = 4


# What a member refused by `staff_view` reads (403), by the capability the page needs.
REFUSALS = {
    Capability.PRIVACY: "Seul le responsable de l'établissement peut consulter le journal "
    "d'accès et traiter les demandes des patients (accès à leurs données, effacement).",
    Capability.REFERRER_BOOKING: "Cet espace est celui des correspondants de l'établissement.",
}
DEFAULT_REFUSAL = "Votre rôle dans l'établissement ne donne pas accès à cette page."


def staff_view(capability: Capability | None):
    """The view needs a membership of the URL's organisation whose role has `capability`
    (`directory.roles`; None: any member). Anonymous users go to the login page; anyone outside the
    organisation gets a 404 (no existence leak); a member without the capability a 403
    (they know the practice: the page says why)."""

    def decorate(view):
        @login_required(login_url="desk:login")
        @functools.wraps(view)
        def wrapper(request: HttpRequest, slug: str, *args, **kwargs) -> HttpResponse:
            membership = services.membership_of(request.user, slug)
            if membership is None:
                raise Http404
            request.membership = membership
            request.organisation = membership.organisation
            request.capabilities = roles.capabilities_of(membership)  # the menu reads them
            if capability is not None and not roles.may(membership, capability):
                return refuse(request, capability)
            return view(request, *args, **kwargs)

        wrapper.capability = capability  # read by tests/security/test_access_sweep.py
        return wrapper

    return decorate


def refuse(request: HttpRequest, capability: Capability) -> HttpResponse:
    context = {
        "organisation": request.organisation,
        "reason": REFUSALS.get(capability, DEFAULT_REFUSAL),
        "home": reverse(roles.home_page(request.membership), args=[request.organisation.slug]),
    }
    return render(request, "desk/forbidden.html", context, status=403)


def _now() -> dt.datetime:
    return timezone.now()


def _audit_read(request: HttpRequest, object_type: ObjectType, object_id, summary: str) -> None:
    """This page shows patient data: the audit log records who opened it."""
    audit.record_read(
        request,
        organisation_id=request.organisation.id,
        object_type=object_type,
        object_id=object_id,
        channel=Channel.DESK,
        summary=summary,
    )


def _audit_search(request: HttpRequest, found: list[Patient], summary: str) -> None:
    """Search results show names, birth dates and phones: each patient listed is a read.
    The summary never repeats the query, which may be a name."""
    audit.record_reads(
        request,
        organisation_id=request.organisation.id,
        object_type=ObjectType.PATIENT,
        object_ids=[p.id for p in found],
        channel=Channel.DESK,
        summary=summary,
    )


def _today() -> dt.date:
    return timezone.localtime(_now(), engine.PARIS).date()


@login_required(login_url="desk:login")
def home(request: HttpRequest) -> HttpResponse:
    memberships = list(services.memberships(request.user))
    if len(memberships) == 1:
        return redirect(roles.home_page(memberships[0]), slug=memberships[0].organisation.slug)
    return render(request, "desk/home.html", {"memberships": memberships})


@staff_view(None)
def organisation_home(request: HttpRequest) -> HttpResponse:
    return redirect(roles.home_page(request.membership), slug=request.organisation.slug)


# Agenda -------------------------------------------------------------------------------------


@staff_view(Capability.AGENDA)
def agenda(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation
    practitioners = list(organisation.practitioners.filter(active=True))
    chosen = {int(i) for i in request.GET.getlist("p") if i.isdigit()}
    shown = [p for p in practitioners if p.id in chosen] or practitioners
    day = parse_day(request.GET.get("jour"), _today())
    week = request.GET.get("vue") == "semaine"
    if week:
        monday = day - dt.timedelta(days=day.weekday())
        days = [monday + dt.timedelta(days=i) for i in range(6)]
        shown = shown[:1]
    else:
        days = [day]
    stamp = services.agenda_stamp(organisation)
    if request.headers.get("HX-Request") and request.GET.get("stamp") == stamp:
        return HttpResponse(status=204)  # nothing changed: htmx keeps the page as it is
    columns = services.agenda(organisation, shown, days)
    if not request.headers.get("HX-Request"):  # polls redraw what this read recorded
        _audit_read(
            request,
            ObjectType.AGENDA,
            days[0].isoformat(),
            f"{'Semaine' if week else 'Jour'} du {days[0]:%d/%m/%Y}, "
            f"praticiens {', '.join(str(p.id) for p in shown)}",
        )
    step = dt.timedelta(days=7 if week else 1)
    context = {
        "organisation": organisation,
        "nav": "agenda",
        "practitioners": practitioners,
        "shown": shown,
        "day": day,
        "week": week,
        "grid": _grid(columns, request.organisation.slug),
        "stamp": stamp,
        "poll_seconds": POLL_SECONDS,
        "previous": day - step,
        "next": day + step,
        "today": _today(),
        "query": request.GET.urlencode(),
    }
    template = "desk/_agenda_grid.html" if request.headers.get("HX-Request") else "desk/agenda.html"
    return render(request, template, context)


def _grid(columns: list[services.Column], slug: str) -> dict:
    """Pixel geometry of the agenda: hour lines, and blocks placed from the first hour."""
    instants = [b.start for c in columns for b in c.open] + [
        a.start for c in columns for a in c.appointments
    ]
    ends = [b.end for c in columns for b in c.open] + [
        a.end for c in columns for a in c.appointments
    ]
    first_hour = min([8] + [timezone.localtime(i, engine.PARIS).hour for i in instants])
    last_hour = max([19] + [_ceil_hour(timezone.localtime(i, engine.PARIS)) for i in ends])
    last_hour = min(last_hour, 24)

    def place(column: services.Column, start: dt.datetime, end: dt.datetime) -> dict:
        origin = engine.wall_clock(column.day, dt.time(first_hour))
        top = max(0.0, (start - origin).total_seconds() / 60 * PX_PER_MINUTE)
        height = max(14.0, (end - start).total_seconds() / 60 * PX_PER_MINUTE)
        return {"top": round(top), "height": round(height)}

    drawn = []
    for column in columns:
        drawn.append(
            {
                "column": column,
                "open": [place(column, b.start, b.end) for b in column.open],
                "absences": [
                    {**place(column, b.start, b.end), "label": b.label or "Absence"}
                    for b in column.absences
                ],
                "appointments": [
                    {
                        **place(column, a.start, a.end),
                        "appointment": a,
                        "colour": a.motif_id % 8,
                        "url": reverse("desk:appointment", args=[slug, a.public_id]),
                    }
                    for a in column.appointments
                ],
            }
        )
    hours = list(range(first_hour, last_hour))
    return {
        "columns": drawn,
        "hours": [{"hour": h, "top": round((h - first_hour) * 60 * PX_PER_MINUTE)} for h in hours],
        "height": round((last_hour - first_hour) * 60 * PX_PER_MINUTE),
    }


def _ceil_hour(moment: dt.datetime) -> int:
    return moment.hour + (1 if moment.minute or moment.second else 0) or 24


# Booking from the desk ----------------------------------------------------------------------


@staff_view(Capability.AGENDA)
def new_appointment(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation
    data = request.POST if request.method == "POST" else request.GET
    search = SlotSearchForm(
        organisation,
        data if "practitioner" in data else None,
        initial={"day": parse_day(data.get("day"), _today())},
    )
    patient_form = NewPatientForm(request.POST if request.POST.get("new_patient") else None)
    context = {
        "organisation": organisation,
        "nav": "new",
        "search": search,
        "patient_form": patient_form,
        "chosen_patient": _chosen_patient(organisation, data.get("patient")),
        "slots": _desk_slots(search.cleaned_data) if search.is_bound and search.is_valid() else [],
    }
    if request.method == "POST" and search.is_valid():
        outcome = _book_from_desk(request, search.cleaned_data, patient_form)
        if isinstance(outcome, Appointment):
            messages.success(request, "Rendez-vous enregistré.")
            return redirect("desk:appointment", slug=organisation.slug, public_id=outcome.public_id)
        context["error"] = outcome
        context["slots"] = _desk_slots(search.cleaned_data)
        context["chosen_start"] = request.POST.get("start", "")
    template = (
        "desk/_slots.html" if request.headers.get("HX-Request") else "desk/new_appointment.html"
    )
    return render(request, template, context)


def _desk_slots(cleaned: dict) -> list[engine.Slot]:
    day = cleaned["day"]
    return scheduling.available_slots(
        cleaned["practitioner"], cleaned["motif"], day, day, audience=Audience.STAFF
    )


def _chosen_patient(organisation, patient_id: str | None) -> Patient | None:
    if not patient_id or not patient_id.isdigit():
        return None
    return Patient.objects.filter(organisation=organisation, pk=int(patient_id)).first()


def _book_from_desk(request: HttpRequest, cleaned: dict, patient_form: NewPatientForm):
    """The appointment, or a French error message for the page."""
    organisation = request.organisation
    try:
        start = dt.datetime.fromisoformat(request.POST.get("start", ""))
    except ValueError:
        return "Choisissez un créneau."
    patient: Patient | PatientIdentity | None = _chosen_patient(
        organisation, request.POST.get("patient")
    )
    if patient is None:
        if not request.POST.get("new_patient"):
            return "Choisissez un patient ou saisissez un nouveau patient."
        if not patient_form.is_valid():
            return "Vérifiez l'identité du patient."
        patient = PatientIdentity(**patient_form.cleaned_data)
    try:
        return booking.book(
            practitioner=cleaned["practitioner"],
            motif=cleaned["motif"],
            start=start,
            patient=patient,
            channel=Channel.DESK,
            audience=Audience.STAFF,
            actor=request.user,
        )
    except booking.SlotTaken:
        return "Ce créneau vient d'être pris. Voici les créneaux encore libres."
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            if field in patient_form.fields and patient_form.is_bound:
                for error in errors:
                    patient_form.add_error(field, error)
        return " ".join(exc.messages)


@staff_view(Capability.PATIENTS)
def patient_picker(request: HttpRequest) -> HttpResponse:
    found = services.search_patients(request.membership, request.GET.get("q", ""), limit=10)
    _audit_search(request, found, "Recherche de patients (prise de rendez-vous)")
    return render(request, "desk/_patient_picker.html", {"patients": found})


# One appointment ----------------------------------------------------------------------------


def _appointment(request: HttpRequest, public_id: uuid.UUID) -> Appointment:
    appointment = (
        services.visible_appointments(request.membership)
        .filter(public_id=public_id)
        .select_related("patient", "practitioner", "motif", "site")
        .first()
    )
    if appointment is None:
        raise Http404
    return appointment


@staff_view(Capability.AGENDA)
def appointment_detail(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    appointment = _appointment(request, public_id)
    _audit_read(request, ObjectType.APPOINTMENT, public_id, "Fiche du rendez-vous")
    day = parse_day(request.GET.get("jour"), timezone.localtime(appointment.start).date())
    slots = []
    if appointment.status == Status.BOOKED:
        slots = scheduling.available_slots(
            appointment.practitioner,
            appointment.motif,
            day,
            day,
            audience=Audience.STAFF,
            ignore_appointment_id=appointment.id,
        )
    context = {
        "organisation": request.organisation,
        "appointment": appointment,
        "events": appointment.events.select_related("actor"),
        "transitions": booking.STATUS_TRANSITIONS.get(appointment.status, set()),
        "statuses": Status,
        "cancel_form": CancelForm(),
        "move_day": day,
        "slots": slots,
        "notifications": notify.messages_of(appointment),
    }
    return render(request, "desk/appointment.html", context)


@staff_view(Capability.AGENDA)
@require_POST
def appointment_status(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    appointment = _appointment(request, public_id)
    try:
        status = Status(request.POST.get("status", ""))
        booking.change_status(appointment, status, channel=Channel.DESK, actor=request.user)
    except (ValueError, booking.NotChangeable):
        messages.error(request, "Ce changement de statut n'est pas possible.")
    if request.POST.get("next_page") == "salle":
        return redirect("desk:waiting_room", slug=request.organisation.slug)
    return redirect("desk:appointment", slug=request.organisation.slug, public_id=public_id)


@staff_view(Capability.AGENDA)
@require_POST
def appointment_cancel(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    appointment = _appointment(request, public_id)
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        booking.cancel(
            appointment, by_patient=False, channel=Channel.DESK, reason=reason, actor=request.user
        )
        messages.success(request, "Rendez-vous annulé.")
    except booking.NotChangeable as exc:
        messages.error(request, str(exc))
    return redirect("desk:appointment", slug=request.organisation.slug, public_id=public_id)


@staff_view(Capability.AGENDA)
@require_POST
def appointment_move(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    appointment = _appointment(request, public_id)
    try:
        start = dt.datetime.fromisoformat(request.POST.get("start", ""))
        booking.move(
            appointment,
            start=start,
            channel=Channel.DESK,
            audience=Audience.STAFF,
            actor=request.user,
        )
        messages.success(request, "Rendez-vous déplacé.")
    except ValueError:
        messages.error(request, "Choisissez un créneau.")
    except booking.SlotTaken:
        messages.error(request, "Ce créneau vient d'être pris. Choisissez-en un autre.")
    except (ValidationError, booking.NotChangeable) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return redirect("desk:appointment", slug=request.organisation.slug, public_id=public_id)


# Waiting room -------------------------------------------------------------------------------


@staff_view(Capability.AGENDA)
def waiting_room(request: HttpRequest) -> HttpResponse:
    rows = services.waiting_room(request.organisation, _now())
    if not request.headers.get("HX-Request"):
        _audit_read(request, ObjectType.WAITING_ROOM, _today().isoformat(), "Salle d'attente")
    context = {
        "organisation": request.organisation,
        "nav": "waiting",
        "rows": rows,
        "arrived": [r for r in rows if r.arrived_at],
        "poll_seconds": POLL_SECONDS * 3,
        "statuses": Status,
    }
    template = (
        "desk/_waiting_room.html" if request.headers.get("HX-Request") else "desk/waiting_room.html"
    )
    return render(request, template, context)


# Patients -----------------------------------------------------------------------------------


@staff_view(Capability.PATIENTS)
def patients(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    found = services.search_patients(request.membership, query, limit=50)
    _audit_search(request, found, "Recherche de patients")
    return render(
        request,
        "desk/patients.html",
        {"organisation": request.organisation, "nav": "patients", "patients": found, "q": query},
    )


@staff_view(Capability.PATIENTS)
def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    file = services.patient_file(request.membership, patient_id)
    if file is None:
        raise Http404
    _audit_read(request, ObjectType.PATIENT, patient_id, "Dossier patient")
    context = {
        "organisation": request.organisation,
        "nav": "patients",
        "file": file,
        "may_handle_rights": rights.may_handle(request.membership),
    }
    return render(request, "desk/patient.html", context)


@staff_view(Capability.PATIENTS)
@require_POST
def patient_sms(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = Patient.objects.filter(organisation=request.organisation, pk=patient_id).first()
    if patient is None:
        raise Http404
    set_sms_opt_out(patient, request.POST.get("sms_opt_out") == "1")
    messages.success(
        request, "Le patient ne recevra plus de SMS." if patient.sms_opt_out else "SMS réactivés."
    )
    return redirect("desk:patient", slug=request.organisation.slug, patient_id=patient_id)


# Absences -----------------------------------------------------------------------------------


@staff_view(Capability.AGENDA)
def new_absence(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation
    form = AbsenceForm(
        organisation, request.POST or None, initial={"day": _today(), "end_day": _today()}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            _, conflicts = scheduling.add_absence(
                data["practitioner"],
                engine.wall_clock(data["day"], data["start_time"]),
                engine.wall_clock(data["end_day"], data["end_time"]),
                reason=data["reason"],
                weekly=data["weekly"],
                repeat_until=data["repeat_until"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, "Absence enregistrée.")
            if conflicts:
                messages.warning(
                    request,
                    f"{len(conflicts)} rendez-vous sont sur ce créneau : déplacez-les ou "
                    "annulez-les.",
                )
            url = reverse("desk:agenda", args=[organisation.slug])
            return redirect(f"{url}?jour={data['day'].isoformat()}")
    return render(request, "desk/absence_form.html", {"organisation": organisation, "form": form})


@staff_view(Capability.AGENDA)
@require_POST
def delete_absence(request: HttpRequest, absence_id: int) -> HttpResponse:
    absence = Absence.objects.filter(
        pk=absence_id, practitioner__organisation=request.organisation
    ).first()
    if absence is None:
        raise Http404
    scheduling.remove_absence(absence)
    messages.success(request, "Absence supprimée.")
    return redirect("desk:agenda", slug=request.organisation.slug)


# Messages -----------------------------------------------------------------------------------


@staff_view(Capability.MESSAGES)
def staff_messages(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation
    form = MessageForm(organisation, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.leave_message(
                organisation,
                channel=Channel.DESK,
                now=_now(),
                actor=request.user,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, "Message enregistré.")
            return redirect("desk:messages", slug=organisation.slug)
    context = {
        "organisation": organisation,
        "nav": "messages",
        "form": form,
        "open_messages": services.open_messages(organisation),
    }
    return render(request, "desk/messages.html", context)


@staff_view(Capability.MESSAGES)
@require_POST
def message_done(request: HttpRequest, message_id: int) -> HttpResponse:
    if not services.mark_message_done(request.organisation, message_id, request.user, _now()):
        raise Http404
    return redirect("desk:messages", slug=request.organisation.slug)
