from django.contrib import admin
from django.urls import path

from accueil.api.api import api
from accueil.booking import views as booking_views

urlpatterns = [
    path("", booking_views.home, name="home"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]
