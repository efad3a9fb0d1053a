"""Routes under a share link, mounted at /s/ (the page itself is the studio's)."""

from django.urls import path

from previews import share_views

urlpatterns = [
    path("<str:token>/hls/<path:name>", share_views.shared_hls, name="share-hls"),
    path("<str:token>/poster.jpg", share_views.shared_poster, name="share-poster"),
    path("<str:token>/video.mp4", share_views.shared_mp4, name="share-mp4"),
    path("<str:token>/subtitles/<str:filename>", share_views.shared_subtitles, name="share-subtitles"),
    path("<str:token>/plays", share_views.shared_play, name="share-plays"),
]
