from assets.api import tus_views, views
from contentizer.api.routing import route

urlpatterns = [
    *route("projects/<int:project_id>/assets", views.ProjectAssetsApi.as_view(), "project-assets"),
    *route(
        "projects/<int:project_id>/assets/<int:asset_id>",
        views.ProjectAssetDetailApi.as_view(), "project-asset-detail",
    ),
    *route("assets/<int:asset_id>", views.AssetDetailApi.as_view(), "asset-detail"),
    *route("assets/<int:asset_id>/content", views.AssetContentApi.as_view(), "asset-content"),
    *route("assets/<int:asset_id>/thumbnail", views.AssetThumbnailApi.as_view(), "asset-thumbnail"),
]

urlpatterns += [
    *route("uploads", tus_views.UploadCreateApi.as_view(), "upload-create"),
    *route("uploads/<uuid:upload_id>", tus_views.UploadDetailApi.as_view(), "upload-detail"),
]
