from django.contrib import admin

from accueil.patients.models import Patient


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "birth_date", "organisation"]
    search_fields = ["last_name", "first_name"]
    raw_id_fields = ["managed_by"]
