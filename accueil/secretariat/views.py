"""The operators' console, the wallboard and billing. Thin: who is asking, parse, call the
services, render.

Console pages need an operator account: anyone else gets a 404, and a call of another
secretariat answers 404 too (calls are looked up within the operator's secretariat).
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from decimal import Decimal

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
from accueil.directory.services import Audience
from accueil.patients.services import PatientIdentity
from accueil.scheduling import engine
from accueil.scheduling import services as scheduling
from accueil.secretariat import billing, bridge, routing, screen, services
from accueil.secretariat import wallboard as board
from accueil.secretariat.forms import (
    ContractForm,
    FinishForm,
    MessageForm,
    NewPatientForm,
    OperatorForm,
    PutThroughForm,
    SlotSearchForm,
    add_service_errors,
    parse_day,
    parse_start,
)
from accueil.secretariat.models import DEFAULT_BILLABLE, Contract, Operator, QueuedCall

POLL_SECONDS = 3


def _now() -> dt.datetime:
    return timezone.now()


def _today() -> dt.date:
    return timezone.localtime(_now(), engine.PARIS).date()


def operator_view(view):
    @login_required(login_url="desk:login")
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        operator = services.operator_of(request.user)
        if operator is None:
            raise Http404
        request.operator = operator
        return view(request, *args, **kwargs)

    return wrapper


def call_view(view):
    """An operator's view of one call of their secretariat (404 for any other)."""

    @operator_view
    @functools.wraps(view)
    def wrapper(request: HttpRequest, call_id: uuid.UUID, *args, **kwargs) -> HttpResponse:
        call = services.operator_call(request.operator, call_id)
        if call is None:
            raise Http404
        request.call = call
        return view(request, *args, **kwargs)

    return wrapper


# The console -----------------------------------------------------------------------------


@login_required(login_url="desk:login")
def home(request: HttpRequest) -> HttpResponse:
    """Operators get the console; a secretariat's other members its wallboard; practice
    owners their statements; anyone else a 404."""
    request.operator = services.operator_of(request.user)
    if request.operator is None:
        if services.managed_secretariat(request.user) is not None:
            return redirect("secretariat:wallboard")
        if services.contracts_of_client(request.user):
            return redirect("secretariat:billing")
        raise Http404
    return render(request, "secretariat/console.html", _console_context(request))


def _console_context(request: HttpRequest) -> dict:
    operator = request.operator
    now = _now()
    waiting = services.waiting_calls(operator.secretariat)
    return {
        "nav": "console",
        "operator": operator,
        "current": services.current_call(operator),
        "waiting": [
            {
                "call": call,
                "wait": int((now - call.queued_at).total_seconds()),
                "mine": services.may_take(operator, call),
            }
            for call in waiting
        ],
        "team": _team(operator.secretariat, now),
        "statuses": [
            (value, label) for value, label in Operator.Status.choices if value in services.SETTABLE
        ],
        "poll_seconds": POLL_SECONDS,
    }


def _team(secretariat, now: dt.datetime) -> list[dict]:
    engaged = {
        call.taken_by_id: call
        for call in QueuedCall.objects.filter(
            secretariat=secretariat, status__in=services.ENGAGED
        ).select_related("client")
    }
    return [
        {
            "operator": op,
            "since": int((now - op.status_since).total_seconds()),
            "call": engaged.get(op.id),
        }
        for op in Operator.objects.filter(secretariat=secretariat, active=True)
        .select_related("user")
        .order_by("user__first_name", "user__last_name")
    ]


@operator_view
def queue_fragment(request: HttpRequest) -> HttpResponse:
    """The queue and the team, refreshed by htmx every few seconds."""
    return render(request, "secretariat/_queue.html", _console_context(request))


@operator_view
@require_POST
def set_status(request: HttpRequest) -> HttpResponse:
    try:
        services.set_status(request.operator, request.POST.get("status", ""), now=_now())
    except services.Busy:
        messages.error(request, "Terminez d'abord l'appel en cours.")
    except ValidationError:
        messages.error(request, "Statut inconnu.")
    return redirect("secretariat:console")


