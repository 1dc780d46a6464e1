"""Admin: the indexing outbox, read-only, so operators see what waits for the search engine and why."""

from django.contrib import admin

from search.models import IndexOutbox


@admin.register(IndexOutbox)
class IndexOutboxAdmin(admin.ModelAdmin):
    list_display = ("asset_id", "op", "attempts", "next_attempt_at", "created", "short_error")
    list_filter = ("op",)
    search_fields = ("asset_id",)
    readonly_fields = [f.name for f in IndexOutbox._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="last error")
    def short_error(self, obj: IndexOutbox) -> str:
        return obj.last_error[:120]
