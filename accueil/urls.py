from django.contrib import admin
from django.urls import include, path

from accueil.api.api import api


def superusers_only(request) -> bool:
    """Practices run everything from the desk; the Django admin is for superusers only,
    whatever `is_staff` or permissions a user was given."""
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = superusers_only

urlpatterns = [
    path("admin/", admin.site.urls),
    path("desk/", include("accueil.desk.urls")),
    path("console/", include("accueil.secretariat.urls")),
    path("api/", api.urls),
    path("telephony/", include("accueil.reception.urls")),
    path("telephony/twilio/secretariat/", include("accueil.secretariat.telephony_urls")),
    # Last: the public site's /<organisation-slug>/ pages.
    path("", include("accueil.booking.urls")),
]
