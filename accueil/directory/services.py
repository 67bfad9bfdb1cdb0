"""Who may book what (the audience of a channel against a motif's `bookable_by`), and the
settings of an organisation: profile, sites, practitioners, motifs, its team (memberships)."""

import datetime as dt
import enum
import re
from collections.abc import Iterable
from decimal import Decimal

import phonenumbers
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from accueil.accounts import services as accounts
from accueil.audit import services as audit
from accueil.audit.models import Action, ObjectType
from accueil.booking.models import Channel
from accueil.directory import roles, signals
from accueil.directory.models import Membership, Motif, Organisation, Practitioner, Site


class Audience(enum.Enum):
    PUBLIC = "public"  # patients on the web, the API, the virtual receptionist
    REFERRER = "referrer"  # outside professionals
    STAFF = "staff"  # the practice's desk and remote-secretariat operators


_OPEN_TO = {
    Audience.PUBLIC: {Motif.BookableBy.PUBLIC},
    Audience.REFERRER: {Motif.BookableBy.PUBLIC, Motif.BookableBy.REFERRERS},
    Audience.STAFF: set(Motif.BookableBy),
}


def may_book(motif: Motif, audience: Audience) -> bool:
    return motif.active and motif.bookable_by in _OPEN_TO[audience]


def motifs_open_to(audience: Audience) -> Q:
    """Filter for active motifs this audience may book."""
    return Q(active=True, bookable_by__in=_OPEN_TO[audience])


# Settings of an organisation ----------------------------------------------------------------
# Every member may read them; only owners change them (`may_change_settings`). Each write
# validates its input and raises ValidationError with French messages per field.

# The `holidays` library's France subdivisions a practice can be in ("" is metropolitan
# France). Alsace (Bas-Rhin, Haut-Rhin) is one subdivision there, "6AE"; "67" would fail.
HOLIDAY_SUBDIVISIONS = [
    ("", "France métropolitaine"),
    ("57", "Moselle (57)"),
    ("6AE", "Alsace : Bas-Rhin (67) et Haut-Rhin (68)"),
    ("971", "Guadeloupe (971)"),
    ("972", "Martinique (972)"),
    ("973", "Guyane (973)"),
    ("974", "La Réunion (974)"),
    ("PM", "Saint-Pierre-et-Miquelon (975)"),
    ("976", "Mayotte (976)"),
]
# Regions of `phonenumbers` whose numbers are dialled nationally from France (0590..., 0262...).
PHONE_REGIONS = ("FR", "GP", "MQ", "GF", "RE", "PM", "YT")
POSTCODE = re.compile(r"^\d{5}$")
MAX_DURATION = dt.timedelta(hours=12)
MAX_GUARD = dt.timedelta(hours=4)
MAX_NOTICE = dt.timedelta(days=90)
MAX_HORIZON = dt.timedelta(days=366)
MAX_CAPACITY = 200

Errors = dict[str, list[str]]


def may_change_settings(membership: Membership) -> bool:
    return roles.may(membership, roles.Capability.SETTINGS_WRITE)


def update_profile(
    organisation: Organisation,
    *,
    name: str,
    phone: str,
    closed_on_public_holidays: bool,
    holidays_subdivision: str,
) -> Organisation:
    """The practice profile shown on every channel: name, phone, holidays (texts for patients,
    such as walk-in hours, are in the instruction sheet)."""
    errors: Errors = {}
    organisation.name = _text(errors, "name", name, 200, required=True)
    organisation.phone = _phone(errors, "phone", phone)
    if holidays_subdivision not in dict(HOLIDAY_SUBDIVISIONS):
        errors["holidays_subdivision"] = ["Choisissez une zone de la liste."]
    _raise(errors)
    organisation.closed_on_public_holidays = closed_on_public_holidays
    organisation.holidays_subdivision = holidays_subdivision
    organisation.save()
    return organisation


