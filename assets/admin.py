from django.contrib import admin
from django.core.files.storage import default_storage
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from assets.models import Asset, Blob
from contentizer.http.ranges import serve_stored


class AssetInline(admin.TabularInline):
    model = Asset
    fields = ["project", "original_name", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


def _thumbnail(blob: Blob) -> str:
    if not blob.thumbnail_key:
        return "—"
    url = reverse("admin:assets_blob_thumbnail", args=[blob.pk])
    return format_html('<img src="{}" width="80" alt="">', url)


@admin.register(Blob)
class BlobAdmin(admin.ModelAdmin):
    list_display = [
        "thumbnail", "short_sha", "kind", "mime", "human_size", "dimensions", "duration", "link_count", "created_at",
    ]
    list_filter = ["kind", "mime", "created_at"]
    search_fields = ["sha256", "assets__original_name", "assets__project__title"]
    readonly_fields = [f.name for f in Blob._meta.fields] + ["thumbnail", "used_by"]
    inlines = [AssetInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_links=Count("assets"))

    def has_add_permission(self, request) -> bool:
        return False  # blobs come in through uploads only

    def get_urls(self):
        view = self.admin_site.admin_view(self.thumbnail_view)
        return [path("<int:blob_id>/thumbnail/", view, name="assets_blob_thumbnail"), *super().get_urls()]

    def thumbnail_view(self, request: HttpRequest, blob_id: int) -> HttpResponse:
        # The API's thumbnail route is owner-scoped; operators see every blob's from here.
        if not self.has_view_permission(request):
            raise Http404
        blob = get_object_or_404(Blob, pk=blob_id)
        if not blob.thumbnail_key:
            raise Http404
        return serve_stored(request, storage=default_storage, key=blob.thumbnail_key, content_type="image/webp")

    @admin.display(description="")
    def thumbnail(self, blob: Blob) -> str:
        return _thumbnail(blob)

    @admin.display(description="sha256")
    def short_sha(self, blob: Blob) -> str:
        return blob.sha256[:12]

    @admin.display(description="size", ordering="size")
    def human_size(self, blob: Blob) -> str:
        return filesizeformat(blob.size)

    @admin.display(description="dimensions")
    def dimensions(self, blob: Blob) -> str:
        return f"{blob.width}×{blob.height}" if blob.width else "—"

    @admin.display(description="links", ordering="_links")
    def link_count(self, blob: Blob) -> int:
        return blob._links

    @admin.display(description="used by projects")
    def used_by(self, blob: Blob) -> str:
        links = blob.assets.select_related("project")
        return format_html_join(
            ", ", '<a href="{}">{}</a>',
            ((reverse("admin:contentizer_project_change", args=[a.project_id]), a.project.title) for a in links),
        ) or "—"


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ["thumbnail", "original_name", "project", "kind", "human_size", "created_at"]
    list_filter = ["blob__kind", "created_at"]
    search_fields = ["original_name", "blob__sha256", "project__title", "project__owner__username"]
    list_select_related = ["blob", "project"]
    raw_id_fields = ["project", "blob"]
    readonly_fields = ["thumbnail", "created_at"]

    @admin.display(description="")
    def thumbnail(self, asset: Asset) -> str:
        return _thumbnail(asset.blob)

    @admin.display(description="kind", ordering="blob__kind")
    def kind(self, asset: Asset) -> str:
        return asset.blob.kind

    @admin.display(description="size", ordering="blob__size")
    def human_size(self, asset: Asset) -> str:
        return filesizeformat(asset.blob.size)
