from django.urls import path

from studio.views import chapters, library, projects, rendering, transfers, videos

urlpatterns = [
    path("", projects.home, name="home"),
    path("projects/new", projects.project_create, name="project-create"),
    path("projects/import", transfers.project_import, name="project-import"),
    path("projects/<int:project_id>/", projects.project_page, name="project-page"),
    path("projects/<int:project_id>/edit", projects.project_edit, name="project-edit"),
    path("projects/<int:project_id>/delete", projects.project_delete, name="project-delete"),
    path("projects/<int:project_id>/chapters", projects.chapter_create, name="chapter-create"),
    path("projects/<int:project_id>/export", transfers.project_export, name="project-export"),
    path("projects/<int:project_id>/assets/", library.asset_library, name="asset-library"),
    path("projects/<int:project_id>/assets/upload", library.asset_upload, name="asset-upload"),
    path("projects/<int:project_id>/assets/<int:asset_id>/delete", library.asset_delete, name="asset-delete"),
    path("chapters/<int:chapter_id>/", chapters.chapter_page, name="chapter-page"),
    path("chapters/<int:chapter_id>/edit", chapters.chapter_edit, name="chapter-edit"),
    path("chapters/<int:chapter_id>/delete", chapters.chapter_delete, name="chapter-delete"),
    path("chapters/<int:chapter_id>/steps", chapters.step_create, name="step-create"),
    path("chapters/<int:chapter_id>/steps/reorder", chapters.steps_reorder, name="steps-reorder"),
    path("chapters/<int:chapter_id>/preview/", rendering.chapter_preview, name="chapter-preview"),
    path("chapters/<int:chapter_id>/video/", rendering.chapter_generate, name="chapter-generate"),
    path("steps/<int:step_id>/", chapters.step_save, name="step-save"),
    path("steps/<int:step_id>/delete", chapters.step_delete, name="step-delete"),
    path("steps/<int:step_id>/move", chapters.step_move, name="step-move"),
    path("videos/<uuid:video_id>/", videos.video_page, name="video-page"),
    path("videos/<uuid:video_id>/shares", videos.share_create, name="share-create"),
    path("videos/<uuid:video_id>/shares/<uuid:share_id>/revoke", videos.share_revoke, name="share-revoke"),
    path("s/<str:token>/", videos.shared_page, name="share-page"),
]
