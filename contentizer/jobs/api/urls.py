from contentizer.api.routing import route
from contentizer.jobs.api import views

urlpatterns = [
    *route("v1/jobs", views.JobListApi.as_view(), "job-list"),
    *route("v1/jobs/<uuid:job_id>", views.JobDetailApi.as_view(), "job-detail"),
    *route("v1/jobs/<uuid:job_id>/retry", views.JobRetryApi.as_view(), "job-retry"),
    *route("v1/jobs/<uuid:job_id>/events", views.JobEventsApi.as_view(), "job-events"),
]
