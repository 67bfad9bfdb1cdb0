"""The calendar file (ICS, RFC 5545) attached to e-mail confirmations, with `icalendar`."""

import datetime as dt

import icalendar
from django.conf import settings

from accueil.booking.models import Appointment


def appointment_ics(appointment: Appointment, *, place: str, sequence: int = 0) -> bytes:
    """One VEVENT; its UID is the appointment's, so a moved appointment (higher SEQUENCE)
    updates the entry the patient imported instead of adding a second one."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Accueil//Rendez-vous//FR")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = icalendar.Event()
    host = settings.SITE_ROOT.split("://")[-1].split("/")[0].split(":")[0] or "accueil"
    event.add("uid", f"{appointment.public_id}@{host}")
    event.add("sequence", sequence)
    event.add("dtstamp", dt.datetime.now(dt.UTC))
    # UTC instants: every calendar reads them without a VTIMEZONE block.
    event.add("dtstart", appointment.start.astimezone(dt.UTC))
    event.add("dtend", appointment.end.astimezone(dt.UTC))
    event.add("summary", f"{appointment.motif.name} – {appointment.practitioner.display_name}")
    event.add("location", place)
    event.add("status", "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()