def save_site(
    organisation: Organisation,
    site: Site | None,
    *,
    name: str,
    address: str,
    postcode: str,
    city: str,
    phone: str = "",
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
) -> Site:
    """Create (site None) or change a site of the organisation."""
    site = _own(organisation, site) or Site(organisation=organisation)
    errors: Errors = {}
    site.name = _text(errors, "name", name, 200, required=True)
    site.address = _text(errors, "address", address, 300, required=True)
    site.postcode = "".join(postcode.split())
    if not POSTCODE.match(site.postcode):
        errors["postcode"] = ["Le code postal compte 5 chiffres."]
    site.city = _text(errors, "city", city, 100, required=True)
    site.phone = _phone(errors, "phone", phone)
    if (latitude is None) != (longitude is None):
        errors["longitude" if latitude is not None else "latitude"] = [
            "Indiquez la latitude et la longitude, ou aucune des deux."
        ]
    if latitude is not None and not -90 <= latitude <= 90:
        errors["latitude"] = ["La latitude est comprise entre -90 et 90."]
    if longitude is not None and not -180 <= longitude <= 180:
        errors["longitude"] = ["La longitude est comprise entre -180 et 180."]
    _raise(errors)
    micro_degree = Decimal("0.000001")
    site.latitude = None if latitude is None else latitude.quantize(micro_degree)
    site.longitude = None if longitude is None else longitude.quantize(micro_degree)
    site.save()
    return site


def save_practitioner(
    organisation: Organisation,
    practitioner: Practitioner | None,
    *,
    title: str,
    first_name: str,
    last_name: str,
    profession: str,
    rpps: str = "",
    sites: Iterable[Site],
    departure_date: dt.date | None = None,
    active: bool = True,
    pro_mobile: str = "",
    pro_email: str = "",
    urgent_sms_anytime: bool = False,
) -> Practitioner:
    """Create (practitioner None) or change a practitioner of the organisation.

    A site still used by the practitioner's opening periods cannot be taken away: the
    periods would offer slots at a place the practitioner is not listed at.
    """
    practitioner = _own(organisation, practitioner) or Practitioner(organisation=organisation)
    errors: Errors = {}
    practitioner.title = _text(errors, "title", title, 20)
    practitioner.first_name = _text(errors, "first_name", first_name, 100, required=True)
    practitioner.last_name = _text(errors, "last_name", last_name, 100, required=True)
    practitioner.profession = _text(errors, "profession", profession, 100, required=True)
    practitioner.pro_mobile = _mobile(errors, "pro_mobile", pro_mobile)
    practitioner.pro_email = pro_email.strip()
    if practitioner.pro_email:
        try:
            validate_email(practitioner.pro_email)
        except ValidationError:
            errors["pro_email"] = ["Adresse e-mail invalide."]
    practitioner.urgent_sms_anytime = urgent_sms_anytime
    practitioner.rpps = "".join(rpps.split())
    if practitioner.rpps and not is_valid_rpps(practitioner.rpps):
        errors["rpps"] = ["Le numéro RPPS compte 11 chiffres, clé de contrôle comprise."]
    sites = list(sites)
    if not sites:
        errors["sites"] = ["Choisissez au moins un lieu."]
    elif any(s.organisation_id != organisation.id for s in sites):
        errors["sites"] = ["Ce lieu n'appartient pas à cet établissement."]
    elif practitioner.pk is not None:
        still_used = (
            practitioner.opening_periods.exclude(site__in=sites)
            .values_list("site__name", flat=True)
            .distinct()
        )
        if still_used:
            errors["sites"] = [
                f"Des plages d'ouverture ont lieu à « {name} » : modifiez-les d'abord."
                for name in still_used
            ]
    _raise(errors)
    practitioner.departure_date = departure_date
    practitioner.active = active
    with transaction.atomic():
        practitioner.save()
        practitioner.sites.set(sites)
    return practitioner


