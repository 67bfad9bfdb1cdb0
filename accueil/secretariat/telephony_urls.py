from django.urls import path

from accueil.secretariat import telephony

app_name = "secretariat_telephony"

urlpatterns = [
    path("attente", telephony.wait, name="wait"),
    path("sortie", telephony.left, name="left"),
    path("operateur/<uuid:call_id>", telephony.operator_leg, name="operator"),
]