@operator_view
@require_POST
def take_next(request: HttpRequest) -> HttpResponse:
    try:
        call = services.take_next_call(request.operator, now=_now())
    except services.Busy:
        current = services.current_call(request.operator)
        return redirect("secretariat:call", call_id=current.public_id)
    if call is None:
        messages.info(request, "Aucun appel en attente pour vous.")
        return redirect("secretariat:console")
    bridge.connect(call, request.operator)  # after the claim's transaction: no lock held
    return redirect("secretariat:call", call_id=call.public_id)


# The screen pop and what an operator does on a call ---------------------------------------


@call_view
def call_page(request: HttpRequest) -> HttpResponse:
    call = request.call
    client = call.client
    today = _today()
    search = SlotSearchForm(
        client,
        request.GET if "practitioner" in request.GET else None,
        initial={"day": today},
        auto_id="rdv_%s",
    )
    slots = _slots(search)
    if request.headers.get("HX-Request") and request.GET.get("partie") == "creneaux":
        return render(request, "secretariat/_slots.html", {"slots": slots, "search": search})
    moving = _moving(request, client)
    pop = screen.screen_pop(call, _now())
    _audit_reads(request, pop, today)
    context = {
        "nav": "console",
        "pop": pop,
        "call": call,
        "mine": call.taken_by_id == request.operator.id and call.status in services.ENGAGED,
        "search": search,
        "slots": slots,
        "patient_form": NewPatientForm(prefix="nouveau"),
        "message_form": MessageForm(
            client,
            initial={"caller_phone": call.caller_number},
            auto_id="message_%s",
            categories=services.message_categories(call),
        ),
        "finish_form": FinishForm(initial={"outcome": call.outcome or None}, auto_id="fin_%s"),
        "moving": moving,
        "wait": int(call.wait.total_seconds()) if call.wait else None,
    }
    return render(request, "secretariat/call.html", context)


def _audit_reads(request: HttpRequest, pop: screen.ScreenPop, today: dt.date) -> None:
    """The screen pop shows the practice's agenda and patients: its audit log says who from
    the secretariat opened them."""
    summary = f"Fiche d'appel du télésecrétariat ({request.operator.secretariat.name})"
    reads = [(ObjectType.AGENDA, today.isoformat())] + [
        (ObjectType.PATIENT, c.patient.id) for c in pop.candidates
    ]
    for object_type, object_id in reads:
        audit.record_read(
            request,
            organisation_id=request.call.client_id,
            object_type=object_type,
            object_id=object_id,
            channel=Channel.OPERATOR,
            summary=summary,
        )


def _slots(search: SlotSearchForm) -> list[engine.Slot]:
    if not (search.is_bound and search.is_valid()):
        return []
    data = search.cleaned_data
    return scheduling.available_slots(
        data["practitioner"],
        data["motif"],
        data["day"],
        data["day"],
        now=_now(),
        audience=Audience.STAFF,
    )


def _moving(request: HttpRequest, client) -> dict | None:
    """The appointment being moved (?deplacer=) and the free slots of the chosen day."""
    try:
        public_id = uuid.UUID(request.GET.get("deplacer", ""))
    except ValueError:
        return None
    appointment = (
        Appointment.objects.filter(organisation=client, public_id=public_id, status=Status.BOOKED)
        .select_related("practitioner", "motif", "patient")
        .first()
    )
    if appointment is None:
        return None
    day = parse_day(request.GET.get("jour"), timezone.localtime(appointment.start).date())
    slots = scheduling.available_slots(
        appointment.practitioner,
        appointment.motif,
        day,
        day,
        now=_now(),
        audience=Audience.STAFF,
        ignore_appointment_id=appointment.id,
    )
    return {"appointment": appointment, "day": day, "slots": slots}


def _back(request: HttpRequest, anchor: str = "") -> HttpResponse:
    url = reverse("secretariat:call", args=[request.call.public_id])
    return redirect(url + (f"#{anchor}" if anchor else ""))


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for text in exc.messages:
        messages.error(request, text)