def is_valid_rpps(rpps: str) -> bool:
    """11 digits, the last one a Luhn check digit."""
    if len(rpps) != 11 or not rpps.isascii() or not rpps.isdigit():
        return False
    total = 0
    for position, digit in enumerate(int(c) for c in reversed(rpps)):
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def save_motif(
    organisation: Organisation,
    motif: Motif | None,
    *,
    name: str,
    duration: dt.timedelta | None,
    step: dt.timedelta | None = None,
    location_type: str = Motif.LocationType.ON_SITE,
    bookable_by: str = Motif.BookableBy.PUBLIC,
    min_notice: dt.timedelta | None = dt.timedelta(minutes=30),
    horizon: dt.timedelta | None = dt.timedelta(days=91),
    buffer_before: dt.timedelta | None = dt.timedelta(0),
    buffer_after: dt.timedelta | None = dt.timedelta(0),
    travel_time: dt.timedelta | None = dt.timedelta(0),
    capacity: int | None = 1,
    active: bool = True,
    practitioners: Iterable[Practitioner] = (),
) -> Motif:
    """Create (motif None) or change a motif of the organisation.

    Appointments already booked keep their times; the new rules apply to the slots offered
    from now on.
    """
    motif = _own(organisation, motif) or Motif(organisation=organisation)
    old_name = motif.name if motif.pk else ""
    errors: Errors = {}
    motif.name = _text(errors, "name", name, 200, required=True)
    _duration(errors, "duration", duration, dt.timedelta(minutes=1), MAX_DURATION)
    if step is not None:
        _duration(errors, "step", step, dt.timedelta(minutes=1), MAX_DURATION)
    if location_type not in Motif.LocationType.values:
        errors["location_type"] = ["Choisissez un lieu de consultation de la liste."]
    if bookable_by not in Motif.BookableBy.values:
        errors["bookable_by"] = ["Choisissez qui peut réserver dans la liste."]
    _duration(errors, "min_notice", min_notice, dt.timedelta(0), MAX_NOTICE)
    _duration(errors, "horizon", horizon, dt.timedelta(days=1), MAX_HORIZON)
    for field_name, value in (
        ("buffer_before", buffer_before),
        ("buffer_after", buffer_after),
        ("travel_time", travel_time),
    ):
        _duration(errors, field_name, value, dt.timedelta(0), MAX_GUARD)
    if capacity is None or not 1 <= capacity <= MAX_CAPACITY:
        errors["capacity"] = [f"La capacité va de 1 à {MAX_CAPACITY} personnes."]
    practitioners = list(practitioners)
    if any(p.organisation_id != organisation.id for p in practitioners):
        errors["practitioners"] = ["Ce praticien n'appartient pas à cet établissement."]
    _raise(errors)
    motif.duration, motif.step = duration, step
    motif.location_type, motif.bookable_by = location_type, bookable_by
    motif.min_notice, motif.horizon = min_notice, horizon
    motif.buffer_before, motif.buffer_after = buffer_before, buffer_after
    motif.travel_time, motif.capacity, motif.active = travel_time, capacity, active
    with transaction.atomic():
        motif.save()
        motif.practitioners.set(practitioners)
        if old_name and old_name != motif.name:
            signals.motif_renamed.send(
                sender=Motif, organisation=organisation, old=old_name, new=motif.name
            )
    return motif


# Team: who works in the practice, with which role --------------------------------------------
# Owners add members (an existing login, or a new account whose user enrols a second factor at
# first login), change their role, remove them. Every change is written to the practice's
# journal (object: the user's account). A practice always keeps at least one owner.

Role = Membership.Role
# Roles that act for the practice's own agendas; outside roles are never a practitioner.
LINKABLE_ROLES = (Role.OWNER, Role.PRACTITIONER, Role.SECRETARY)
LAST_OWNER = (
    "L'établissement doit garder au moins un responsable : nommez d'abord un autre responsable."
)


def team(organisation: Organisation) -> QuerySet[Membership]:
    """The practice's members with their account, the practitioner they are, and whether
    their authenticator is set up (`has_second_factor`)."""
    enrolled = TOTPDevice.objects.filter(user=OuterRef("user"), confirmed=True)
    return (
        organisation.memberships.select_related("user", "practitioner")
        .annotate(has_second_factor=Exists(enrolled))
        .order_by("user__last_name", "user__first_name", "user__username")
    )


