from django.contrib import admin

from contentizer.models import Chapter, Project, Step


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
