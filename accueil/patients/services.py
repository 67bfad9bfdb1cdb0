"""Patient identity: validation and find-or-create within one organisation."""

import datetime as dt
from dataclasses import dataclass

import phonenumbers
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet

from accueil.audit import services as audit
from accueil.audit.models import Action, ObjectType
from accueil.directory.models import Organisation
from accueil.patients.models import Patient

# Metropolitan France and overseas departments and collectivities, as `phonenumbers` regions.
FRENCH_REGIONS = {"FR", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF", "NC", "PF", "WF"}
# Overseas numbers dialled nationally (0692..., 0590...) belong to their own region.
NATIONAL_DIALLING_REGIONS = ("FR", "RE", "GP", "MQ", "GF", "YT", "PM", "BL", "MF")


@dataclass(frozen=True)
class PatientIdentity:
    first_name: str
    last_name: str
    birth_date: dt.date
    phone: str = ""
    email: str = ""
    birth_name: str = ""


def normalise_phone(raw: str) -> str:
    """A French phone number in E.164, or ValidationError with a French message."""
    number = next(
        (n for region in NATIONAL_DIALLING_REGIONS if (n := _parse(raw, region)) is not None),
        None,
    )
    if number is None:
        raise ValidationError("Numéro de téléphone invalide.")
    if phonenumbers.region_code_for_number(number) not in FRENCH_REGIONS:
        raise ValidationError("Seuls les numéros français sont acceptés.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _parse(raw: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def check_identity(identity: PatientIdentity, today: dt.date) -> PatientIdentity:
    """Validated and normalised identity; raises ValidationError with per-field messages."""
    errors: dict[str, list[str]] = {}
    first_name = " ".join(identity.first_name.split())
    last_name = " ".join(identity.last_name.split())
    if not first_name:
        errors["first_name"] = ["Le prénom est obligatoire."]
    elif len(first_name) > 100:
        errors["first_name"] = ["Le prénom est trop long (100 caractères au plus)."]
    if not last_name:
        errors["last_name"] = ["Le nom est obligatoire."]
    elif len(last_name) > 100:
        errors["last_name"] = ["Le nom est trop long (100 caractères au plus)."]
    if identity.birth_date > today:
        errors["birth_date"] = ["La date de naissance est dans le futur."]
    elif identity.birth_date.year < today.year - 130:
        errors["birth_date"] = ["La date de naissance est invalide."]
    phone = ""
    if identity.phone.strip():
        try:
            phone = normalise_phone(identity.phone)
        except ValidationError as exc:
            errors["phone"] = exc.messages
    else:
        errors["phone"] = ["Le numéro de téléphone est obligatoire."]
    email = identity.email.strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = ["Adresse e-mail invalide."]
    if errors:
        raise ValidationError(errors)
    return PatientIdentity(
        first_name=first_name,
        last_name=last_name,
        birth_date=identity.birth_date,
        phone=phone,
        email=email,
        birth_name=" ".join(identity.birth_name.split()),
    )


def find_or_create_patient(
    organisation: Organisation,
    identity: PatientIdentity,
    *,
    channel: str,
    actor: AbstractBaseUser | None = None,
    managed_by: Patient | None = None,
) -> Patient:
    """The organisation's patient with this name, birth date and phone, created if new.

    Matching needs all of name, birth date and phone: a relative sharing a phone is
    another person, and a namesake with another phone is not merged. `managed_by` is the
    parent or carer booking for this person; it is recorded, never overwritten by another.
    A creation or a change is written to the audit log (`channel`, `actor`), in the
    caller's transaction.
    """
    patient = (
        Patient.objects.filter(
            organisation=organisation,
            first_name__iexact=identity.first_name,
            last_name__iexact=identity.last_name,
            birth_date=identity.birth_date,
            phone=identity.phone,
        )
        .order_by("id")
        .first()
    )
    if patient is not None:
        changed = []
        if identity.email and patient.email != identity.email:
            patient.email = identity.email
            changed.append("email")
        if managed_by is not None and patient.managed_by_id is None:
            patient.managed_by = managed_by
            changed.append("managed_by")
        if changed:
            patient.save(update_fields=changed)
            _audit(patient, Action.UPDATE, channel, actor, f"Modifié : {', '.join(changed)}")
        return patient
    patient = Patient.objects.create(
        organisation=organisation,
        first_name=identity.first_name,
        last_name=identity.last_name,
        birth_name=identity.birth_name,
        birth_date=identity.birth_date,
        phone=identity.phone,
        email=identity.email,
        managed_by=managed_by,
    )
    _audit(patient, Action.CREATE, channel, actor, "Nouveau patient")
    return patient


def _audit(
    patient: Patient, action: Action, channel: str, actor: AbstractBaseUser | None, summary: str
) -> None:
    audit.record(
        organisation_id=patient.organisation_id,
        action=action,
        object_type=ObjectType.PATIENT,
        object_id=patient.pk,
        channel=channel,
        actor=actor,
        summary=summary,
    )


# What an anonymised patient is called: no identity left, only the row that keeps the
# appointments' statistics together.
ANONYMOUS_FIRST_NAME = "Patient"
ANONYMOUS_LAST_NAME = "Anonyme"
ANONYMOUS_BIRTH_DATE = dt.date(1900, 1, 1)


def anonymise(patients: QuerySet[Patient], now: dt.datetime) -> int:
    """Replace the identity of these patients (erasure, retention); returns how many.

    Relatives they booked for lose the link to them; no message is ever sent to them again.
    Patients already anonymised are left alone, so running it twice changes nothing."""
    ids = list(patients.filter(anonymised_at__isnull=True).values_list("id", flat=True))
    if not ids:
        return 0
    with transaction.atomic():
        Patient.objects.filter(managed_by_id__in=ids).update(managed_by=None)
        return Patient.objects.filter(id__in=ids).update(
            first_name=ANONYMOUS_FIRST_NAME,
            last_name=ANONYMOUS_LAST_NAME,
            birth_name="",
            birth_date=ANONYMOUS_BIRTH_DATE,
            phone="",
            email="",
            address="",
            postcode="",
            city="",
            managed_by=None,
            sms_opt_out=True,
            anonymised_at=now,
        )


def set_sms_opt_out(patient: Patient, opt_out: bool) -> None:
    """The patient refuses (or accepts again) SMS; e-mails still go out. Messages already
    queued are checked at sending time, so a refusal applies to them too."""
    Patient.objects.filter(pk=patient.pk).update(sms_opt_out=opt_out)
    patient.sms_opt_out = opt_out