def add_member(
    organisation: Organisation,
    *,
    actor: AbstractBaseUser,
    username: str,
    role: str,
    practitioner: Practitioner | None = None,
) -> Membership:
    """Gives an existing login (a referrer, a practitioner of two practices) a role here."""
    errors: Errors = {}
    user = get_user_model().objects.filter(username__iexact=username.strip()).first()
    if user is None or not user.is_active:
        errors["username"] = ["Aucun compte actif avec cet identifiant."]
    _check_role(errors, organisation, role, practitioner)
    _raise(errors)
    with transaction.atomic():
        _lock(organisation)
        if organisation.memberships.filter(user=user).exists():
            _raise({"username": ["Ce compte fait déjà partie de l'équipe."]})
        membership = Membership.objects.create(
            user=user, organisation=organisation, role=role, practitioner=practitioner
        )
        _record(membership, actor, Action.CREATE, f"Ajouté à l'équipe : {_describe(membership)}")
    return membership


def create_member(
    organisation: Organisation,
    *,
    actor: AbstractBaseUser,
    first_name: str,
    last_name: str,
    username: str,
    email: str,
    role: str,
    practitioner: Practitioner | None = None,
    password: str,
) -> Membership:
    """A new account and its membership. The owner gives the user their first password; the
    user enrols an authenticator at their first login (accounts.requires_second_factor)."""
    User = get_user_model()
    errors: Errors = {}
    first_name = _text(errors, "first_name", first_name, 150, required=True)
    last_name = _text(errors, "last_name", last_name, 150, required=True)
    username = username.strip()
    if not username:
        errors["username"] = ["Ce champ est obligatoire."]
    else:
        try:
            User._meta.get_field("username").run_validators(username)
        except ValidationError:
            errors["username"] = [
                "L'identifiant compte au plus 150 caractères : lettres, chiffres et @ . + - _ "
                "seulement."
            ]
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = ["Adresse e-mail invalide."]
    _check_role(errors, organisation, role, practitioner)
    candidate = User(username=username, first_name=first_name, last_name=last_name, email=email)
    try:
        password_validation.validate_password(password, candidate)
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    _raise(errors)
    with transaction.atomic():
        _lock(organisation)
        if User.objects.filter(username__iexact=username).exists():
            _raise(
                {
                    "username": [
                        "Cet identifiant est déjà pris : choisissez-en un autre, ou ajoutez ce "
                        "compte existant à l'équipe."
                    ]
                }
            )
        user = User.objects.create_user(
            username, email, password, first_name=first_name, last_name=last_name
        )
        membership = Membership.objects.create(
            user=user, organisation=organisation, role=role, practitioner=practitioner
        )
        _record(
            membership, actor, Action.CREATE, f"Compte créé et ajouté : {_describe(membership)}"
        )
    return membership


def change_member(
    membership: Membership,
    *,
    actor: AbstractBaseUser,
    role: str,
    practitioner: Practitioner | None = None,
) -> Membership:
    """A member's role and the practitioner they are; the last owner stays an owner."""
    organisation = membership.organisation
    errors: Errors = {}
    _check_role(errors, organisation, role, practitioner)
    _raise(errors)
    with transaction.atomic():
        _lock(organisation)
        membership = Membership.objects.select_related("user", "practitioner").get(pk=membership.pk)
        if role != Role.OWNER and _is_last_owner(membership):
            _raise({"role": [LAST_OWNER]})
        before = _describe(membership)
        membership.role, membership.practitioner = role, practitioner
        membership.save(update_fields=["role", "practitioner"])
        after = _describe(membership)
        if after != before:
            _record(membership, actor, Action.UPDATE, f"Rôle changé : {before} → {after}")
    return membership


def remove_member(membership: Membership, *, actor: AbstractBaseUser) -> int:
    """Takes the user out of the practice; their account stays. Whoever is left with no
    practice at all is logged out everywhere (their sessions could open nothing anyway, and
    should not linger). Returns the number of sessions ended."""
    organisation = membership.organisation
    with transaction.atomic():
        _lock(organisation)
        membership = Membership.objects.select_related("user", "practitioner").get(pk=membership.pk)
        if _is_last_owner(membership):
            _raise({"__all__": [LAST_OWNER]})
        user = membership.user
        _record(membership, actor, Action.DELETE, f"Retiré de l'équipe : {_describe(membership)}")
        membership.delete()
        ended = 0
        if not Membership.objects.filter(user=user).exists():
            ended = accounts.end_sessions(user)
    return ended


