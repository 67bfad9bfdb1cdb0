from django.contrib import admin
from django.urls import include, path

from accueil.api.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("desk/", include("accueil.desk.urls")),
    path("api/", api.urls),
    path("telephony/", include("accueil.reception.urls")),
    # Last: the public site's /<organisation-slug>/ pages.
    path("", include("accueil.booking.urls")),
]
