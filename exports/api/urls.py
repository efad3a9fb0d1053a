from contentizer.api.routing import route
from exports.api import views

urlpatterns = [
    *route("export", views.ExportCreateApi.as_view(), "export-create"),
    *route("export/<uuid:export_id>", views.ExportStatusApi.as_view(), "export-status"),
    *route("export/<uuid:export_id>/download", views.ExportDownloadApi.as_view(), "export-download"),
    *route("import", views.ImportApi.as_view(), "import"),
]
