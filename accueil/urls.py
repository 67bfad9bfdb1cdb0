from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.urls import include, path, reverse

from accueil.api.api import api


def superusers_only(request) -> bool:
    """Practices run everything from the desk; the Django admin is for superusers only,
    whatever `is_staff` or permissions a user was given."""
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = superusers_only


def staff_login(request, extra_context=None):
    """The admin logs in through the desk's steps (second factor included), never its own."""
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"), "desk:login")


admin.site.login = staff_login

urlpatterns = [
    path("admin/", admin.site.urls),
    # The steps after the password and the account page (fixed paths, before the desk's
    # /desk/<organisation>/).
    path("desk/", include("accueil.accounts.urls")),
    path("desk/", include("accueil.desk.urls")),
    path("console/", include("accueil.secretariat.urls")),
    path("api/", api.urls),
    path("telephony/", include("accueil.reception.urls")),
    path("telephony/twilio/secretariat/", include("accueil.secretariat.telephony_urls")),
    # Last: the public site's /<organisation-slug>/ pages.
    path("", include("accueil.booking.urls")),
]
