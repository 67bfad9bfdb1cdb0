"""Public site URLs. Organisation slugs take the first path segment, so this module is
included last in the root URLconf: fixed prefixes (admin/, desk/, api/, rdv/) win."""

from django.urls import path

from accueil.booking import views, waitlist_views

app_name = "booking"

urlpatterns = [
    path("", views.home, name="home"),
    path("rdv/confirmation/<uuid:public_id>/", views.confirmation, name="confirmation"),
    path("rdv/<uuid:public_id>/<str:token>/", views.manage, name="manage"),
    path("rdv/<uuid:public_id>/<str:token>/annuler/", views.cancel, name="cancel"),
    path("rdv/<uuid:public_id>/<str:token>/deplacer/", views.move_week, name="move"),
    path(
        "rdv/<uuid:public_id>/<str:token>/deplacer/confirmer/",
        views.move_confirm,
        name="move_confirm",
    ),
    path("rdv/offre/<str:token>/", waitlist_views.offer, name="waitlist_offer"),
    path("liste-attente/<str:token>/quitter/", waitlist_views.leave, name="waitlist_leave"),
    path(
        "<slug:org_slug>/rendez-vous/<int:practitioner_id>/<int:motif_id>/liste-attente/",
        waitlist_views.join,
        name="waitlist_join",
    ),
    path("<slug:org_slug>/", views.practice, name="practice"),
    path(
        "<slug:org_slug>/rendez-vous/<int:practitioner_id>/",
        views.choose_motif,
        name="choose_motif",
    ),
    path(
        "<slug:org_slug>/rendez-vous/<int:practitioner_id>/<int:motif_id>/",
        views.week,
        name="week",
    ),
    path(
        "<slug:org_slug>/rendez-vous/<int:practitioner_id>/<int:motif_id>/reserver/",
        views.book,
        name="book",
    ),
    path("<slug:org_slug>/<slug:site_slug>/", views.practice, name="site"),
]