@call_view
@require_POST
def book(request: HttpRequest) -> HttpResponse:
    call = request.call
    start = parse_start(request.POST.get("start"))
    if start is None:
        messages.error(request, "Choisissez un créneau.")
        return _back(request, "rendez-vous")
    identity = None
    patient_id = request.POST.get("patient", "")
    if patient_id == "nouveau" or not patient_id:
        form = NewPatientForm(request.POST, prefix="nouveau")
        if not form.is_valid():
            messages.error(request, "Choisissez un patient ou complétez son identité.")
            return _back(request, "rendez-vous")
        identity = PatientIdentity(**form.cleaned_data)
    try:
        appointment = services.book_for_caller(
            request.operator,
            call,
            practitioner_id=_int(request.POST.get("practitioner")),
            motif_id=_int(request.POST.get("motif")),
            start=start,
            patient_id=_int(patient_id),
            identity=identity,
            now=_now(),
        )
    except booking.SlotTaken:
        messages.error(request, "Ce créneau vient d'être pris. Choisissez-en un autre.")
    except services.NotYourCall:
        messages.error(request, "Cet appel n'est plus le vôtre.")
    except ValidationError as exc:
        _errors(request, exc)
    else:
        when = timezone.localtime(appointment.start).strftime("%d/%m/%Y à %H:%M")
        messages.success(request, f"Rendez-vous enregistré le {when}.")
    return _back(request, "rendez-vous")


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@call_view
@require_POST
def cancel(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    try:
        services.cancel_for_caller(
            request.operator,
            request.call,
            public_id,
            reason=request.POST.get("reason", "")[:300],
            now=_now(),
        )
    except services.NotYourCall:
        messages.error(request, "Cet appel n'est plus le vôtre.")
    except booking.NotChangeable as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, "Rendez-vous annulé.")
    return _back(request, "appelant")


@call_view
@require_POST
def move(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    start = parse_start(request.POST.get("start"))
    if start is None:
        messages.error(request, "Choisissez un créneau.")
        return _back(request, "appelant")
    try:
        services.move_for_caller(request.operator, request.call, public_id, start=start, now=_now())
    except booking.SlotTaken:
        messages.error(request, "Ce créneau vient d'être pris. Choisissez-en un autre.")
    except services.NotYourCall:
        messages.error(request, "Cet appel n'est plus le vôtre.")
    except booking.NotChangeable as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, "Rendez-vous déplacé.")
    return _back(request, "appelant")


@call_view
@require_POST
def message(request: HttpRequest) -> HttpResponse:
    form = MessageForm(
        request.call.client, request.POST, categories=services.message_categories(request.call)
    )
    if not form.is_valid():
        messages.error(request, "Le message est vide.")
        return _back(request, "message")
    data = form.cleaned_data
    try:
        services.message_for_caller(
            request.operator,
            request.call,
            body=data["body"],
            urgent=data["urgent"],
            practitioner_id=data["practitioner"].id if data["practitioner"] else None,
            patient_id=_int(request.POST.get("patient")),
            caller_name=data["caller_name"],
            caller_phone=data["caller_phone"],
            category=data["category"] or "autre",  # the sheet's catch-all
            now=_now(),
        )
    except services.NotYourCall:
        messages.error(request, "Cet appel n'est plus le vôtre.")
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, "Message transmis au cabinet.")
    return _back(request, "message")


@call_view
@require_POST
def put_through(request: HttpRequest) -> HttpResponse:
    form = PutThroughForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choisissez à qui passer l'appel.")
        return _back(request, "mise-en-relation")
    try:
        entry = services.put_through(
            request.operator,
            request.call,
            entry_index=form.cleaned_data["entry"],
            role=form.cleaned_data["role"],
            now=_now(),
        )
    except services.NotYourCall:
        messages.error(request, "Cet appel n'est plus le vôtre.")
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, f"Appel passé à {entry['label']} ({entry['number']}).")
    return _back(request, "fin")


@call_view
@require_POST
def hang_up(request: HttpRequest) -> HttpResponse:
    try:
        call = services.hang_up(request.operator, request.call, now=_now())
    except services.NotYourCall:
        messages.error(request, "Cet appel n'est plus le vôtre.")
    else:
        bridge.disconnect(call)  # after the transaction: no lock held over the network
    return _back(request, "fin")


