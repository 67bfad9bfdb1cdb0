"""Desk pages of notifications: the "Rappels et messages" settings and texts (owners change,
members read), the live SMS count, the messages of an appointment, the messages not
delivered. The access sweep (tests/security/test_access_sweep.py) checks the whole cast too."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accueil.booking import services as booking
from accueil.booking.models import Channel as BookingChannel
from accueil.directory.services import Audience
from accueil.notify import services as notify
from accueil.notify import texts
from accueil.notify.models import Channel, Kind, Message, MessageTemplate, NotificationSettings
from accueil.notify.sms import sms_length
from accueil.scheduling.engine import wall_clock
from tests import factories
from tests.factories import MONDAY, NOW

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    monkeypatch.setattr(booking.timezone, "now", lambda: NOW)


@pytest.fixture
def owner(client, practice):
    factories.login_verified(client, practice["owner"])
    return client


@pytest.fixture
def member(client, practice):
    factories.login_verified(client, practice["member"])
    return client


def url(practice, name, *args):
    return reverse(f"desk:{name}", args=[practice["organisation"].slug, *args])


def book(practice, **patient):
    return booking.book(
        practitioner=practice["practitioner"],
        motif=practice["motif"],
        start=wall_clock(MONDAY, dt.time(10)),
        patient=factories.patient(practice["organisation"], **patient),
        channel=BookingChannel.DESK,
        audience=Audience.STAFF,
        now=NOW,
    )


SETTINGS_BODY = {
    "confirmation_sms": "on",
    "confirmation_email": "",
    "reminder_hours": "24",
    "reminder_sms": "on",
    "reminder_email": "",
    "second_reminder": "on",
    "second_reminder_hours": "2",
    "waitlist_offers": "",
    "sms_sender": "CabLilas",
}

NOTIFY_PAGES = [
    ("notify_settings", ()),
    ("notify_text", ("reminder", "sms")),
    ("notify_text", ("confirmation", "email")),
]


# Who may change what ------------------------------------------------------------------------


def test_settings_menu_links_to_the_page(member, practice):
    html = member.get(url(practice, "settings")).content.decode()
    assert f'href="{url(practice, "notify_settings")}"' in html
    assert "Rappels et messages" in html


def test_members_read_without_edit_buttons(member, practice):
    for name, args in NOTIFY_PAGES:
        response = member.get(url(practice, name, *args))
        html = response.content.decode()
        assert response.status_code == 200, name
        assert "Seul le responsable de l'établissement peut les modifier" in html, name
        assert '<fieldset class="plain" disabled>' in html, name
        assert "Enregistrer</button>" not in html and 'name="preview"' not in html, name
        assert "Revenir au texte par défaut" not in html, name


def test_members_posts_are_refused_and_change_nothing(member, practice):
    org = practice["organisation"]
    MessageTemplate.objects.create(
        organisation=org, kind=Kind.REMINDER, channel=Channel.SMS, body="Rappel {date}"
    )
    posts = [
        url(practice, "notify_settings"),
        url(practice, "notify_text", "reminder", "sms"),
        url(practice, "notify_text_reset", "reminder", "sms"),
        url(practice, "notify_sms_count"),
    ]
    for page in posts:
        response = member.post(page, {**SETTINGS_BODY, "body": "Piraté {date}"})
        assert response.status_code == 403, page
        assert "Seul le responsable" in response.content.decode(), page
    assert not NotificationSettings.objects.filter(organisation=org).exists()
    assert MessageTemplate.objects.get(organisation=org).body == "Rappel {date}"


def test_unknown_kinds_and_channels_are_404(owner, practice):
    for kind, channel in (("reminder", "fax"), ("nothing", "sms"), ("REMINDER", "sms")):
        assert owner.get(url(practice, "notify_text", kind, channel)).status_code == 404
        assert owner.post(url(practice, "notify_text_reset", kind, channel)).status_code == 404


# Settings -----------------------------------------------------------------------------------


def test_the_page_shows_the_defaults_of_an_organisation_without_settings(owner, practice):
    response = owner.get(url(practice, "notify_settings"))
    form = response.context["form"]
    assert form["reminder_hours"].value() == 48 and form["second_reminder_hours"].value() == 2
    assert form["confirmation_sms"].value() is True and form["second_reminder"].value() is False
    html = response.content.decode()
    assert "<legend>Rappels</legend>" in html and 'for="id_reminder_hours"' in html
    assert "Enregistrer</button>" in html


def test_owner_saves_settings_and_the_next_booking_follows_them(owner, practice):
    response = owner.post(url(practice, "notify_settings"), SETTINGS_BODY)
    assert response.status_code == 302
    prefs = NotificationSettings.objects.get(organisation=practice["organisation"])
    assert (prefs.reminder_hours, prefs.second_reminder_hours) == (24, 2)
    assert prefs.confirmation_sms and not prefs.confirmation_email
    assert prefs.second_reminder and not prefs.waitlist_offers and prefs.sms_sender == "CabLilas"
    assert (
        "rappels déjà programmés ne changent pas"
        in owner.get(response["Location"]).content.decode()
    )

    appointment = book(practice, email="louise@example.org")
    sent = {(m.kind, m.channel, m.scheduled_for) for m in notify.messages_of(appointment)}
    start = appointment.start
    assert sent == {
        (Kind.CONFIRMATION, Channel.SMS, NOW),
        (Kind.REMINDER, Channel.SMS, start - dt.timedelta(hours=24)),
        (Kind.REMINDER, Channel.SMS, start - dt.timedelta(hours=2)),
    }


def test_settings_errors_are_shown_next_to_their_field(owner, practice):
    cases = [
        ({"second_reminder_hours": "24"}, "second_reminder_hours", "Le second rappel part après"),
        ({"reminder_hours": "0"}, "reminder_hours", "Entre 1 et 168 heures"),
        ({"reminder_hours": "200"}, "reminder_hours", "Entre 1 et 168 heures"),
        ({"sms_sender": "Cab Lilas"}, "sms_sender", "De 3 à 11 lettres ou chiffres"),
        ({"sms_sender": "12345"}, "sms_sender", "dont au moins une lettre"),
        ({"sms_sender": "Cabinetlilas"}, "sms_sender", "au plus 11 caractères"),
        ({"reminder_hours": "deux"}, "reminder_hours", "Saisissez un nombre entier"),
    ]
    for changes, field, message in cases:
        response = owner.post(url(practice, "notify_settings"), {**SETTINGS_BODY, **changes})
        html = response.content.decode()
        assert response.status_code == 200, field
        assert message in " ".join(response.context["form"].errors[field]), field
        assert f'id="id_{field}_error"' in html, field
        assert f'href="#id_{field}"' in html, field
    assert not NotificationSettings.objects.exists()


def test_a_second_reminder_switched_off_may_keep_any_delay(owner, practice):
    body = {**SETTINGS_BODY, "second_reminder": "", "second_reminder_hours": "30"}
    assert owner.post(url(practice, "notify_settings"), body).status_code == 302
    assert not NotificationSettings.objects.get().second_reminder


# Texts --------------------------------------------------------------------------------------


def test_texts_list_shows_each_kind_with_the_default_and_the_own_text(owner, practice):
    org = practice["organisation"]
    MessageTemplate.objects.create(
        organisation=org,
        kind=Kind.REMINDER,
        channel=Channel.SMS,
        body="Rappel du cabinet : {date}, {manage_link}",
    )
    html = owner.get(url(practice, "notify_settings")).content.decode()
    for kind in Kind:
        assert f'<h3 id="texte-{kind.value}">{kind.label}</h3>'.replace("'", "&#x27;") in html
    assert html.count("Texte de l'établissement</span>") == 1
    assert "Rappel du cabinet : {date}, {manage_link}" in html
    default_sms = texts.DEFAULTS[(Kind.REMINDER, Channel.SMS)][1]
    assert default_sms.replace("'", "&#x27;") in html  # the default, under the own text
    assert url(practice, "notify_text", "reminder", "sms") in html
    assert url(practice, "notify_text", "confirmation", "email") in html


def test_the_edit_page_lists_the_allowed_placeholders_and_counts_the_sms(owner, practice):
    response = owner.get(url(practice, "notify_text", "cancelled", "sms"))
    html = response.content.decode()
    for name in texts.PLACEHOLDERS[Kind.CANCELLED]:
        assert f"<code>{{{name}}}</code>" in html, name
    assert "<code>{offer_link}</code>" not in html
    assert "lien vers la page de l&#x27;établissement pour reprendre rendez-vous" in html
    default = texts.DEFAULTS[(Kind.CANCELLED, Channel.SMS)][1]
    length = texts.sample_sms_length(default)
    assert f"<strong>{length.units} caractères, {length.segments} SMS</strong>" in html
    assert 'id="sms-count"' in html and 'aria-live="polite"' in html
    assert "Maison de santé des Deux Vallées" in html  # preview with the sample values
    assert 'name="subject"' not in html  # no subject for an SMS


def test_every_placeholder_has_a_french_explanation():
    for allowed in texts.PLACEHOLDERS.values():
        assert allowed <= texts.PLACEHOLDER_HELP.keys()


def test_the_textarea_posts_to_the_counter_with_the_csrf_token_of_its_form(owner, practice):
    html = owner.get(url(practice, "notify_text", "reminder", "sms")).content.decode()
    assert f'hx-post="{url(practice, "notify_sms_count")}"' in html
    assert 'hx-target="#sms-count"' in html and 'hx-trigger="input changed delay:300ms"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "vendor/htmx.min.js" in html


def test_owner_saves_a_text_and_the_next_message_uses_it(owner, practice):
    page = url(practice, "notify_text", "reminder", "sms")
    body = "Rappel {organisation} :\r\nRDV le {date}. Annuler : {manage_link}  "
    response = owner.post(page, {"body": body})
    assert response.status_code == 302 and response["Location"] == page
    own = MessageTemplate.objects.get(organisation=practice["organisation"])
    assert (own.kind, own.channel, own.subject) == (Kind.REMINDER, Channel.SMS, "")
    assert own.body == "Rappel {organisation} :\nRDV le {date}. Annuler : {manage_link}"
    html = owner.get(page).content.decode()
    assert "Texte enregistré" in html and "Texte de l'établissement" in html
    length = texts.sample_sms_length(own.body)
    assert f"<strong>{length.units} caractères, {length.segments} SMS</strong>" in html

    appointment = book(practice)
    reminder = notify.messages_of(appointment).get(kind=Kind.REMINDER, channel=Channel.SMS)
    assert reminder.body.startswith(f"Rappel {practice['organisation'].name} :\nRDV le lundi")


def test_text_errors_are_shown_next_to_the_field_and_nothing_is_saved(owner, practice):
    cases = [
        ("reminder", "sms", {"body": "RDV {date} {patient.__class__}"}, "body", "Champ inconnu"),
        ("reminder", "sms", {"body": "RDV {date}. " + "x" * 280}, "body", "Texte trop long : 3"),
        ("reminder", "sms", {"body": " \r\n "}, "body", "Le texte est vide."),
        ("reminder", "email", {"subject": " ", "body": "RDV {date}"}, "subject", "obligatoire"),
        ("reminder", "email", {"subject": "RDV", "body": "x" * 2001}, "body", "2000 caractères"),
        ("reminder", "email", {"subject": "{offer_link}", "body": "x"}, "subject", "inconnu"),
        ("moved", "sms", {"body": "Avant : {previous_date}\x07"}, "body", "contrôle"),
    ]
    for kind, channel, body, field, message in cases:
        response = owner.post(url(practice, "notify_text", kind, channel), body)
        html = response.content.decode()
        assert response.status_code == 200, message
        assert message in " ".join(response.context["form"].errors[field]), message
        assert f'id="id_{field}_error"' in html, message
        assert "Le texte n'a pas été enregistré" in html, message
    assert not MessageTemplate.objects.exists()


def test_an_email_text_with_its_subject(owner, practice):
    page = url(practice, "notify_text", "confirmation", "email")
    assert 'name="subject"' in owner.get(page).content.decode()
    body = {"subject": "  Votre RDV   du {date} ", "body": "Bonjour {patient_first_name}"}
    assert owner.post(page, body).status_code == 302
    own = MessageTemplate.objects.get()
    assert own.subject == "Votre RDV du {date}" and own.body == "Bonjour {patient_first_name}"


def test_preview_checks_and_counts_without_saving(owner, practice):
    page = url(practice, "notify_text", "reminder", "sms")
    body = "{organisation} : RDV le {date} à {place_short}. {manage_link}"
    response = owner.post(page, {"body": body, "preview": "1"})
    html = response.content.decode()
    assert response.status_code == 200 and not MessageTemplate.objects.exists()
    length = sms_length(texts.sms_text(texts.render(body, texts.SAMPLE_VALUES)))
    assert f"<strong>{length.units} caractères, {length.segments} SMS</strong>" in html
    assert "Maison de santé des Deux Vallées : RDV le mercredi 23 septembre 2026" in html
    response = owner.post(page, {"body": body + " {nope}", "preview": "1"})
    assert "Champ inconnu : {nope}" in response.context["form"].errors["body"][0]
    assert not MessageTemplate.objects.exists()


def test_back_to_the_default_text(owner, practice):
    org = practice["organisation"]
    MessageTemplate.objects.create(
        organisation=org, kind=Kind.REMINDER, channel=Channel.SMS, body="Rappel {date}"
    )
    page = url(practice, "notify_text", "reminder", "sms")
    html = owner.get(page).content.decode()
    reset = url(practice, "notify_text_reset", "reminder", "sms")
    assert f'action="{reset}"' in html and "Revenir au texte par défaut" in html
    response = owner.post(reset)
    assert response.status_code == 302 and response["Location"] == page
    assert not MessageTemplate.objects.exists()
    html = owner.get(page).content.decode()
    assert "Le texte par défaut est rétabli" in html
    assert "Revenir au texte par défaut" not in html
    assert response.wsgi_request.method == "POST"
    assert owner.get(reset).status_code == 405


# The SMS counter (htmx) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "units", "segments", "encoding"),
    [
        ("Bonjour", 7, 1, "GSM-7"),
        ("x" * 160, 160, 1, "GSM-7"),
        ("x" * 161, 161, 2, "GSM-7"),
        ("Prix : 5 €", 11, 1, "GSM-7"),  # € takes two septets
        ("Crème brûlée", 12, 1, "GSM-7"),  # spelt in GSM-7 when sent: û → u
        ("RDV 🙂", 6, 1, "UCS-2"),
        ("x" * 310 + "\r\n" + "x" * 5, 316, 3, "GSM-7"),
    ],
)
def test_the_counter_answers_the_count_fragment(owner, practice, body, units, segments, encoding):
    response = owner.post(url(practice, "notify_sms_count"), {"body": body})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html  # a fragment
    plural = "s" if units > 1 else ""
    assert f"<strong>{units} caractère{plural}, {segments} SMS</strong>" in html
    assert f"codage {encoding}" in html
    assert ("Trop long" in html) == (segments > texts.SMS_MAX_SEGMENTS)
    assert ("hors de l'alphabet" in html) == (encoding == "UCS-2")


def test_the_counter_counts_placeholders_with_long_sample_values(owner, practice):
    response = owner.post(url(practice, "notify_sms_count"), {"body": "{date}"})
    length = len(texts.SAMPLE_VALUES["date"])
    assert f"<strong>{length} caractères, 1 SMS</strong>" in response.content.decode()


def test_the_counter_needs_the_csrf_token(practice):
    client = Client(enforce_csrf_checks=True)
    factories.login_verified(client, practice["owner"])
    page = url(practice, "notify_text", "reminder", "sms")
    client.get(page)
    counter = url(practice, "notify_sms_count")
    assert client.post(counter, {"body": "Bonjour"}).status_code == 403
    token = client.cookies["csrftoken"].value
    response = client.post(counter, {"body": "Bonjour", "csrfmiddlewaretoken": token})
    assert response.status_code == 200 and "7 caractères" in response.content.decode()


# Messages of an appointment -----------------------------------------------------------------


def test_the_appointment_page_lists_its_messages_with_masked_recipients(owner, practice):
    appointment = book(practice, phone="+33612345678", email="jeanne@example.org")
    reminder = Message.objects.get(
        appointment=appointment, kind=Kind.REMINDER, channel=Channel.EMAIL
    )
    Message.objects.filter(pk=reminder.pk).update(
        status=Message.Status.FAILED, last_error="Adresse refusée par le serveur (550)."
    )
    confirmation = Message.objects.get(
        appointment=appointment, kind=Kind.CONFIRMATION, channel=Channel.SMS
    )
    sent_at = dt.datetime(2027, 1, 1, 9, 0, 4, tzinfo=dt.UTC)
    Message.objects.filter(pk=confirmation.pk).update(status=Message.Status.SENT, sent_at=sent_at)
    html = owner.get(url(practice, "appointment", appointment.public_id)).content.decode()
    table = html[html.index("SMS et e-mails au patient") :]
    assert "06 •• •• •• 78" in table and "j•••@example.org" in table
    assert "+33612345678" not in table and "jeanne@example.org" not in table
    assert "Confirmation — SMS" in table and "Rappel — E-mail" in table
    assert "envoyé le 01/01/2027 10:00" in table  # Paris time
    reminder_at = timezone.localtime(reminder.scheduled_for).strftime("%d/%m/%Y %H:%M")
    assert f"prévu le {reminder_at}" in table
    assert "Échec</span> Adresse refusée par le serveur (550)." in table
    assert "Envoyé</span>" in table and "En attente</span>" in table


def test_an_appointment_without_messages(owner, practice):
    with notify.suppressed():
        appointment = book(practice)
    html = owner.get(url(practice, "appointment", appointment.public_id)).content.decode()
    assert "Aucun SMS ni e-mail pour ce rendez-vous." in html


@pytest.mark.parametrize(
    ("channel", "recipient", "shown"),
    [
        (Channel.SMS, "+33612345678", "06 •• •• •• 78"),
        (Channel.SMS, "+262692123456", "0692 •• •• 56"),  # La Réunion
        (Channel.SMS, "+447400123456", "+447••••••56"),  # no French grouping
        (Channel.SMS, "12", "••"),
        (Channel.EMAIL, "jeanne@example.org", "j•••@example.org"),
        (Channel.EMAIL, "x@y.fr", "x•••@y.fr"),
    ],
)
def test_mask_recipient(channel, recipient, shown):
    assert notify.mask_recipient(channel, recipient) == shown


# Messages not delivered ---------------------------------------------------------------------


def message(org, appointment=None, *, status, scheduled_for, created_at, **kw):
    found = Message.objects.create(
        organisation=org,
        appointment=appointment,
        kind=kw.pop("kind", Kind.REMINDER),
        channel=kw.pop("channel", Channel.SMS),
        recipient=kw.pop("recipient", "+33612345678"),
        body="Rappel",
        status=status,
        scheduled_for=scheduled_for,
        next_attempt_at=scheduled_for,
        idempotency_key=f"test-{Message.objects.count()}",
        **kw,
    )
    Message.objects.filter(pk=found.pk).update(created_at=created_at)
    return found


def test_undelivered_lists_failed_and_dropped_of_the_last_seven_days(owner, practice):
    org = practice["organisation"]
    with notify.suppressed():
        appointment = book(practice)
    now = timezone.now()
    days = dt.timedelta(days=1)
    failed_old_reminder = message(  # queued weeks ago, failed two days ago
        org,
        appointment,
        status=Message.Status.FAILED,
        scheduled_for=now - 2 * days,
        created_at=now - 30 * days,
        last_error="Fournisseur indisponible (503). Abandon après 8 essais.",
        attempts=8,
        patient=appointment.patient,
    )
    dropped_today = message(
        org,
        appointment,
        kind=Kind.CONFIRMATION,
        status=Message.Status.DROPPED,
        scheduled_for=now - dt.timedelta(hours=1),
        created_at=now - dt.timedelta(hours=1),
        last_error="Le patient a refusé les SMS.",
        patient=appointment.patient,
    )
    dropped_future = message(  # written today for later: listed, written in the window
        org,
        status=Message.Status.DROPPED,
        scheduled_for=now + 9 * days,
        created_at=now - dt.timedelta(minutes=5),
        last_error="Numéro hors de France : SMS non envoyé.",
        kind=Kind.WAITLIST_OFFER,
        channel=Channel.EMAIL,
        recipient="jeanne@example.org",
    )
    message(
        org, status=Message.Status.FAILED, scheduled_for=now - 9 * days, created_at=now - 9 * days
    )
    message(org, status=Message.Status.SENT, scheduled_for=now - days, created_at=now - days)
    message(org, status=Message.Status.QUEUED, scheduled_for=now - days, created_at=now - days)
    message(
        practice["other_organisation"],
        status=Message.Status.FAILED,
        scheduled_for=now - days,
        created_at=now - days,
        last_error="Autre cabinet",
    )
    response = owner.get(url(practice, "undelivered"))
    html = response.content.decode()
    assert list(response.context["page"].object_list) == [
        dropped_future,
        dropped_today,
        failed_old_reminder,
    ]
    assert "3 messages non remis" in html and "Autre cabinet" not in html
    assert "Fournisseur indisponible (503). Abandon après 8 essais." in html
    assert "Le patient a refusé les SMS." in html and "(8 essais)" in html
    assert html.count(url(practice, "appointment", appointment.public_id)) == 2
    assert "06 •• •• •• 78" in html and "j•••@example.org" in html
    assert appointment.patient.last_name.upper() in html

    failed = owner.get(url(practice, "undelivered") + "?statut=failed")
    assert list(failed.context["page"].object_list) == [failed_old_reminder]
    assert owner.get(url(practice, "undelivered") + "?statut=nimporte").context["status"] == ""


def test_undelivered_is_linked_from_the_navigation_and_says_when_all_went_out(member, practice):
    html = member.get(url(practice, "agenda")).content.decode()
    assert f'href="{url(practice, "undelivered")}"' in html
    html = member.get(url(practice, "undelivered")).content.decode()
    assert "Aucun message non remis ces 7 derniers jours." in html
    assert 'aria-current="page">Envois non remis' in html


def test_undelivered_pages(owner, practice):
    org = practice["organisation"]
    now = timezone.now()
    for minutes in range(51):
        message(
            org,
            status=Message.Status.FAILED,
            scheduled_for=now - dt.timedelta(minutes=minutes),
            created_at=now,
        )
    first = owner.get(url(practice, "undelivered"))
    assert len(first.context["page"].object_list) == 50
    assert "Page 1 sur 2" in first.content.decode() and "?page=2" in first.content.decode()
    second = owner.get(url(practice, "undelivered") + "?page=2")
    assert len(second.context["page"].object_list) == 1
