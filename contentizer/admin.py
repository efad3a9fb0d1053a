from django.contrib import admin, messages

from contentizer.errors import ApplicationError
from contentizer.jobs import services as job_services
from contentizer.models import Chapter, Job, JobAttempt, Project, Step


class ChapterInline(admin.TabularInline):
    model = Chapter
    fields = ["position", "title"]
    extra = 0
    show_change_link = True


class StepInline(admin.StackedInline):
    model = Step
    fields = ["position", "caption", "narration", "asset", "duration", "transition", "transition_duration"]
    raw_id_fields = ["asset"]
    extra = 0


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "created_at", "updated_at"]
    list_filter = ["created_at"]
    search_fields = ["title", "description", "owner__username", "owner__email"]
    raw_id_fields = ["owner"]
    inlines = [ChapterInline]


@admin.register(Chapter)
class ChapterAdmin(admin.ModelAdmin):
    list_display = ["title", "project", "position", "updated_at"]
    search_fields = ["title", "project__title"]
    list_select_related = ["project"]
    raw_id_fields = ["project"]
    inlines = [StepInline]


@admin.register(Step)
class StepAdmin(admin.ModelAdmin):
    list_display = ["__str__", "chapter", "position", "duration", "transition", "asset"]
    list_filter = ["transition"]
    search_fields = ["caption", "chapter__title", "chapter__project__title"]
    list_select_related = ["chapter__project", "asset"]
    raw_id_fields = ["chapter", "asset"]


class JobAttemptInline(admin.TabularInline):
    model = JobAttempt
    fields = ["number", "worker", "outcome", "started_at", "duration", "error"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "status", "owner", "project", "progress", "attempts", "worker", "created_at",
                    "finished_at"]
    list_filter = ["status", "kind", "created_at"]
    # a video's id finds its piece jobs too (they name it as their parent)
    search_fields = ["id", "parent__id", "request_id", "owner__username", "project__title", "error"]
    list_select_related = ["owner", "project"]
    readonly_fields = [f.name for f in Job._meta.fields]
    inlines = [JobAttemptInline]
    actions = ["requeue", "cancel"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="Requeue failed, dead or cancelled jobs")
    def requeue(self, request, queryset) -> None:
        self._each(request, queryset, job_services.job_requeue, "requeued")

    @admin.action(description="Cancel queued or running jobs")
    def cancel(self, request, queryset) -> None:
        self._each(request, queryset, job_services.job_cancel, "cancelled")

    def _each(self, request, queryset, action, verb: str) -> None:
        done = 0
        for job in queryset:
            try:
                action(job=job)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{job.id}: {exc.message}", level=messages.WARNING)
        self.message_user(request, f"{done} job(s) {verb}.")