@call_view
@require_POST
def finish(request: HttpRequest) -> HttpResponse:
    form = FinishForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choisissez l'issue de l'appel.")
        return _back(request, "fin")
    try:
        services.finish(
            request.operator,
            request.call,
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["note"],
            now=_now(),
        )
    except services.NotYourCall:
        messages.error(request, "Cet appel n'est plus le vôtre.")
        return _back(request, "fin")
    except ValidationError as exc:
        _errors(request, exc)
        return _back(request, "fin")
    messages.success(request, "Appel terminé.")
    return redirect("secretariat:console")


# Wallboard and staffing -------------------------------------------------------------------


def supervisor_view(view):
    """Operators and members of a remote secretariat: its own figures, 404 for anyone else."""

    @login_required(login_url="desk:login")
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        secretariat = services.supervised_secretariat(request.user)
        if secretariat is None:
            raise Http404
        request.secretariat = secretariat
        request.operator = services.operator_of(request.user)
        return view(request, *args, **kwargs)

    return wrapper


def _live(request: HttpRequest) -> dict:
    now = _now()
    today = board.board(request.secretariat, _today(), now)
    waiting = services.waiting_calls(request.secretariat)
    longest = max((now - c.queued_at).total_seconds() for c in waiting) if waiting else None
    return {
        "today": today,
        "waiting_now": len(waiting),
        "longest_wait": longest,
        "team": _team(request.secretariat, now),
        "poll_seconds": POLL_SECONDS * 2,
    }


@supervisor_view
def wallboard(request: HttpRequest) -> HttpResponse:
    day = parse_day(request.GET.get("jour"), _today())
    figures = board.board(request.secretariat, day, _now())
    plan = board.staffing_plan(request.secretariat, day)
    context = {
        **_live(request),
        "nav": "wallboard",
        "secretariat": request.secretariat,
        "day": day,
        "previous": day - dt.timedelta(days=1),
        "next": day + dt.timedelta(days=1),
        "board": figures,
        "plan": plan,
        "weekday": board.WEEKDAYS[day.weekday()],
        **_charts(plan),
        "may_plan": services.managed_secretariat(request.user) == request.secretariat,
        "may_configure": services.owned_secretariat(request.user) is not None,
    }
    return render(request, "secretariat/wallboard.html", context)


def _charts(plan: board.StaffingPlan) -> dict[str, board.Chart]:
    needs = plan.needs
    busiest = max((calls for _, calls in plan.weekday_profile), default=0)
    return {
        "staffing_chart": board.bar_chart(
            [
                (
                    f"{n.start:%H:%M}",
                    [
                        (n.needed, "needed", f"{n.start:%H:%M} : {n.needed} nécessaires"),
                        (
                            n.planned,
                            "short" if n.short else "planned",
                            f"{n.start:%H:%M} : {n.planned} prévus",
                        ),
                    ],
                )
                for n in needs
            ]
        ),
        "arrivals_chart": board.bar_chart(
            [
                (
                    f"{n.start:%H:%M}",
                    [(n.arrivals, "arrivals", f"{n.start:%H:%M} : {n.arrivals:.1f} appels")],
                )
                for n in needs
            ]
        ),
        "weekday_chart": board.bar_chart(
            [
                (
                    name,
                    [(calls, "peak" if calls == busiest else "arrivals", f"{name} : {calls:.0f}")],
                )
                for name, calls in plan.weekday_profile
            ],
            group_width=56,
            label_every=1,
        ),
    }


@supervisor_view
def wallboard_live(request: HttpRequest) -> HttpResponse:
    return render(request, "secretariat/_live.html", _live(request))


@supervisor_view
def planning(request: HttpRequest) -> HttpResponse:
    """Planned operators per half-hour of one weekday; members of the secretariat edit it."""
    weekday = _int(request.GET.get("jour") or request.POST.get("jour")) or 0
    weekday = min(weekday, 6)
    may_plan = services.managed_secretariat(request.user) == request.secretariat
    slots = board.half_hours()
    if request.method == "POST":
        if not may_plan:
            raise Http404
        plan = {start: _int(request.POST.get(f"{start:%H%M}")) or 0 for start in slots}
        try:
            board.save_plan(request.secretariat, weekday, plan)
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, f"Planning du {board.WEEKDAYS[weekday]} enregistré.")
            return redirect(reverse("secretariat:planning") + f"?jour={weekday}")
    planned = dict(
        request.secretariat.planned_staffing.filter(weekday=weekday).values_list(
            "start", "operators"
        )
    )
    context = {
        "nav": "wallboard",
        "secretariat": request.secretariat,
        "weekday": weekday,
        "weekdays": list(enumerate(board.WEEKDAYS[:6])),
        "rows": [(start, f"{start:%H%M}", planned.get(start, 0)) for start in slots],
        "may_plan": may_plan,
    }
    return render(request, "secretariat/planning.html", context)


