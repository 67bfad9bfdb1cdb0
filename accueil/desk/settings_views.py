"""Settings pages of the back office: practice profile, sites, practitioners, motifs, opening
periods, absences and the team.

Every member of the organisation may read them; only owners may change them. A POST from
any other member is refused with 403, after `staff_view` has answered 404 to outsiders.
Views stay thin: look the object up within the organisation, parse the form, call the
service, show its errors next to the fields.
"""

from __future__ import annotations

import datetime as dt
import functools

from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.views.decorators.http import require_POST

from accueil.accounts import services as accounts
from accueil.desk.settings_forms import (
    ExistingMemberForm,
    MemberForm,
    MotifForm,
    NewMemberForm,
    PeriodForm,
    PractitionerForm,
    ProfileForm,
    SiteForm,
)
from accueil.desk.views import staff_view
from accueil.directory import services as directory
from accueil.directory.models import Motif, Organisation, Practitioner, Site
from accueil.directory.roles import Capability
from accueil.scheduling import engine
from accueil.scheduling import services as scheduling
from accueil.scheduling.models import WEEKDAY_NAMES, Absence, OpeningPeriod


def settings_view(view):
    """`staff_view`, then: `request.may_edit` for owners; a POST from anyone else gets 403."""

    @staff_view(Capability.SETTINGS_READ)
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        request.may_edit = directory.may_change_settings(request.membership)
        if request.method == "POST" and not request.may_edit:
            return render(
                request,
                "desk/settings/forbidden.html",
                {"organisation": request.organisation, "nav": "settings"},
                status=403,
            )
        return view(request, *args, **kwargs)

    return wrapper


# The list page of each section with forms: where "Annuler" goes back to.
LISTS = {
    "sites": "desk:settings_sites",
    "practitioners": "desk:settings_practitioners",
    "motifs": "desk:settings_motifs",
    "periods": "desk:settings_periods",
    "team": "desk:settings_team",
}


def _page(request: HttpRequest, template: str, section: str, **context) -> HttpResponse:
    slug = request.organisation.slug
    context.update(
        organisation=request.organisation,
        nav="settings",
        section=section,
        may_edit=request.may_edit,
        back=reverse(LISTS[section], args=[slug]) if section in LISTS else None,
    )
    return render(request, f"desk/settings/{template}", context)


def _find(queryset: QuerySet, pk: int | None):
    """The object `pk` of a queryset already scoped to the organisation; None for a new one."""
    if pk is None:
        return None
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def _save(request: HttpRequest, form, write) -> bool:
    """Call `write(cleaned_data)` for a valid POSTed form; put the service's errors on the form."""
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        write(form.cleaned_data)
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
        return False
    return True


def _data(request: HttpRequest):
    return request.POST if request.method == "POST" else None


# One home for every text for patients (docs/decisions/0014).
SHEET_HINT = (
    "L'accès, le stationnement et les consignes pour le patient de chaque motif se "
    "rédigent dans les consignes : le site de réservation, les confirmations et la "
    "standardiste les reprennent."
)


# Practice profile ---------------------------------------------------------------------------


