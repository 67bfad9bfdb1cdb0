from django.contrib import admin

from accueil.directory.models import Membership, Motif, Organisation, Practitioner, Site


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "holidays_subdivision"]
    list_filter = ["kind"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [SiteInline]


@admin.register(Practitioner)
class PractitionerAdmin(admin.ModelAdmin):
    list_display = ["display_name", "profession", "organisation", "active", "departure_date"]
    list_filter = ["profession", "active"]
    search_fields = ["last_name", "first_name", "rpps"]
    filter_horizontal = ["sites"]


@admin.register(Motif)
class MotifAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "duration", "location_type", "bookable_by", "capacity"]
    list_filter = ["location_type", "bookable_by", "active"]
    search_fields = ["name"]
    filter_horizontal = ["practitioners"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role"]
    list_filter = ["role"]
