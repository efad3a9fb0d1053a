"""A project's brand (issue 20.6): the one definition, and reading and writing it through the API."""

from __future__ import annotations

import pytest

from contentizer import brand
from contentizer.brand import Brand, BrandError, CaptionStyle
from tests import media
from tests.previews.helpers import upload

pytestmark = pytest.mark.django_db


def test_the_default_brand_is_empty_and_todays_look():
    assert brand.parse(None) == brand.parse({}) == Brand()
    assert Brand().to_json() == {}
    assert CaptionStyle().is_default and round(CaptionStyle().box_opacity * 255) == 170  # the box as it was


def test_a_brand_round_trips_through_its_canonical_form():
    given = {
        "caption": {"size": "large", "position": "top", "color": "#FFEE00", "background": "#102030", "boxOpacity": 0.8},
        "logo": {"asset": 7, "corner": "bottom-left", "size": 0.2},
        "colors": {"primary": "#aa0000", "text": "#ffffff"},
        "intro": {"title": "Acme", "subtitle": "Getting started", "seconds": 2},
        "outro": {"title": "Thanks", "seconds": 1.5},
    }
    parsed = brand.parse(given)
    assert parsed.caption.color == "#ffee00" and parsed.logo.corner == "bottom-left"
    assert brand.parse(parsed.to_json()) == parsed


@pytest.mark.parametrize(
    ("given", "path"),
    [
        ({"caption": {"color": "red"}}, "brand.caption.color"),
        ({"caption": {"position": "middle"}}, "brand.caption.position"),
        ({"caption": {"boxOpacity": 1.5}}, "brand.caption.boxOpacity"),
        ({"caption": {"boxOpacity": True}}, "brand.caption.boxOpacity"),
        ({"logo": {"asset": 3, "corner": "centre"}}, "brand.logo.corner"),
        ({"logo": {"corner": "top-left"}}, "brand.logo.asset"),
        ({"logo": {"asset": 3, "size": 0.9}}, "brand.logo.size"),
        ({"colors": {"primary": "#12345"}}, "brand.colors.primary"),
        ({"intro": {"title": "  "}}, "brand.intro.title"),
        ({"intro": {"title": "Hi", "seconds": 60}}, "brand.intro.seconds"),
        ({"outro": {"seconds": 2}}, "brand.outro.title"),
        ({"font": "Comic"}, "brand.font"),
    ],
)
def test_bad_brands_are_refused_naming_the_field(given, path):
    with pytest.raises(BrandError) as caught:
        brand.parse(given)
    assert path in caught.value.problems, caught.value.problems


# --- the API ---------------------------------------------------------------------------------


def _logo(api, project_id: int) -> dict:
    return upload(api, project_id, "logo.png", media.image_bytes("PNG", (200, 100), (250, 0, 250)))


def test_a_new_project_reads_the_default_brand(alice_api, alice_project):
    shown = alice_api.get(f"/api/projects/{alice_project.id}").json()["brand"]
    assert shown == Brand().full_json()
    assert shown["caption"]["position"] == "bottom" and shown["logo"] is None


def test_it_saves_a_brand_and_shows_it_back(alice_api, alice_project):
    logo = _logo(alice_api, alice_project.id)
    body = {
        "brand": {
            "caption": {"position": "top", "color": "#ffee00"},
            "logo": {"asset": logo["id"], "corner": "bottom-left"},
            "intro": {"title": "Acme"},
        }
    }
    response = alice_api.patch(f"/api/projects/{alice_project.id}", body, format="json")
    assert response.status_code == 200, response.json()
    shown = alice_api.get(f"/api/projects/{alice_project.id}").json()["brand"]
    assert shown["caption"]["position"] == "top" and shown["caption"]["size"] == "medium"
    assert shown["logo"] == {"asset": logo["id"], "corner": "bottom-left", "size": brand.LOGO_SIZE}
    assert shown["intro"] == {"title": "Acme", "subtitle": "", "seconds": brand.DEFAULT_CARD_SECONDS}
    alice_project.refresh_from_db()
    assert "colors" not in alice_project.brand, "defaults are not stored"


def test_a_change_of_one_section_keeps_the_others_and_null_removes_one(alice_api, alice_project):
    url = f"/api/projects/{alice_project.id}"
    alice_api.patch(url, {"brand": {"caption": {"position": "top"}, "outro": {"title": "Bye"}}}, format="json")
    alice_api.patch(url, {"brand": {"colors": {"primary": "#aa0000"}, "outro": None}}, format="json")
    shown = alice_api.get(url).json()["brand"]
    assert shown["caption"]["position"] == "top" and shown["colors"]["primary"] == "#aa0000"
    assert shown["outro"] is None


def test_bad_colours_corners_and_opacity_are_400s_naming_each_field(alice_api, alice_project):
    response = alice_api.patch(
        f"/api/projects/{alice_project.id}",
        {"brand": {"caption": {"color": "yellow", "boxOpacity": 2}, "logo": {"asset": 1, "corner": "middle"}}},
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    fields = error["details"]["fields"]["brand"]
    assert set(fields) == {"caption.color", "caption.boxOpacity", "logo.corner"}, fields
    assert "#rrggbb" in fields["caption.color"][0]
    alice_project.refresh_from_db()
    assert alice_project.brand == {}, "nothing of a refused brand is kept"


def test_another_projects_asset_cannot_be_the_logo(alice_api, bob_api, alice_project, bob_project):
    theirs = _logo(bob_api, bob_project.id)
    response = alice_api.patch(
        f"/api/projects/{alice_project.id}", {"brand": {"logo": {"asset": theirs["id"]}}}, format="json"
    )
    assert response.status_code == 400
    assert "not an asset of this project" in response.json()["error"]["details"]["fields"]["brand"]["logo.asset"][0]


def test_a_logo_that_is_not_a_picture_is_refused(alice_api, alice_project, av_dir):
    sound = upload(alice_api, alice_project.id, "beep.wav", (av_dir / "tone.wav").read_bytes())
    response = alice_api.patch(
        f"/api/projects/{alice_project.id}", {"brand": {"logo": {"asset": sound["id"]}}}, format="json"
    )
    assert response.status_code == 400
    assert "must be a picture" in response.json()["error"]["details"]["fields"]["brand"]["logo.asset"][0]


def test_another_users_project_brand_is_a_404(bob_api, alice_project):
    response = bob_api.patch(
        f"/api/projects/{alice_project.id}", {"brand": {"caption": {"position": "top"}}}, format="json"
    )
    assert response.status_code == 404
