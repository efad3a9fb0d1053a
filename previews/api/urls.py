from contentizer.api.routing import route
from previews.api import views

urlpatterns = [
    *route("preview", views.PreviewCreateApi.as_view(), "preview-create"),
    *route("preview/<uuid:job_id>/status", views.PreviewStatusApi.as_view(), "preview-status"),
    *route("preview/<uuid:job_id>/artifact", views.PreviewArtifactApi.as_view(), "preview-artifact"),
    *route("preview/<uuid:job_id>/cancel", views.PreviewCancelApi.as_view(), "preview-cancel"),
    *route("preview/<uuid:job_id>/retry", views.PreviewRequeueApi.as_view(), "preview-retry"),
]