# Billing ------------------------------------------------------------------------------------


@login_required(login_url="desk:login")
def billing_overview(request: HttpRequest) -> HttpResponse:
    """The month's statements: every client for the secretariat's members, their own
    contracts for practice owners; 404 for anyone else."""
    secretariat = services.managed_secretariat(request.user)
    if secretariat is not None:
        contracts = services.client_contracts(secretariat)
    else:
        contracts = services.contracts_of_client(request.user)
        if not contracts:
            raise Http404
    request.operator = services.operator_of(request.user)
    month = billing.parse_month(request.GET.get("mois", "")) or _today().replace(day=1)
    statements = [(c, billing.month_statement(c, month)) for c in contracts]
    context = {
        "nav": "billing",
        "secretariat": secretariat,
        "month": month,
        "title": statements[0][1].title if statements else "",
        "previous": billing.previous_month(month),
        "next": billing.next_month(month),
        "statements": statements,
        "total": sum((s.total for _, s in statements), start=Decimal(0)),
        "pending": [] if secretariat is not None else services.pending_contracts(request.user),
        "in_force": []
        if secretariat is not None
        else [c for c in contracts if c.accepted_at is not None],
        "may_configure": services.owned_secretariat(request.user) is not None,
    }
    return render(request, "secretariat/billing.html", context)


def _statement(request: HttpRequest, contract_id: int, month: str):
    contract = services.readable_contract(request.user, contract_id)
    parsed = billing.parse_month(month)
    if contract is None or parsed is None:
        raise Http404
    request.operator = services.operator_of(request.user)
    return contract, billing.month_statement(contract, parsed)


