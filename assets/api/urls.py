from assets.api import views
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