def _check_role(
    errors: Errors, organisation: Organisation, role: str, practitioner: Practitioner | None
) -> None:
    if role not in Role.values:
        errors["role"] = ["Choisissez un rôle de la liste."]
    if practitioner is None:
        return
    if practitioner.organisation_id != organisation.id:
        errors["practitioner"] = ["Ce praticien n'appartient pas à cet établissement."]
    elif role in Role.values and role not in LINKABLE_ROLES:
        label = Role(role).label.lower()
        errors["practitioner"] = [f"Un {label} n'est pas un praticien de l'établissement."]


def _lock(organisation: Organisation) -> None:
    """Team changes of one practice wait for each other: two owners demoting each other at
    the same time cannot leave it without any."""
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()


def _is_last_owner(membership: Membership) -> bool:
    return (
        membership.role == Role.OWNER
        and not membership.organisation.memberships.filter(role=Role.OWNER)
        .exclude(pk=membership.pk)
        .exists()
    )


def _describe(membership: Membership) -> str:
    text = f"{membership.user.get_username()}, {membership.get_role_display().lower()}"
    if membership.practitioner is not None:
        text += f" ({membership.practitioner.display_name})"
    return text


def _record(membership: Membership, actor: AbstractBaseUser, action: Action, summary: str):
    audit.record(
        organisation_id=membership.organisation_id,
        action=action,
        object_type=ObjectType.ACCOUNT,
        object_id=membership.user_id,
        channel=Channel.DESK,
        actor=actor,
        summary=summary,
    )


def _own(organisation: Organisation, obj):
    """`obj` if it is None or belongs to the organisation; views look objects up scoped."""
    if obj is not None and obj.organisation_id != organisation.id:
        raise ValueError(f"{obj!r} belongs to another organisation")
    return obj


def _text(errors: Errors, field: str, value: str, max_length: int, **rules) -> str:
    """Trimmed text (inner spaces collapsed unless `lines`); checks length and characters."""
    text = value.strip() if rules.get("lines") else " ".join(value.split())
    if any(ord(c) < 32 and c not in "\n\r\t" for c in text):
        errors[field] = ["Caractères de contrôle interdits."]
    elif rules.get("required") and not text:
        errors[field] = ["Ce champ est obligatoire."]
    elif len(text) > max_length:
        errors[field] = [f"Texte trop long ({max_length} caractères au plus)."]
    return text


def _mobile(errors: Errors, field: str, raw: str) -> str:
    """A French mobile number in E.164 (SMS go to it), or ""."""
    if not raw.strip():
        return ""
    try:
        number = phonenumbers.parse(raw, "FR")
    except phonenumbers.NumberParseException:
        number = None
    if (
        number is None
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.region_code_for_number(number) not in PHONE_REGIONS
        or phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE
    ):
        errors[field] = ["Numéro de portable français invalide (06 ou 07)."]
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _phone(errors: Errors, field: str, raw: str) -> str:
    """A French number as patients read it ("03 21 45 67 89", "0262 12 34 56"), or ""."""
    if not raw.strip():
        return ""
    for region in PHONE_REGIONS:
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            if phonenumbers.region_code_for_number(number) not in PHONE_REGIONS:
                break
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    errors[field] = ["Numéro de téléphone français invalide."]
    return raw


def _duration(
    errors: Errors,
    field: str,
    value: dt.timedelta | None,
    least: dt.timedelta,
    most: dt.timedelta,
) -> None:
    if value is None:
        errors[field] = ["Ce champ est obligatoire."]
    elif not least <= value <= most:
        errors[field] = [f"Entre {_words(least)} et {_words(most)}."]


def _words(duration: dt.timedelta) -> str:
    if duration.days and not duration.seconds:
        return f"{duration.days} jour{'s' if duration.days > 1 else ''}"
    minutes = int(duration.total_seconds() // 60)
    if minutes and not minutes % 60:
        return f"{minutes // 60} heure{'s' if minutes > 60 else ''}"
    return f"{minutes} minute{'s' if minutes > 1 else ''}"


def _raise(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)