@login_required(login_url="desk:login")
def statement(request: HttpRequest, contract_id: int, month: str) -> HttpResponse:
    contract, found = _statement(request, contract_id, month)
    template = "secretariat/statement_print.html" if request.GET.get("imprimer") else None
    context = {
        "nav": "billing",
        "secretariat": services.managed_secretariat(request.user),
        "contract": contract,
        "statement": found,
        "previous": billing.previous_month(found.month),
        "next": billing.next_month(found.month),
    }
    response = render(request, template or "secretariat/statement.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required(login_url="desk:login")
def statement_csv(request: HttpRequest, contract_id: int, month: str) -> HttpResponse:
    contract, found = _statement(request, contract_id, month)
    response = HttpResponse(billing.to_csv(found), content_type="text/csv; charset=utf-8")
    name = f"releve-{contract.client.slug}-{found.month:%Y-%m}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


# Settings: contracts and operators (the secretariat's owner) -------------------------------


def owner_view(view):
    """The owner of a remote secretariat: its contracts and operators. Anyone else (its
    operators and other members included) gets a 404, as elsewhere in the console."""

    @login_required(login_url="desk:login")
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        secretariat = services.owned_secretariat(request.user)
        if secretariat is None:
            raise Http404
        request.secretariat = secretariat
        request.operator = services.operator_of(request.user)
        return view(request, *args, **kwargs)

    return wrapper


def _settings_context(request: HttpRequest, **extra) -> dict:
    return {"nav": "settings", "secretariat": request.secretariat, "may_configure": True, **extra}


@owner_view
def contracts(request: HttpRequest) -> HttpResponse:
    rows = [
        (contract, routing.describe_hours(contract.covered_hours))
        for contract in services.client_contracts(request.secretariat)
    ]
    return render(
        request, "secretariat/settings_contracts.html", _settings_context(request, rows=rows)
    )


def _contract_form_page(request, form, contract=None) -> HttpResponse:
    context = _settings_context(request, form=form, contract=contract)
    return render(request, "secretariat/settings_contract_form.html", context)


@owner_view
def contract_new(request: HttpRequest) -> HttpResponse:
    clients = services.candidate_clients(request.secretariat)
    if request.method != "POST":
        initial = {
            "mode": "handovers",
            "overflow_seconds": 20,
            "priority": 0,
            "price_per_call": 0,
            "monthly_fee": 0,
            "billable_outcomes": DEFAULT_BILLABLE,
            "active": True,
        }
        return _contract_form_page(request, ContractForm(initial=initial, clients=clients))
    form = ContractForm(request.POST, clients=clients)
    if form.is_valid():
        try:
            services.propose_contract(
                request.secretariat,
                form.cleaned_data["client"],
                actor=request.user,
                **form.terms(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"Contrat proposé à {form.cleaned_data['client'].name} : il prendra effet "
                "quand le responsable du cabinet l'aura accepté.",
            )
            return redirect("secretariat:contracts")
    return _contract_form_page(request, form)


@owner_view
def contract_edit(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = (
        Contract.objects.filter(secretariat=request.secretariat, pk=contract_id)
        .select_related("client")
        .first()
    )
    if contract is None:
        raise Http404
    if request.method != "POST":
        return _contract_form_page(
            request, ContractForm(initial=ContractForm.initial_of(contract)), contract
        )
    form = ContractForm(request.POST)
    if form.is_valid():
        try:
            services.update_contract(contract, actor=request.user, **form.terms())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Contrat avec {contract.client.name} enregistré.")
            return redirect("secretariat:contracts")
    return _contract_form_page(request, form, contract)


@owner_view
def operators(request: HttpRequest) -> HttpResponse:
    context = _settings_context(
        request, operators=services.secretariat_operators(request.secretariat)
    )
    return render(request, "secretariat/settings_operators.html", context)


def _operator_form_page(request, form, operator=None) -> HttpResponse:
    context = _settings_context(request, form=form, edited=operator)
    return render(request, "secretariat/settings_operator_form.html", context)


@owner_view
def operator_new(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _operator_form_page(request, OperatorForm())
    form = OperatorForm(request.POST)
    if form.is_valid():
        try:
            operator = services.save_operator(
                request.secretariat, actor=request.user, **form.values()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Opérateur {operator} ajouté.")
            return redirect("secretariat:operators")
    return _operator_form_page(request, form)


@owner_view
def operator_edit(request: HttpRequest, operator_id: int) -> HttpResponse:
    operator = (
        Operator.objects.filter(secretariat=request.secretariat, pk=operator_id)
        .select_related("user")
        .first()
    )
    if operator is None:
        raise Http404
    if request.method != "POST":
        form = OperatorForm(initial=OperatorForm.initial_of(operator), creating=False)
        return _operator_form_page(request, form, operator)
    form = OperatorForm(request.POST, creating=False)
    if form.is_valid():
        try:
            services.save_operator(
                request.secretariat, actor=request.user, operator=operator, **form.values()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Opérateur {operator} enregistré.")
            return redirect("secretariat:operators")
    return _operator_form_page(request, form, operator)


@login_required(login_url="desk:login")
def accept_contract(request: HttpRequest, contract_id: int) -> HttpResponse:
    """The client practice's owner agrees to a proposed contract (POST; 404 for anyone
    else, and for other methods: no existence leak)."""
    if request.method != "POST":
        raise Http404
    contract = services.accept_contract(request.user, contract_id, now=_now())
    if contract is None:
        raise Http404
    messages.success(request, f"Contrat avec {contract.secretariat.name} accepté.")
    return redirect("secretariat:billing")


@login_required(login_url="desk:login")
def withdraw_contract(request: HttpRequest, contract_id: int) -> HttpResponse:
    """The client practice's owner takes back their agreement (POST; 404 for anyone else,
    and for other methods)."""
    if request.method != "POST":
        raise Http404
    try:
        contract = services.withdraw_contract(request.user, contract_id, now=_now())
    except services.CallsUnderway:
        messages.error(
            request,
            "Des appels de ce cabinet sont en attente ou en cours au télésecrétariat : "
            "réessayez quand ils seront terminés.",
        )
        return redirect("secretariat:billing")
    if contract is None:
        raise Http404
    messages.success(
        request,
        f"Accord retiré : {contract.secretariat.name} ne reçoit plus les appels du cabinet.",
    )
    return redirect("secretariat:billing")
