from django.urls import path

from accueil.secretariat import views

app_name = "secretariat"

call = "appel/<uuid:call_id>/"

urlpatterns = [
    path("", views.home, name="console"),
    path("file/", views.queue_fragment, name="queue"),
    path("statut/", views.set_status, name="status"),
    path("prendre/", views.take_next, name="take"),
    path(call, views.call_page, name="call"),
    path(call + "rdv/", views.book, name="book"),
    path(call + "rdv/<uuid:public_id>/annuler/", views.cancel, name="cancel"),
    path(call + "rdv/<uuid:public_id>/deplacer/", views.move, name="move"),
    path(call + "message/", views.message, name="message"),
    path(call + "mise-en-relation/", views.put_through, name="put_through"),
    path(call + "raccrocher/", views.hang_up, name="hang_up"),
    path(call + "terminer/", views.finish, name="finish"),
    path("tableau/", views.wallboard, name="wallboard"),
    path("tableau/direct/", views.wallboard_live, name="wallboard_live"),
    path("tableau/planning/", views.planning, name="planning"),
    path("facturation/", views.billing_overview, name="billing"),
    path("facturation/<int:contract_id>/<str:month>/", views.statement, name="statement"),
    path(
        "facturation/<int:contract_id>/<str:month>/csv/", views.statement_csv, name="statement_csv"
    ),
    path("facturation/accepter/<int:contract_id>/", views.accept_contract, name="accept_contract"),
    path(
        "facturation/retirer/<int:contract_id>/",
        views.withdraw_contract,
        name="withdraw_contract",
    ),
    path("reglages/contrats/", views.contracts, name="contracts"),
    path("reglages/contrats/nouveau/", views.contract_new, name="contract_new"),
    path("reglages/contrats/<int:contract_id>/", views.contract_edit, name="contract_edit"),
    path("reglages/operateurs/", views.operators, name="operators"),
    path("reglages/operateurs/nouveau/", views.operator_new, name="operator_new"),
    path("reglages/operateurs/<int:operator_id>/", views.operator_edit, name="operator_edit"),
]
