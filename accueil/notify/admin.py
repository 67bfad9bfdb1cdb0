from django import forms
from django.contrib import admin

from accueil.notify.models import (
    Message,
    MessageTemplate,
    NotificationSettings,
    WaitlistEntry,
    WaitlistOffer,
)
from accueil.notify.texts import check_template


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Read-only: the outbox is written by the services and the workers."""

    list_display = ["created_at", "organisation", "kind", "channel", "status", "attempts"]
    list_filter = ["status", "kind", "channel"]
    date_hierarchy = "created_at"
    raw_id_fields = ["appointment", "patient", "offer"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class MessageTemplateForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ["organisation", "kind", "channel", "subject", "body"]

    def clean(self):
        data = super().clean()
        if data.get("kind") and data.get("channel"):
            try:
                check_template(
                    data["kind"], data["channel"], data.get("subject") or "", data.get("body") or ""
                )
            except forms.ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    self.add_error(field, messages)
        return data


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    form = MessageTemplateForm
    list_display = ["organisation", "kind", "channel"]
    list_filter = ["kind", "channel"]


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    list_display = ["organisation", "reminder_hours", "second_reminder", "waitlist_offers"]


class OfferInline(admin.TabularInline):
    model = WaitlistOffer
    extra = 0
    can_delete = False
    readonly_fields = ["practitioner", "motif", "site", "start", "end", "status", "expires_at"]
    exclude = ["token", "appointment", "created_at"]


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    list_display = ["joined_at", "organisation", "motif", "practitioner", "active"]
    list_filter = ["active"]
    raw_id_fields = ["patient"]
    inlines = [OfferInline]
