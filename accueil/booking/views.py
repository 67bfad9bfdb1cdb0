"""The public booking site: search, practice pages, booking, and the manage link.

Thin views: they parse, call `booking.public` (reads) and `booking.services` (writes), and
render. No patient data ever goes into a URL; the manage link's token is the only secret.
Pages showing a patient's data are never cached (`Cache-Control: no-store`).
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accueil.audit import services as audit
from accueil.audit.models import ObjectType
from accueil.booking import french, public
from accueil.booking import services as booking
from accueil.booking.forms import BookingForm, CancelForm
from accueil.booking.models import Appointment, Channel
from accueil.directory.models import Motif, Practitioner
from accueil.reception.sheets import patient_texts
from accueil.scheduling import engine
from accueil.throttle import services as throttle

# Appointments booked in this browser session, newest last: their confirmation pages.
SESSION_BOOKED = "booked_appointments"
SESSION_BOOKED_KEEP = 10
# Strict policy: every script and style of the public site is a same-origin file.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def _now() -> dt.datetime:
    return timezone.now()


def public_page(view):
    """Headers of every public page: the content security policy, no indexing of private
    pages is added where needed by the view."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response

    return wrapper


def private_page(view):
    """A page with a patient's data: never stored by browsers or proxies, never indexed."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return public_page(never_cache(wrapper))


def _partial(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _parse_day(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


# Search and practice pages -------------------------------------------------------------------


@public_page
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    place = request.GET.get("lieu", "")[:100]
    now = _now()
    context = {
        "search": public.search(query, place, now=now),
        "organisations": public.organisations(),
        "searched": bool(query or place),
        "today": public.today(now),
    }
    return render(request, "booking/home.html", context)


@public_page
@require_GET
def practice(request: HttpRequest, org_slug: str, site_slug: str | None = None) -> HttpResponse:
    now = _now()
    page = public.practice_page(org_slug, site_slug, now=now)
    if page is None:
        raise Http404
    return render(request, "booking/practice.html", {"page": page, "today": public.today(now)})


@public_page
@require_GET
def choose_motif(request: HttpRequest, org_slug: str, practitioner_id: int) -> HttpResponse:
    practitioner = public.practitioner_of(org_slug, practitioner_id, now=_now())
    if practitioner is None:
        raise Http404
    return render(
        request,
        "booking/choose_motif.html",
        {"practitioner": practitioner, "organisation": practitioner.organisation},
    )


# Booking -------------------------------------------------------------------------------------


def _bookable(org_slug: str, practitioner_id: int, motif_id: int) -> tuple[Practitioner, Motif]:
    pair = public.bookable(org_slug, practitioner_id, motif_id, now=_now())
    if pair is None:
        raise Http404
    return pair


def _week_context(request: HttpRequest, week: public.Week, slot_url, week_url) -> dict:
    """A week of slots with the URL of each slot and of the weeks around it."""
    site_param = request.GET.get("lieu", "")
    site_id = next((i for i, s in week.sites.items() if s.slug == site_param), None)
    days = [
        {
            "day": d.day,
            "past": d.past,
            "slots": [
                {"slot": s, "url": slot_url(s), "site": week.sites.get(s.site_id)}
                for s in d.slots
                if site_id is None or s.site_id == site_id
            ],
        }
        for d in week.days
    ]
    first_monday = (
        public.monday_of(timezone.localtime(week.first.start, engine.PARIS).date())
        if week.first
        else None
    )
    suffix = f"&lieu={site_param}" if site_id else ""
    return {
        "week": week,
        "days": days,
        "previous_url": week_url(week.previous) + suffix if week.previous else "",
        "next_url": week_url(week.next) + suffix if week.next else "",
        "first_url": week_url(first_monday) + suffix if first_monday else "",
        "first_in_this_week": first_monday == week.monday,
        "site_filter": site_id,
        "site_param": site_param,
        "sunday": week.monday + dt.timedelta(days=6),
        "partial": _partial(request),
    }


@public_page
@require_GET
def week(request: HttpRequest, org_slug: str, practitioner_id: int, motif_id: int) -> HttpResponse:
    practitioner, motif = _bookable(org_slug, practitioner_id, motif_id)
    found = public.week_of_slots(
        practitioner, motif, _parse_day(request.GET.get("semaine")), now=_now()
    )
    base = reverse("booking:week", args=[org_slug, practitioner.id, motif.id])
    form_url = reverse("booking:book", args=[org_slug, practitioner.id, motif.id])
    context = _week_context(
        request,
        found,
        slot_url=lambda s: f"{form_url}?creneau={public.slot_key(s.start)}",
        week_url=lambda monday: f"{base}?semaine={monday.isoformat()}",
    )
    context.update(
        practitioner=practitioner,
        motif=motif,
        organisation=practitioner.organisation,
        week_base=base,
    )
    template = "booking/_week.html" if context["partial"] else "booking/week.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _remember_booking(request: HttpRequest, appointment: Appointment) -> None:
    booked = request.session.get(SESSION_BOOKED, [])
    booked = [*booked, str(appointment.public_id)][-SESSION_BOOKED_KEEP:]
    request.session[SESSION_BOOKED] = booked


def _booked_here(request: HttpRequest) -> list[str]:
    return request.session.get(SESSION_BOOKED, [])


def _same_booking_just_made(
    request: HttpRequest, practitioner: Practitioner, motif: Motif, start: dt.datetime
) -> Appointment | None:
    """A second submit of the same form (double click, reload): the appointment this browser
    booked a moment ago, so that the patient sees it instead of "slot taken"."""
    ids = _booked_here(request)
    if not ids:
        return None
    return Appointment.objects.filter(
        public_id__in=ids, practitioner=practitioner, motif=motif, start=start
    ).first()


@private_page
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, org_slug: str, practitioner_id: int, motif_id: int) -> HttpResponse:
    practitioner, motif = _bookable(org_slug, practitioner_id, motif_id)
    now = _now()
    posted = request.method == "POST"
    start = public.parse_slot_key((request.POST if posted else request.GET).get("creneau"))
    form = BookingForm(practitioner.organisation, request.POST if posted else None)
    if posted:
        throttle.hit_address(throttle.BOOKING_IP, request)
    if start is None:
        problem = _("Choisissez un horaire parmi les créneaux libres.")
        return _render_book(request, form, practitioner, motif, None, problem, status=200)
    if posted and form.is_valid():
        patient, guardian = form.identities()
        # The number that will receive the confirmation SMS (anti SMS pumping).
        throttle.hit(throttle.BOOKING_PHONE, throttle.phone_key(patient.phone))
        try:
            appointment = booking.book(
                practitioner=practitioner,
                motif=motif,
                start=start,
                patient=patient,
                guardian=guardian,
                channel=Channel.WEB,
                audience=public.AUDIENCE,
                now=now,
            )
        except booking.SlotTaken:
            again = _same_booking_just_made(request, practitioner, motif, start)
            if again is not None:
                return redirect("booking:confirmation", public_id=again.public_id)
            problem = _(
                "Ce créneau vient d'être réservé par une autre personne. Vos informations sont "
                "conservées : choisissez un autre horaire ci-dessous, puis confirmez."
            )
            return _render_book(request, form, practitioner, motif, start, problem, status=409)
        except ValidationError as exc:
            form.add_service_errors(exc)
            if "start" in exc.message_dict:
                problem = " ".join(exc.message_dict["start"])
                return _render_book(request, form, practitioner, motif, start, problem, status=200)
        else:
            _remember_booking(request, appointment)
            return redirect("booking:confirmation", public_id=appointment.public_id)
    slot = public.is_free(practitioner, motif, start, now=now)
    problem = "" if slot else _("Ce créneau n'est plus disponible.")
    return _render_book(request, form, practitioner, motif, start, problem, slot=slot, status=200)


def _render_book(
    request: HttpRequest,
    form: BookingForm,
    practitioner: Practitioner,
    motif: Motif,
    start: dt.datetime | None,
    problem: str,
    *,
    status: int,
    slot: engine.Slot | None = None,
) -> HttpResponse:
    """The booking form: for the chosen slot, or, when it must be chosen again (`problem`),
    with the free slots of that day and week as choices, the typed identity kept."""
    now = _now()
    alternatives = []
    if problem:
        around = start if start is not None and start > now else now
        sites = {s.id: s for s in practitioner.sites.all()}
        alternatives = [
            {
                "day": d.day,
                "slots": [
                    {
                        "start": s.start,
                        "key": public.slot_key(s.start),
                        "site": sites.get(s.site_id) if len(sites) > 1 else None,
                    }
                    for s in d.slots
                ],
            }
            for d in public.slots_around(practitioner, motif, around, now=now)
        ]
    context = {
        "form": form,
        "practitioner": practitioner,
        "motif": motif,
        "motif_instructions": patient_texts(practitioner.organisation).for_motif(motif.name),
        "organisation": practitioner.organisation,
        "slot": None if problem else slot,
        "site": None if problem else _site_of(practitioner, slot),
        "slot_key": public.slot_key(slot.start) if slot and not problem else "",
        "problem": problem,
        "alternatives": alternatives,
        "week_url": reverse(
            "booking:week", args=[practitioner.organisation.slug, practitioner.id, motif.id]
        ),
    }
    return render(request, "booking/book.html", context, status=status)


def _site_of(practitioner: Practitioner, slot: engine.Slot | None):
    if slot is None:
        return None
    return next((s for s in practitioner.sites.all() if s.id == slot.site_id), None)


@private_page
@require_GET
def confirmation(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """Shown to the browser that booked (its session), never to anyone else."""
    if str(public_id) not in _booked_here(request):
        raise Http404
    appointment = (
        Appointment.objects.select_related("organisation", "practitioner", "motif", "site")
        .select_related("patient", "patient__managed_by")
        .get(public_id=public_id)
    )
    manage_url = request.build_absolute_uri(
        reverse("booking:manage", args=[appointment.public_id, appointment.manage_token])
    )
    _audit_read(request, appointment, "Page de confirmation")
    return render(
        request,
        "booking/confirmation.html",
        {
            "appointment": appointment,
            "manage_url": manage_url,
            "texts": public.appointment_texts(appointment),
        },
    )


# Manage link ---------------------------------------------------------------------------------


def _audit_read(request: HttpRequest, appointment: Appointment, summary: str) -> None:
    """A page showing the patient's appointment: the practice's audit log records it."""
    audit.record_read(
        request,
        organisation_id=appointment.organisation_id,
        object_type=ObjectType.APPOINTMENT,
        object_id=appointment.public_id,
        channel=Channel.WEB,
        summary=summary,
    )


def _manageable(request: HttpRequest, public_id: uuid.UUID, token: str) -> Appointment:
    """The appointment of a manage link; guessing links is rate limited per address."""
    appointment = throttle.token_lookup(
        request, lambda: public.manageable(public_id, token, now=_now())
    )
    if appointment is None:
        raise Http404
    return appointment


def _manage_context(appointment: Appointment, **extra) -> dict:
    now = _now()
    state = public.manage_state(appointment, now=now)
    return {
        "appointment": appointment,
        "state": state,
        "cancelled_at": public.cancelled_at(appointment) if state.reason == "cancelled" else None,
        "cancel_form": CancelForm(),
        "token": appointment.manage_token,
        "texts": public.appointment_texts(appointment),
        **extra,
    }


@private_page
@require_GET
def manage(request: HttpRequest, public_id: uuid.UUID, token: str) -> HttpResponse:
    appointment = _manageable(request, public_id, token)
    _audit_read(request, appointment, "Lien de gestion du patient")
    return render(request, "booking/manage.html", _manage_context(appointment))


@private_page
@require_POST
def cancel(request: HttpRequest, public_id: uuid.UUID, token: str) -> HttpResponse:
    appointment = _manageable(request, public_id, token)
    form = CancelForm(request.POST)
    if not form.is_valid():
        context = _manage_context(appointment, cancel_form=form)
        return render(request, "booking/manage.html", context, status=200)
    try:
        booking.cancel(
            appointment,
            by_patient=True,
            channel=Channel.WEB,
            reason=form.cleaned_data["reason"],
            now=_now(),
        )
    except booking.NotChangeable as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Votre rendez-vous est annulé."))
    return redirect("booking:manage", public_id=public_id, token=token)


@private_page
@require_GET
def move_week(request: HttpRequest, public_id: uuid.UUID, token: str) -> HttpResponse:
    appointment = _manageable(request, public_id, token)
    if not public.manage_state(appointment, now=_now()).changeable:
        return redirect("booking:manage", public_id=public_id, token=token)
    return _render_move_week(request, appointment, problem="", status=200)


def _render_move_week(
    request: HttpRequest,
    appointment: Appointment,
    *,
    problem: str,
    status: int,
    around: dt.datetime | None = None,
) -> HttpResponse:
    """The week view of free slots to move to; after a failed attempt, the week of the slot
    that was tried."""
    monday = _parse_day(request.GET.get("semaine"))
    if around is not None:
        monday = timezone.localtime(around, engine.PARIS).date()
    found = public.week_of_slots(
        appointment.practitioner,
        appointment.motif,
        monday,
        now=_now(),
        ignore_appointment_id=appointment.id,
    )
    base = reverse("booking:move", args=[appointment.public_id, appointment.manage_token])
    confirm = reverse(
        "booking:move_confirm", args=[appointment.public_id, appointment.manage_token]
    )
    context = _week_context(
        request,
        found,
        slot_url=lambda s: f"{confirm}?creneau={public.slot_key(s.start)}",
        week_url=lambda m: f"{base}?semaine={m.isoformat()}",
    )
    for day in context["days"]:
        for item in day["slots"]:
            item["current"] = item["slot"].start.astimezone(dt.UTC) == appointment.start
    context.update(
        appointment=appointment,
        practitioner=appointment.practitioner,
        motif=appointment.motif,
        organisation=appointment.organisation,
        week_base=base,
        moving=True,
        problem=problem,
        manage_url=reverse(
            "booking:manage", args=[appointment.public_id, appointment.manage_token]
        ),
    )
    template = "booking/_week.html" if context["partial"] else "booking/move.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@private_page
@require_http_methods(["GET", "POST"])
def move_confirm(request: HttpRequest, public_id: uuid.UUID, token: str) -> HttpResponse:
    appointment = _manageable(request, public_id, token)
    now = _now()
    if not public.manage_state(appointment, now=now).changeable:
        return redirect("booking:manage", public_id=public_id, token=token)
    source = request.POST if request.method == "POST" else request.GET
    start = public.parse_slot_key(source.get("creneau"))
    if start is None or start == appointment.start:
        return redirect("booking:move", public_id=public_id, token=token)
    if request.method == "POST":
        try:
            moved = booking.move(
                appointment, start=start, channel=Channel.WEB, audience=public.AUDIENCE, now=now
            )
        except booking.SlotTaken:
            problem = _(
                "Ce créneau vient d'être réservé par une autre personne. Votre rendez-vous n'a "
                "pas changé : choisissez un autre horaire."
            )
            return _render_move_week(
                request, appointment, problem=problem, status=409, around=start
            )
        except ValidationError as exc:
            problem = " ".join(m for ms in exc.message_dict.values() for m in ms)
            return _render_move_week(
                request, appointment, problem=problem, status=200, around=start
            )
        except booking.NotChangeable as exc:
            messages.error(request, str(exc))
            return redirect("booking:manage", public_id=public_id, token=token)
        messages.success(
            request,
            _("Votre rendez-vous est déplacé au %(when)s.")
            % {"when": french.french_datetime(moved.start)},
        )
        return redirect("booking:manage", public_id=public_id, token=token)
    slot = public.is_free(
        appointment.practitioner,
        appointment.motif,
        start,
        now=now,
        ignore_appointment_id=appointment.id,
    )
    if slot is None:
        problem = _("Ce créneau n'est plus disponible. Choisissez un autre horaire.")
        return _render_move_week(request, appointment, problem=problem, status=200, around=start)
    context = _manage_context(
        appointment,
        new_start=slot.start,
        new_site=_site_of(appointment.practitioner, slot),
        slot_key=public.slot_key(slot.start),
    )
    return render(request, "booking/move_confirm.html", context)
