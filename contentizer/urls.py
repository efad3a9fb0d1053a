from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from contentizer import views
from contentizer.api.errors import json_error_view

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("metrics", views.metrics, name="prometheus-django-metrics"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/", include("contentizer.api.urls")),
    path("api/", include("assets.api.urls")),
    path("api/", include("previews.api.urls")),
    path("api/", include("exports.api.urls")),
    path("", include("contentizer.jobs.urls")),
    path("s/", include("previews.share_urls")),
    path("", include("studio.urls")),
]

_api_400 = json_error_view(400, "bad_request", "The request was refused.")
_api_403 = json_error_view(403, "permission_denied", "You do not have permission to do this.")
_api_404 = json_error_view(404, "not_found", "Not found.")
_api_500 = json_error_view(500, "server_error", "Something went wrong on our side; it was logged.")


def handler400(request, exception=None):
    if request.path.startswith("/api/"):
        return _api_400(request, exception)
    return views.bad_request(request, exception)


def handler403(request, exception=None):
    if request.path.startswith("/api/"):
        return _api_403(request, exception)
    return views.permission_denied(request, exception)


def handler404(request, exception=None):
    if request.path.startswith("/api/"):
        return _api_404(request, exception)
    return views.page_not_found(request, exception)


def handler500(request):
    if request.path.startswith("/api/"):
        return _api_500(request)
    return views.server_error(request)
