from django.urls import path

from contentizer.jobs import views

urlpatterns = [
    path("jobs/", views.job_list, name="job-list-page"),
    path("jobs/<uuid:job_id>/", views.job_detail, name="job-detail-page"),
    path("jobs/<uuid:job_id>/cancel/", views.job_cancel, name="job-cancel-page"),
    path("jobs/<uuid:job_id>/retry/", views.job_retry, name="job-retry-page"),
]
