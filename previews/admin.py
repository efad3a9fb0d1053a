"""The operators' voices: add a Piper voice by uploading its two files (checked by making it speak,
previews/tts/uploaded.py), turn one off, or delete it."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from assets.uploads import HashingUploadHandler
from contentizer.errors import ApplicationError
from previews.models import UploadedVoice
from previews.tts import uploaded


class VoiceUploadHandler(HashingUploadHandler):
    """The add form's two files (a model and its config) in one request, each spooled to disk and hashed."""

    limit_name = "the largest voice model (TTS_VOICE_MAX_BYTES)"
    max_files = 2

    def max_bytes(self) -> int:
        return settings.TTS_VOICE_MAX_BYTES + uploaded.CONFIG_MAX_BYTES


class UploadedVoiceForm(forms.Form):
    model = forms.FileField(label="Model (.onnx)", help_text="the voice's model, e.g. de_DE-thorsten-medium.onnx")
    config = forms.FileField(label="Config (.onnx.json)", help_text="the config that came with it, "
                                                                     "e.g. de_DE-thorsten-medium.onnx.json")
    name = forms.CharField(required=False, max_length=81, help_text="its voice id is piper:<name>; empty: the "
                                                                    "model's file name without .onnx")
    language = forms.CharField(required=False, max_length=35, help_text="a code such as de-DE or a name such "
                                                                        "as German; empty: the language the config "
                                                                        "names")
    enabled = forms.BooleanField(required=False, initial=True, help_text="offer it to projects at once")

    def add_service_error(self, exc: ApplicationError) -> None:
        """The service's refusal beside the field it names (the form's fields have the service's names)."""
        field = exc.details.get("field")
        self.add_error(field if field in self.fields else None, exc.message)


@admin.register(UploadedVoice)
class UploadedVoiceAdmin(admin.ModelAdmin):
    list_display = ["name", "language", "enabled", "quality", "sample_rate", "model_size_text", "created_at"]
    list_filter = ["enabled", "language"]
    search_fields = ["name", "language", "model_sha256"]
    fields = ["name", "language", "enabled", "quality", "sample_rate", "licence", "model_sha256", "model_size",
              "config_sha256", "config_size", "created_at"]
    readonly_fields = [name for name in fields if name != "enabled"]

    @admin.display(description="model size", ordering="model_size")
    def model_size_text(self, voice: UploadedVoice) -> str:
        return filesizeformat(voice.model_size)

    def get_urls(self):
        @csrf_exempt  # checked below, once the body is read with the handler that takes two files
        def add(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            request.upload_handlers = [VoiceUploadHandler(request)]
            return csrf_protect(self.add_view)(request, *args, **kwargs)

        name = f"{self.opts.app_label}_{self.opts.model_name}_add"
        return [path("add/", self.admin_site.admin_view(add), name=name), *super().get_urls()]

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form, status = UploadedVoiceForm(request.POST or None, request.FILES or None), 200
        if request.method == "POST" and not form.is_valid():
            status = 400
        elif request.method == "POST":
            data = form.cleaned_data
            try:
                voice = uploaded.uploaded_voice_add(model=data["model"], config=data["config"], name=data["name"],
                                                    language=data["language"], enabled=data["enabled"])
            except ApplicationError as exc:  # not a working voice, a name taken, storage refusing
                form.add_service_error(exc)
                status = 422
            else:
                self.log_addition(request, voice, [{"added": {}}])
                self.message_user(request, f"The voice {voice.voice_id} ({voice.language}) spoke its test sentence "
                                           "and is now offered for its language.", messages.SUCCESS)
                return redirect(reverse("admin:previews_uploadedvoice_changelist"))
        context = {**self.admin_site.each_context(request), "title": "Add a Piper voice", "form": form,
                   "opts": self.model._meta, "has_view_permission": self.has_view_permission(request),
                   **(extra_context or {})}
        return TemplateResponse(request, "admin/previews/uploadedvoice/add.html", context, status=status)

    def delete_model(self, request: HttpRequest, obj: UploadedVoice) -> None:
        uploaded.uploaded_voice_delete(voice=obj)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for voice in queryset:
            uploaded.uploaded_voice_delete(voice=voice)
