from django.contrib import admin

from accueil.booking.models import Appointment, AppointmentEvent


class EventInline(admin.TabularInline):
    model = AppointmentEvent
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "at", "channel", "actor", "from_status", "to_status", "note"]


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    """Read-only: appointments change through the booking services only."""

    list_display = ["start", "practitioner", "motif", "status", "channel"]
    list_filter = ["status", "channel"]
    date_hierarchy = "start"
    raw_id_fields = ["patient"]
    inlines = [EventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
