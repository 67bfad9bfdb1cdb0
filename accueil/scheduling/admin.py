from django.contrib import admin

from accueil.scheduling.models import Absence, OpeningPeriod


@admin.register(OpeningPeriod)
class OpeningPeriodAdmin(admin.ModelAdmin):
    list_display = ["practitioner", "site", "__str__", "valid_from", "valid_until"]
    filter_horizontal = ["motifs"]


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin):
    list_display = ["practitioner", "start", "end", "weekly", "reason"]
