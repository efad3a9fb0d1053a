from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from contentizer import views
from contentizer.api.errors import json_error_view
from previews import views as preview_views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("projects/<int:project_id>/", views.project_detail, name="project-detail-page"),
    path("jobs/", preview_views.job_list, name="job-list-page"),
    path("jobs/<uuid:job_id>/", preview_views.job_detail, name="job-detail-page"),
    path("jobs/<uuid:job_id>/<str:action>/", preview_views.job_action, name="job-action"),
    path("chapters/<int:chapter_id>/preview/", preview_views.chapter_preview, name="chapter-preview"),
    path("chapters/<int:chapter_id>/video/", preview_views.chapter_video, name="chapter-video"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include("contentizer.api.urls")),
    path("api/", include("assets.api.urls")),
    path("api/", include("previews.api.urls")),
    path("api/", include("exports.api.urls")),
    path("", include("django_prometheus.urls")),
]

_api_404 = json_error_view(404, "not_found", "Not found.")
_api_500 = json_error_view(500, "server_error", "Something went wrong on our side; it was logged.")


def handler404(request, exception=None):
    if request.path.startswith("/api/"):
        return _api_404(request, exception)
    return views.page_not_found(request, exception)


def handler500(request):
    if request.path.startswith("/api/"):
        return _api_500(request)
    return views.server_error(request)
