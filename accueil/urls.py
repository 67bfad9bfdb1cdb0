from django.contrib import admin
from django.urls import include, path

from accueil.api.api import api
from accueil.booking import views as booking_views

urlpatterns = [
    path("", booking_views.home, name="home"),
    path("admin/", admin.site.urls),
    path("desk/", include("accueil.desk.urls")),
    path("api/", api.urls),
]