@settings_view
def profile(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation
    form = ProfileForm(_data(request), initial=_initial(organisation, ProfileForm))
    if _save(request, form, lambda data: directory.update_profile(organisation, **data)):
        messages.success(request, "Profil de l'établissement enregistré.")
        return redirect("desk:settings", slug=organisation.slug)
    return _page(
        request,
        "form.html",
        "profile",
        form=form,
        title="Établissement",
        intro="Ces informations sont données aux patients sur le site de réservation, au "
        "téléphone et par le secrétariat. Les textes pour les patients (consultations sans "
        "rendez-vous, accès, stationnement, tarifs, consignes de chaque motif) sont dans les "
        "consignes.",
    )


# Sites --------------------------------------------------------------------------------------


@settings_view
def sites(request: HttpRequest) -> HttpResponse:
    found = request.organisation.sites.order_by("name").prefetch_related("practitioners")
    return _page(request, "sites.html", "sites", sites=found)


@settings_view
def site_form(request: HttpRequest, site_id: int | None = None) -> HttpResponse:
    organisation = request.organisation
    site = _find(organisation.sites.all(), site_id)
    initial = _initial(site or Site(organisation=organisation), SiteForm)
    form = SiteForm(_data(request), initial=initial)
    if _save(request, form, lambda data: directory.save_site(organisation, site, **data)):
        messages.success(request, "Lieu enregistré.")
        return redirect("desk:settings_sites", slug=organisation.slug)
    return _page(
        request,
        "form.html",
        "sites",
        form=form,
        title=_title(site, "Nouveau lieu"),
        intro=SHEET_HINT,
    )


# Practitioners ------------------------------------------------------------------------------


@settings_view
def practitioners(request: HttpRequest) -> HttpResponse:
    found = request.organisation.practitioners.prefetch_related("sites")
    return _page(request, "practitioners.html", "practitioners", practitioners=found)


@settings_view
def practitioner_form(request: HttpRequest, practitioner_id: int | None = None) -> HttpResponse:
    organisation = request.organisation
    practitioner = _find(organisation.practitioners.all(), practitioner_id)
    initial = _initial(practitioner or Practitioner(organisation=organisation), PractitionerForm)
    form = PractitionerForm(organisation, _data(request), initial=initial)
    if _save(
        request,
        form,
        lambda data: directory.save_practitioner(organisation, practitioner, **data),
    ):
        messages.success(request, "Praticien enregistré.")
        return redirect("desk:settings_practitioners", slug=organisation.slug)
    title = _title(practitioner, "Nouveau praticien")
    return _page(request, "form.html", "practitioners", form=form, title=title)


# Motifs -------------------------------------------------------------------------------------


@settings_view
def motifs(request: HttpRequest) -> HttpResponse:
    found = request.organisation.motifs.prefetch_related("practitioners")
    return _page(request, "motifs.html", "motifs", motifs=found)


@settings_view
def motif_form(request: HttpRequest, motif_id: int | None = None) -> HttpResponse:
    organisation = request.organisation
    motif = _find(organisation.motifs.all(), motif_id)
    initial = _initial(motif or Motif(organisation=organisation), MotifForm)
    form = MotifForm(organisation, _data(request), initial=initial)
    if _save(request, form, lambda data: directory.save_motif(organisation, motif, **data)):
        messages.success(
            request,
            "Motif enregistré. Les rendez-vous déjà pris ne changent pas ; les nouveaux "
            "créneaux suivent ces réglages.",
        )
        return redirect("desk:settings_motifs", slug=organisation.slug)
    return _page(
        request,
        "form.html",
        "motifs",
        form=form,
        title=_title(motif, "Nouveau motif"),
        intro=SHEET_HINT,
    )


# Opening periods ----------------------------------------------------------------------------


@settings_view
def periods(request: HttpRequest) -> HttpResponse:
    by_practitioner = scheduling.periods_by_practitioner(request.organisation)
    today = scheduling.today()
    groups = [
        {
            "practitioner": practitioner,
            "periods": [
                {"period": p, "text": describe_period(p), "over": _over(p, today)}
                for p in by_practitioner.get(practitioner.id, [])
            ],
        }
        for practitioner in request.organisation.practitioners.all()
    ]
    return _page(request, "periods.html", "periods", groups=groups)


@settings_view
def period_form(
    request: HttpRequest, practitioner_id: int | None = None, period_id: int | None = None
) -> HttpResponse:
    organisation = request.organisation
    period = _find(
        OpeningPeriod.objects.filter(practitioner__organisation=organisation).select_related(
            "practitioner__organisation"
        ),
        period_id,
    )
    practitioner = (
        period.practitioner if period else _find(organisation.practitioners.all(), practitioner_id)
    )
    shown = period or OpeningPeriod(practitioner=practitioner, valid_from=scheduling.today())
    initial = {**_initial(shown, PeriodForm), "weekdays": sorted(shown.weekday_set)}
    if shown.single_date:
        initial["valid_from"] = None  # a single date's period starts on it; nothing to show
    form = PeriodForm(practitioner, _data(request), initial=initial)
    if _save(request, form, lambda data: scheduling.save_period(practitioner, period, **data)):
        messages.success(
            request,
            "Plage d'ouverture enregistrée. Les rendez-vous déjà pris restent à leur place.",
        )
        return redirect(_periods_url(organisation, practitioner.id))
    title = f"Plage d'ouverture de {practitioner.display_name}"
    if period is not None:
        title += f" : {describe_period(period)}"
    return _page(request, "form.html", "periods", form=form, title=title)


@settings_view
@require_POST
def period_delete(request: HttpRequest, period_id: int) -> HttpResponse:
    period = _find(
        OpeningPeriod.objects.filter(practitioner__organisation=request.organisation),
        period_id,
    )
    scheduling.delete_period(period)
    messages.success(
        request, "Plage d'ouverture supprimée. Les rendez-vous déjà pris restent à leur place."
    )
    return redirect(_periods_url(request.organisation, period.practitioner_id))


def _periods_url(organisation: Organisation, practitioner_id: int) -> str:
    url = reverse("desk:settings_periods", args=[organisation.slug])
    return f"{url}#praticien-{practitioner_id}"


def describe_period(period: OpeningPeriod) -> str:
    """In French: "lundi, mardi 09:00–12:00 (toutes les 2 semaines) du 4 janvier 2027 au …"."""
    hours = f"{period.start_time:%H:%M}–{period.end_time:%H:%M}"
    if period.single_date:
        return f"le {_weekday(period.single_date)} {_date(period.single_date)} {hours}"
    days = ", ".join(WEEKDAY_NAMES[d] for d in sorted(period.weekday_set))
    text = f"{days} {hours}"
    if period.every_n_weeks > 1:
        text += f" (toutes les {period.every_n_weeks} semaines)"
    if period.valid_until:
        return f"{text} du {_date(period.valid_from)} au {_date(period.valid_until)}"
    return f"{text} à partir du {_date(period.valid_from)}"


def _over(period: OpeningPeriod, today: dt.date) -> bool:
    last = period.single_date or period.valid_until
    return last is not None and last < today


# Absences -----------------------------------------------------------------------------------


@settings_view
def absences(request: HttpRequest) -> HttpResponse:
    upcoming = scheduling.upcoming_absences(request.organisation, timezone.now())
    by_practitioner: dict[int, list[dict]] = {}
    for absence in upcoming:
        by_practitioner.setdefault(absence.practitioner_id, []).append(
            {"absence": absence, "text": describe_absence(absence)}
        )
    groups = [
        {"practitioner": p, "absences": by_practitioner[p.id]}
        for p in request.organisation.practitioners.all()
        if p.id in by_practitioner
    ]
    return _page(request, "absences.html", "absences", groups=groups)


@settings_view
@require_POST
def absence_delete(request: HttpRequest, absence_id: int) -> HttpResponse:
    absence = _find(
        Absence.objects.filter(practitioner__organisation=request.organisation), absence_id
    )
    scheduling.remove_absence(absence)
    messages.success(request, "Absence supprimée.")
    return redirect("desk:settings_absences", slug=request.organisation.slug)


def describe_absence(absence: Absence) -> str:
    start = timezone.localtime(absence.start, engine.PARIS)
    end = timezone.localtime(absence.end, engine.PARIS)
    if absence.weekly:
        text = f"chaque {_weekday(start.date())} {start:%H:%M}–{end:%H:%M}"
        text += f" à partir du {_date(start.date())}"
        if absence.repeat_until:
            text += f" jusqu'au {_date(absence.repeat_until)}"
        return text
    if start.date() == end.date():
        return f"le {_weekday(start.date())} {_date(start.date())} {start:%H:%M}–{end:%H:%M}"
    return (
        f"du {_weekday(start.date())} {_date(start.date())} {start:%H:%M} "
        f"au {_weekday(end.date())} {_date(end.date())} {end:%H:%M}"
    )


# Team ---------------------------------------------------------------------------------------


@settings_view
def team(request: HttpRequest) -> HttpResponse:
    members = directory.team(request.organisation)
    return _page(request, "team.html", "team", members=members, me=request.user)


@settings_view
def member_new(request: HttpRequest) -> HttpResponse:
    """Two forms on one page: an existing login joins, or a new account is created."""
    organisation, actor = request.organisation, request.user
    kind = request.POST.get("kind") if request.method == "POST" else None
    existing = ExistingMemberForm(
        organisation, _data(request) if kind == "existing" else None, prefix="existing"
    )
    new = NewMemberForm(organisation, _data(request) if kind == "new" else None, prefix="new")
    if kind == "existing" and _save(
        request, existing, lambda data: directory.add_member(organisation, actor=actor, **data)
    ):
        messages.success(request, "Compte ajouté à l'équipe.")
        return redirect("desk:settings_team", slug=organisation.slug)
    if kind == "new" and _save(
        request, new, lambda data: directory.create_member(organisation, actor=actor, **data)
    ):
        messages.success(
            request,
            "Compte créé. À sa première connexion, la personne active sa double authentification.",
        )
        return redirect("desk:settings_team", slug=organisation.slug)
    return _page(request, "member_new.html", "team", existing=existing, new=new)


@settings_view
def member_form(request: HttpRequest, membership_id: int) -> HttpResponse:
    organisation = request.organisation
    membership = _find(directory.team(organisation), membership_id)
    initial = {"role": membership.role, "practitioner": membership.practitioner_id}
    form = MemberForm(organisation, _data(request), initial=initial)
    if _save(
        request,
        form,
        lambda data: directory.change_member(membership, actor=request.user, **data),
    ):
        messages.success(request, "Rôle enregistré.")
        return redirect("desk:settings_team", slug=organisation.slug)
    return _page(
        request,
        "member.html",
        "team",
        form=form,
        member=membership,
        title=_member_name(membership),
        is_me=membership.user_id == request.user.pk,
    )


@settings_view
@require_POST
def member_remove(request: HttpRequest, membership_id: int) -> HttpResponse:
    organisation = request.organisation
    membership = _find(organisation.memberships.select_related("user"), membership_id)
    name = _member_name(membership)
    try:
        directory.remove_member(membership, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("desk:settings_member", slug=organisation.slug, membership_id=membership.id)
    if membership.user_id == request.user.pk:
        if not request.user.memberships.exists():
            # Their sessions, this one included, were ended: start a fresh one.
            auth_logout(request)
        messages.success(request, f"Vous ne faites plus partie de l'équipe de {organisation}.")
        return redirect("desk:login")  # the login page sends a member elsewhere on
    messages.success(request, f"{name} ne fait plus partie de l'équipe ; son compte reste.")
    return redirect("desk:settings_team", slug=organisation.slug)


@settings_view
@require_POST
def member_reset_second_factor(request: HttpRequest, membership_id: int) -> HttpResponse:
    organisation = request.organisation
    membership = _find(organisation.memberships.select_related("user"), membership_id)
    try:
        accounts.reset_member_second_factor(membership, actor=request.user)
    except accounts.ResetRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"Double authentification de {_member_name(membership)} réinitialisée : ses "
            "sessions sont fermées ; à sa prochaine connexion, la personne l'active de nouveau.",
        )
    return redirect("desk:settings_member", slug=organisation.slug, membership_id=membership.id)


def _member_name(membership) -> str:
    user = membership.user
    return user.get_full_name() or user.get_username()


# Helpers ------------------------------------------------------------------------------------


def _initial(obj: Model, form_class) -> dict:
    """A form's initial values from a model instance; a new instance gives the defaults."""
    initial = {}
    for name in form_class.base_fields:
        field = obj._meta.get_field(name)
        if field.many_to_many:
            initial[name] = list(getattr(obj, name).all()) if obj.pk else []
        else:
            initial[name] = getattr(obj, field.attname)  # a foreign key's id
    return initial


def _title(obj: Model | None, new: str) -> str:
    return new if obj is None else str(obj)


def _weekday(day: dt.date) -> str:
    return WEEKDAY_NAMES[day.weekday()]


def _date(day: dt.date) -> str:
    """ "4 janvier 2027", "1er mai 2027"."""
    text = formats.date_format(day, "j F Y")
    return f"1er{text[1:]}" if day.day == 1 else text
