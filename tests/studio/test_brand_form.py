"""The project page's Brand form (issue 20.6): it saves through the API's rules, refuses bad input
beside its field without losing what was typed, and the watch page carries the style."""

from __future__ import annotations

from contentizer.models import Project
from tests import media
from tests.previews.helpers import upload
from tests.studio.test_projects import _text

FORM = {
    "caption_size": "large",
    "caption_position": "top",
    "caption_color": "#ffee00",
    "caption_background": "#0000ff",
    "caption_boxOpacity": "0.8",
    "logo_asset": "",
    "logo_corner": "top-right",
    "logo_size": "0.15",
    "colors_primary": "#aa0000",
    "colors_text": "#ffffff",
    "intro_title": "Acme",
    "intro_subtitle": "",
    "intro_seconds": "2",
    "outro_title": "",
    "outro_subtitle": "",
    "outro_seconds": "3",
}


def test_the_brand_form_saves_through_the_projects_rules(client, alice, alice_api, alice_project):
    logo = upload(alice_api, alice_project.id, "logo.png", media.image_bytes("PNG", (120, 60), (250, 0, 250)))
    client.force_login(alice)
    response = client.post(f"/projects/{alice_project.id}/brand", {**FORM, "logo_asset": str(logo["id"])})
    assert response.status_code == 302, _text(response)[:500]
    alice_project.refresh_from_db()
    assert alice_project.brand["caption"]["position"] == "top" and alice_project.brand["logo"]["asset"] == logo["id"]
    assert alice_project.brand["intro"]["title"] == "Acme" and "outro" not in alice_project.brand
    page = client.get(f"/projects/{alice_project.id}/").content.decode()
    assert 'name="caption_position"' in page and '<option value="top" selected>' in page
    assert f'<option value="{logo["id"]}" selected>' in page


def test_a_bad_opacity_is_shown_beside_its_field_and_nothing_is_saved(client, alice, alice_project):
    client.force_login(alice)
    response = client.post(f"/projects/{alice_project.id}/brand", {**FORM, "caption_boxOpacity": "lots"})
    assert response.status_code == 400
    assert 'id="brand-caption_boxOpacity-error"' in response.content.decode()
    assert "must be a number from 0 to 1" in _text(response)
    assert 'value="lots"' in response.content.decode(), "what was typed stays in the field"
    assert Project.objects.get(pk=alice_project.pk).brand == {}


def test_another_users_project_brand_form_is_a_404(client, bob, alice_project):
    client.force_login(bob)
    assert client.post(f"/projects/{alice_project.id}/brand", FORM).status_code == 404


def test_the_watch_page_draws_subtitles_in_the_projects_caption_style(client, alice, alice_project):
    from tests.studio.test_watch_and_share import _finished_row

    video = _finished_row(alice, alice_project)
    client.force_login(alice)
    plain = client.get(f"/videos/{video.id}/").content.decode()
    assert 'class="captions captions-bottom"' in plain and 'data-color=""' in plain, "the default: the page's own"
    alice_project.brand = {
        "caption": {"position": "top", "color": "#ffee00", "background": "#0000ff", "boxOpacity": 0.5, "size": "large"}
    }
    alice_project.save()
    page = client.get(f"/videos/{video.id}/").content.decode()
    captions = page.split("data-captions")[0].rsplit("<div", 1)[1] + page.split("data-captions")[1].split(">")[0]
    assert 'class="captions captions-top"' in captions
    assert 'data-color="#ffee00"' in captions and 'data-background="rgba(0, 0, 255, 0.5)"' in captions
    assert 'data-scale="1.3"' in captions
