from django.urls import path

from accueil.reception import twilio

app_name = "reception"

urlpatterns = [
    path("twilio/voice", twilio.voice, name="twilio-voice"),
    path("twilio/gather", twilio.gather_result, name="twilio-gather"),
    path("twilio/status", twilio.status_callback, name="twilio-status"),
]
