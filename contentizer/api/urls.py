from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from contentizer.api import views
from contentizer.api.routing import route
from contentizer.http.csp import API_REFERENCE, csp_override

urlpatterns = [
    *route("projects", views.ProjectListApi.as_view(), "project-list"),
    *route("projects/<int:project_id>", views.ProjectDetailApi.as_view(), "project-detail"),
    *route("projects/<int:project_id>/chapters", views.ChapterListApi.as_view(), "chapter-list"),
    *route(
        "projects/<int:project_id>/chapters/reorder", views.ChapterReorderApi.as_view(), "chapter-reorder"
    ),
    *route("chapters/<int:chapter_id>", views.ChapterDetailApi.as_view(), "chapter-detail"),
    *route("chapters/<int:chapter_id>/completeness", views.ChapterCompletenessApi.as_view(), "chapter-completeness"),
    *route("chapters/<int:chapter_id>/steps", views.StepListApi.as_view(), "step-list"),
    *route("chapters/<int:chapter_id>/steps/reorder", views.StepReorderApi.as_view(), "step-reorder"),
    *route("steps/<int:step_id>", views.StepDetailApi.as_view(), "step-detail"),
    *route("steps/<int:step_id>/duplicate", views.StepDuplicateApi.as_view(), "step-duplicate"),
    # The schema and its viewers are public documents: no per-client throttle (and no cache).
    *route("schema", SpectacularAPIView.as_view(throttle_classes=[]), "schema"),
    # the split view serves its start-up script from ?script, so the page runs no inline code (CSP)
    *route("docs", SpectacularSwaggerSplitView.as_view(url_name="schema", throttle_classes=[],
                                                       template_name="api/swagger_ui.html"), "swagger-ui"),
    *route("redoc", csp_override(API_REFERENCE)(SpectacularRedocView.as_view(
        url_name="schema", throttle_classes=[], template_name="api/redoc.html")), "redoc"),
    path("", include("contentizer.jobs.api.urls")),
    path("", include("contentizer.webhooks.api.urls")),
]
