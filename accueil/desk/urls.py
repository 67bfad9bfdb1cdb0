from django.contrib.auth import views as auth_views
from django.urls import path

from accueil.accounts import views as accounts_views
from accueil.desk import (
    calls_views,
    instructions_views,
    notify_views,
    privacy_views,
    referrer_views,
    settings_views,
    stats_views,
    views,
)

app_name = "desk"

urlpatterns = [
    path("", views.home, name="home"),
    # The password step; the second factor follows (accueil/accounts).
    path("connexion/", accounts_views.login, name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(next_page="desk:login"), name="logout"),
    path("<slug:slug>/", views.organisation_home, name="organisation"),
    path("<slug:slug>/agenda/", views.agenda, name="agenda"),
    path("<slug:slug>/rdv/nouveau/", views.new_appointment, name="new_appointment"),
    path("<slug:slug>/rdv/<uuid:public_id>/", views.appointment_detail, name="appointment"),
    path(
        "<slug:slug>/rdv/<uuid:public_id>/statut/",
        views.appointment_status,
        name="appointment_status",
    ),
    path(
        "<slug:slug>/rdv/<uuid:public_id>/annuler/",
        views.appointment_cancel,
        name="appointment_cancel",
    ),
    path(
        "<slug:slug>/rdv/<uuid:public_id>/deplacer/",
        views.appointment_move,
        name="appointment_move",
    ),
    path("<slug:slug>/salle-attente/", views.waiting_room, name="waiting_room"),
    path("<slug:slug>/patients/", views.patients, name="patients"),
    path("<slug:slug>/patients/choix/", views.patient_picker, name="patient_picker"),
    path("<slug:slug>/patients/<int:patient_id>/", views.patient_detail, name="patient"),
    path("<slug:slug>/patients/<int:patient_id>/sms/", views.patient_sms, name="patient_sms"),
    # Data protection, owners only: patients' rights and the audit log.
    path(
        "<slug:slug>/patients/<int:patient_id>/donnees/",
        privacy_views.patient_data,
        name="patient_data",
    ),
    path(
        "<slug:slug>/patients/<int:patient_id>/donnees.json",
        privacy_views.patient_data_json,
        name="patient_data_json",
    ),
    path(
        "<slug:slug>/patients/<int:patient_id>/effacer/",
        privacy_views.patient_erase,
        name="patient_erase",
    ),
    path("<slug:slug>/journal/", privacy_views.journal, name="journal"),
    path("<slug:slug>/journal/export.csv", privacy_views.journal_csv, name="journal_csv"),
    path("<slug:slug>/absences/nouvelle/", views.new_absence, name="new_absence"),
    path(
        "<slug:slug>/absences/<int:absence_id>/supprimer/",
        views.delete_absence,
        name="delete_absence",
    ),
    # Referrers (outside professionals): their bookings only.
    path("<slug:slug>/correspondant/", referrer_views.appointments, name="referrer"),
    path("<slug:slug>/correspondant/adresser/", referrer_views.book, name="referrer_book"),
    path(
        "<slug:slug>/correspondant/rdv/<uuid:public_id>/annuler/",
        referrer_views.cancel,
        name="referrer_cancel",
    ),
    path("<slug:slug>/messages/", views.staff_messages, name="messages"),
    path("<slug:slug>/messages/<int:message_id>/traite/", views.message_done, name="message_done"),
    path("<slug:slug>/messages/non-remis/", notify_views.undelivered, name="undelivered"),
    path("<slug:slug>/statistiques/", stats_views.no_shows, name="stats"),
    path("<slug:slug>/statistiques/export.csv", stats_views.no_shows_csv, name="stats_csv"),
    # The virtual receptionist: its calls and a simulator to call it from the desk.
    path("<slug:slug>/appels/", calls_views.call_log, name="calls"),
    path("<slug:slug>/appels/simulateur/", calls_views.simulator, name="simulator"),
    path(
        "<slug:slug>/appels/simulateur/<uuid:call_id>/",
        calls_views.simulator_call,
        name="simulator_call",
    ),
    path("<slug:slug>/appels/<uuid:call_id>/", calls_views.call_detail, name="call"),
    # Settings: every member reads them, only owners change them.
    path("<slug:slug>/reglages/", settings_views.profile, name="settings"),
    path("<slug:slug>/reglages/lieux/", settings_views.sites, name="settings_sites"),
    path("<slug:slug>/reglages/lieux/nouveau/", settings_views.site_form, name="settings_site_new"),
    path(
        "<slug:slug>/reglages/lieux/<int:site_id>/", settings_views.site_form, name="settings_site"
    ),
    path(
        "<slug:slug>/reglages/praticiens/",
        settings_views.practitioners,
        name="settings_practitioners",
    ),
    path(
        "<slug:slug>/reglages/praticiens/nouveau/",
        settings_views.practitioner_form,
        name="settings_practitioner_new",
    ),
    path(
        "<slug:slug>/reglages/praticiens/<int:practitioner_id>/",
        settings_views.practitioner_form,
        name="settings_practitioner",
    ),
    path("<slug:slug>/reglages/motifs/", settings_views.motifs, name="settings_motifs"),
    path(
        "<slug:slug>/reglages/motifs/nouveau/",
        settings_views.motif_form,
        name="settings_motif_new",
    ),
    path(
        "<slug:slug>/reglages/motifs/<int:motif_id>/",
        settings_views.motif_form,
        name="settings_motif",
    ),
    path("<slug:slug>/reglages/plages/", settings_views.periods, name="settings_periods"),
    path(
        "<slug:slug>/reglages/praticiens/<int:practitioner_id>/plages/nouvelle/",
        settings_views.period_form,
        name="settings_period_new",
    ),
    path(
        "<slug:slug>/reglages/plages/<int:period_id>/",
        settings_views.period_form,
        name="settings_period",
    ),
    path(
        "<slug:slug>/reglages/plages/<int:period_id>/supprimer/",
        settings_views.period_delete,
        name="settings_period_delete",
    ),
    path("<slug:slug>/reglages/absences/", settings_views.absences, name="settings_absences"),
    path(
        "<slug:slug>/reglages/consignes/",
        instructions_views.instructions,
        name="instructions",
    ),
    path(
        "<slug:slug>/reglages/consignes/yaml/",
        instructions_views.instructions_yaml,
        name="instructions_yaml",
    ),
    path(
        "<slug:slug>/reglages/consignes/versions/<int:sheet_version>/",
        instructions_views.instructions_version,
        name="instructions_version",
    ),
    path(
        "<slug:slug>/reglages/absences/<int:absence_id>/supprimer/",
        settings_views.absence_delete,
        name="settings_absence_delete",
    ),
    # The team: memberships of the practice (same rule as the settings pages).
    path("<slug:slug>/reglages/equipe/", settings_views.team, name="settings_team"),
    path(
        "<slug:slug>/reglages/equipe/ajouter/",
        settings_views.member_new,
        name="settings_member_new",
    ),
    path(
        "<slug:slug>/reglages/equipe/<int:membership_id>/",
        settings_views.member_form,
        name="settings_member",
    ),
    path(
        "<slug:slug>/reglages/equipe/<int:membership_id>/retirer/",
        settings_views.member_remove,
        name="settings_member_remove",
    ),
    path(
        "<slug:slug>/reglages/equipe/<int:membership_id>/double-authentification/",
        settings_views.member_reset_second_factor,
        name="settings_member_reset_second_factor",
    ),
    # Notification settings and texts: same rule as the settings pages.
    path("<slug:slug>/reglages/rappels/", notify_views.notify_settings, name="notify_settings"),
    path(
        "<slug:slug>/reglages/rappels/longueur-sms/",
        notify_views.notify_sms_count,
        name="notify_sms_count",
    ),
    path(
        "<slug:slug>/reglages/rappels/textes/<slug:kind>/<slug:channel>/",
        notify_views.notify_text,
        name="notify_text",
    ),
    path(
        "<slug:slug>/reglages/rappels/textes/<slug:kind>/<slug:channel>/defaut/",
        notify_views.notify_text_reset,
        name="notify_text_reset",
    ),
]
