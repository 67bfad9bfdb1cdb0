"""The waitlist on the public site: join it for a motif, take a freed slot when offered.

The rules (who matches, offer expiry, first to book wins) live in `notify.services`; these
views only parse and render.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accueil.booking import services as booking
from accueil.booking.forms import WaitlistForm
from accueil.booking.views import _bookable, _now, private_page
from accueil.notify import services as waitlist
from accueil.notify.models import WaitlistEntry, WaitlistOffer
from accueil.throttle import services as throttle


@private_page
@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, org_slug: str, practitioner_id: int, motif_id: int) -> HttpResponse:
    practitioner, motif = _bookable(org_slug, practitioner_id, motif_id)
    form = WaitlistForm(request.POST or None)
    any_practitioner = request.POST.get("any_practitioner") == "1"
    if request.method == "POST":
        throttle.hit_address(throttle.WAITLIST_IP, request)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        throttle.hit(throttle.WAITLIST_PHONE, throttle.phone_key(data["phone"]))
        try:
            entry = waitlist.join_waitlist(
                motif=motif,
                identity=form.identity(),
                practitioner=None if any_practitioner else practitioner,
                earliest=data["earliest"],
                latest=data["latest"],
                times_of_day=data["times_of_day"],
                now=_now(),
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return render(request, "booking/waitlist_joined.html", {"entry": entry})
    context = {
        "form": form,
        "practitioner": practitioner,
        "motif": motif,
        "organisation": practitioner.organisation,
        "week_url": reverse("booking:week", args=[org_slug, practitioner.id, motif.id]),
    }
    return render(request, "booking/waitlist_join.html", context)


@private_page
@require_http_methods(["GET", "POST"])
def leave(request: HttpRequest, token: str) -> HttpResponse:
    entry = throttle.token_lookup(
        request,
        lambda: (
            WaitlistEntry.objects.filter(token=token, active=True).select_related("motif").first()
        ),
    )
    if entry is None:
        raise Http404
    if request.method == "POST":
        waitlist.leave_waitlist(token)
        return render(request, "booking/waitlist_left.html", {"entry": entry})
    return render(request, "booking/waitlist_leave.html", {"entry": entry})


@private_page
@require_http_methods(["GET", "POST"])
def offer(request: HttpRequest, token: str) -> HttpResponse:
    found = throttle.token_lookup(
        request,
        lambda: (
            WaitlistOffer.objects.filter(token=token)
            .select_related("practitioner", "motif", "entry", "site")
            .first()
        ),
    )
    if found is None:
        raise Http404
    problem = ""
    if request.method == "POST":
        try:
            appointment = waitlist.accept_offer(token, now=_now())
        except booking.SlotTaken:
            problem = "taken"
        except waitlist.OfferUnavailable as error:
            problem = error.code
        else:
            return redirect(
                "booking:manage", public_id=appointment.public_id, token=appointment.manage_token
            )
    elif found.status == WaitlistOffer.Status.TAKEN:
        problem = "taken"
    elif found.status != WaitlistOffer.Status.OFFERED or found.expires_at <= _now():
        problem = "expired" if found.status != WaitlistOffer.Status.ACCEPTED else "used"
    return render(
        request,
        "booking/waitlist_offer.html",
        {"offer": found, "problem": problem},
        status=409 if problem and request.method == "POST" else 200,
    )
