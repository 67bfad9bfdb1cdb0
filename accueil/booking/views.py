from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accueil.directory.models import Organisation


def home(request: HttpRequest) -> HttpResponse:
    organisations = Organisation.objects.prefetch_related("sites", "practitioners").order_by("name")
    return render(request, "booking/home.html", {"organisations": organisations})
