"""Factories for tests: plain functions with sensible defaults, overridable by keyword."""

import datetime as dt
import itertools

from django.contrib.auth.models import User
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accueil.directory.models import Membership, Motif, Organisation, Practitioner, Site
from accueil.patients.models import Patient
from accueil.scheduling.models import Absence, OpeningPeriod

_seq = itertools.count(1)

# A Monday in winter (+01:00), far enough from "now" in tests that pass `now` explicitly.
MONDAY = dt.date(2027, 1, 4)
NOW = dt.datetime(2027, 1, 1, 9, 0, tzinfo=dt.UTC)


def organisation(**kw) -> Organisation:
    n = next(_seq)
    kw.setdefault("name", f"Cabinet {n}")
    kw.setdefault("slug", f"cabinet-{n}")
    kw.setdefault("kind", Organisation.Kind.CABINET)
    return Organisation.objects.create(**kw)


def site(org: Organisation | None = None, **kw) -> Site:
    kw.setdefault("name", "Cabinet principal")
    kw.setdefault("address", "12 rue des Lilas")
    kw.setdefault("postcode", "59000")
    kw.setdefault("city", "Lille")
    return Site.objects.create(organisation=org or organisation(), **kw)


def practitioner(org: Organisation | None = None, sites=(), **kw) -> Practitioner:
    org = org or organisation()
    kw.setdefault("first_name", "Claire")
    kw.setdefault("last_name", f"Morel{next(_seq)}")
    kw.setdefault("title", "Dr")
    kw.setdefault("profession", "médecin généraliste")
    p = Practitioner.objects.create(organisation=org, **kw)
    p.sites.set(sites or [site(org)])
    return p


def motif(org: Organisation, practitioners=(), **kw) -> Motif:
    kw.setdefault("name", "Consultation")
    kw.setdefault("duration", dt.timedelta(minutes=20))
    m = Motif.objects.create(organisation=org, **kw)
    m.practitioners.set(practitioners)
    return m


def period(p: Practitioner, motifs, **kw) -> OpeningPeriod:
    kw.setdefault("site", p.sites.first())
    kw.setdefault("start_time", dt.time(9))
    kw.setdefault("end_time", dt.time(12))
    kw.setdefault("weekdays", "0,1,2,3,4")
    kw.setdefault("valid_from", dt.date(2026, 1, 1))
    op = OpeningPeriod.objects.create(practitioner=p, **kw)
    op.motifs.set(motifs)
    return op


def absence(p: Practitioner, start: dt.datetime, end: dt.datetime, **kw) -> Absence:
    return Absence.objects.create(practitioner=p, start=start, end=end, **kw)


def patient(org: Organisation, **kw) -> Patient:
    kw.setdefault("first_name", "Louise")
    kw.setdefault("last_name", f"Bernard{next(_seq)}")
    kw.setdefault("birth_date", dt.date(1990, 5, 17))
    kw.setdefault("phone", "+33612345678")
    return Patient.objects.create(organisation=org, **kw)


def staff(org: Organisation, role=Membership.Role.SECRETARY, **kw) -> User:
    user = User.objects.create_user(username=f"user{next(_seq)}", password="x-demo-pass", **kw)
    Membership.objects.create(user=user, organisation=org, role=role)
    return user


def agenda(**motif_kw):
    """A practice with one GP open Monday-Friday 9:00-12:00 and one 20-minute motif."""
    org = organisation()
    p = practitioner(org)
    m = motif(org, [p], **motif_kw)
    period(p, [m])
    return org, p, m


def authenticator(user: User) -> TOTPDevice:
    """The user's confirmed TOTP device (one is made the first time)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Téléphone", confirmed=True)


def login_verified(client, user: User) -> None:
    """Logs `client` in past both steps, password and second factor (a session verified by
    the user's authenticator): what `force_login` gave before the second factor."""
    device = authenticator(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
