"""The virtual receptionist in the back office: the call log, one call, and the simulator.

Thin views over `accueil.reception.services`; every call is looked up within the URL's
organisation, so another practice's call id answers 404. The simulator keeps nothing but
the call id (in its URL): the call's state lives in its database row, as on the phone.
"""

from __future__ import annotations

import contextlib
import uuid

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from accueil.desk.calls_forms import CallFilterForm, StartCallForm, UtteranceForm
from accueil.desk.views import staff_view
from accueil.directory.roles import Capability
from accueil.reception import services
from accueil.reception.models import CHANNEL_LABELS, OUTCOME_LABELS, Call

LOG_LIMIT = 100


def masked_number(number: str) -> str:
    """ "+33612345678" -> "•• •• •• •• 78": enough to tell two callers apart on a screen."""
    if not number:
        return ""
    digits = "0" + number[3:] if number.startswith("+33") else number.lstrip("+")
    hidden = "•" * (len(digits) - 2) + digits[-2:]
    if len(hidden) == 10:
        return " ".join(hidden[i : i + 2] for i in range(0, 10, 2))
    return hidden


def duration(call: Call) -> str:
    if call.ended_at is None:
        return "en cours"
    seconds = max(0, int((call.ended_at - call.started_at).total_seconds()))
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


def _row(call: Call) -> dict:
    return {
        "call": call,
        "number": masked_number(call.from_number),
        "last_digits": call.from_number[-2:],
        "duration": duration(call),
        "outcomes": [OUTCOME_LABELS.get(o, o) for o in call.outcomes],
        "summary": call.summary.splitlines()[0] if call.summary else "",
        "channel": CHANNEL_LABELS.get(call.channel, call.channel),
    }


@staff_view(Capability.CALLS)
def call_log(request: HttpRequest) -> HttpResponse:
    form = CallFilterForm(request.GET)
    filters = form.cleaned_data if form.is_valid() else {}
    calls = services.recent_calls(
        request.organisation,
        outcome=filters.get("outcome", ""),
        day=filters.get("day"),
        limit=LOG_LIMIT,
    )
    context = {
        "organisation": request.organisation,
        "nav": "calls",
        "form": form,
        "rows": [_row(c) for c in calls],
        "day": filters.get("day"),
        "truncated": len(calls) == LOG_LIMIT,
        "limit": LOG_LIMIT,
    }
    return render(request, "desk/calls/log.html", context)


def _record(request: HttpRequest, call_id: uuid.UUID) -> services.CallRecord:
    record = services.call_record(request.organisation, call_id)
    if record is None:
        raise Http404
    return record


@staff_view(Capability.CALLS)
def call_detail(request: HttpRequest, call_id: uuid.UUID) -> HttpResponse:
    record = _record(request, call_id)
    context = {
        "organisation": request.organisation,
        "nav": "calls",
        "record": record,
        "row": _row(record.call),
        "summary_lines": record.call.summary.splitlines(),
    }
    return render(request, "desk/calls/detail.html", context)


# Simulator ----------------------------------------------------------------------------------


@staff_view(Capability.CALLS)
def simulator(request: HttpRequest) -> HttpResponse:
    """GET: the form to call the practice; POST: the call starts, its page opens."""
    organisation = request.organisation
    form = StartCallForm(request.POST if request.method == "POST" else None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            result = services.start_desk_call(organisation, form.cleaned_data["caller"])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                if field == "caller":
                    form.add_error("caller", errors)
                else:
                    error = " ".join(errors)
        else:
            return redirect("desk:simulator_call", slug=organisation.slug, call_id=result.call.id)
    context = {
        "organisation": organisation,
        "nav": "calls",
        "form": form,
        "error": error,
        "number": services.desk_number(organisation),
    }
    return render(request, "desk/calls/simulator.html", context)


@staff_view(Capability.CALLS)
def simulator_call(request: HttpRequest, call_id: uuid.UUID) -> HttpResponse:
    """GET: the call so far; POST: one utterance (or hanging up). htmx gets the new turns
    and the controls; without JavaScript the POST redirects to the page."""
    record = _record(request, call_id)
    if record.call.channel != "desk":
        raise Http404  # a real caller's call is read on its page, never typed into
    if request.method == "POST":
        shown = request.POST.get("shown", "")
        if request.POST.get("action") == "hangup":
            services.hang_up(record.call.id)
        else:
            # Ended meanwhile (another tab): the page shows the outcome. The service cleans
            # and cuts what a recogniser (or a person) sends.
            with contextlib.suppress(services.CallEnded):
                services.take_turn(record.call.id, request.POST.get("phrase", ""))
        record = _record(request, call_id)
        if not request.headers.get("HX-Request"):
            url = reverse("desk:simulator_call", args=[request.organisation.slug, call_id])
            return redirect(f"{url}#controles")
        after = int(shown) if shown.isdigit() else -1
        context = _simulator_context(request, record)
        context["turns"] = [t for t in record.turns if t.index > after]
        return render(request, "desk/calls/_simulator_turns.html", context)
    context = _simulator_context(request, record)
    context["turns"] = record.turns
    return render(request, "desk/calls/simulator_call.html", context)


def _simulator_context(request: HttpRequest, record: services.CallRecord) -> dict:
    call = record.call
    return {
        "organisation": request.organisation,
        "nav": "calls",
        "record": record,
        "call": call,
        "open": call.status == Call.Status.OPEN,
        "outcomes": [OUTCOME_LABELS.get(o, o) for o in call.outcomes],
        "last_index": record.turns[-1].index if record.turns else -1,
        "form": UtteranceForm(),
    }
