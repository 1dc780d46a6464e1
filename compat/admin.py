"""Admin of the compatible APIs: webhooks (with the "disabled" notice shown to their owner), deliveries and
API calls (read-only)."""

from django import forms
from django.contrib import admin, messages

from platelens.errors import ServiceError

from . import services, ssrf
from .models import ApiCall, Webhook, WebhookDelivery


class DeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    extra = 0
    can_delete = False
    fields = ("created_on", "status", "attempts", "response_status", "last_error")
    readonly_fields = fields
    ordering = ("-created_on",)
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class WebhookForm(forms.ModelForm):
    target = forms.URLField(max_length=500, assume_scheme="https")

    class Meta:
        model = Webhook
        fields = ("owner", "target", "event", "with_image", "is_active")

    def clean_target(self):
        target = self.cleaned_data["target"]
        try:
            ssrf.check_webhook_target(target)
        except ServiceError as exc:
            raise forms.ValidationError(exc.message) from exc
        return target


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    form = WebhookForm
    list_display = (
        "target",
        "owner",
        "event",
        "with_image",
        "is_active",
        "consecutive_failures",
        "disabled_at",
    )
    list_filter = ("is_active", "event")
    search_fields = ("target", "owner__username")
    readonly_fields = ("consecutive_failures", "disabled_at", "disabled_reason", "created_on")
    fields = ("owner", "target", "event", "with_image", "is_active", *readonly_fields)
    actions = ["reenable"]
    inlines = [DeliveryInline]

    def changelist_view(self, request, extra_context=None):
        self.notify_owner(request)
        return super().changelist_view(request, extra_context)

    def notify_owner(self, request) -> None:
        """Tell the signed-in owner, once, about each of their webhooks disabled after failures."""
        disabled = Webhook.objects.filter(
            owner=request.user, is_active=False, notice_acknowledged=False
        ).exclude(disabled_at=None)
        for hook in disabled:
            messages.warning(request, f"Your webhook {hook.target} was disabled: {hook.disabled_reason}")
        disabled.update(notice_acknowledged=True)

    @admin.action(description="Re-enable the selected webhooks")
    def reenable(self, request, queryset):
        for hook in queryset:
            services.webhook_enable(webhook=hook)
        self.message_user(request, f"{queryset.count()} webhook(s) re-enabled.")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("webhook", "event", "status", "attempts", "response_status", "created_on", "finished_on")
    list_filter = ("status",)
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ApiCall)
class ApiCallAdmin(admin.ModelAdmin):
    list_display = ("user", "api", "created_on", "plates", "processing_time_ms", "asset")
    list_filter = ("api",)
    date_hierarchy = "created_on"
    readonly_fields = [f.name for f in ApiCall._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
