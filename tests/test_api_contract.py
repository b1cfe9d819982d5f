"""API v1 as a contract (issue 27): the OpenAPI 3.1 description is valid, covers every /api/v1
route of app.url_map, and the answers of the routes match their declared models."""
from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from tests.helpers.apps import login_as


def test_description_is_valid_openapi_3_1(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
    validate(spec)  # raises on anything not OpenAPI 3.1
    broken = {key: value for key, value in spec.items() if key != "info"}
    with pytest.raises(OpenAPIValidationError):
        validate(broken)


def test_description_covers_every_api_route(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    described = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)[len("/api/v1"):]
            routed |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert routed and described == routed
    for path, ops in spec["paths"].items():
        for op in ops.values():
            assert op["summary"] and "200" in op["responses"] or "201" in op["responses"], path


def test_every_answer_matches_its_model(app, client, make_user):
    """With API_CHECK_RESPONSES on, an answer that does not match its model raises here."""
    app.config["API_CHECK_RESPONSES"] = True
    user = make_user(display_name="Shape Check", skills=("Céramique",))
    for url in ("/api/v1/communes?q=rodez", "/api/v1/communes/12202", "/api/v1/profiles",
                f"/api/v1/profiles/{user.profile.id}", "/api/v1/naf?q=62", "/api/v1/skills",
                "/api/v1/networks", "/api/v1/places", "/api/v1/events", "/api/v1/search?q=a",
                "/api/v1/profiles/999999"):
        r = client.get(url)
        assert r.status_code in (200, 404), url


def test_reference_page_is_served_without_another_host(client):
    r = client.get("/api/v1/docs")
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "GET /api/v1/profiles/{profile_id}" in page
    assert "http://" not in page.replace("http://localhost", "")
    assert "https://" not in page


def test_read_routes_answer_an_etag_and_304_when_unchanged(client, make_user):
    first = client.get("/api/v1/skills")
    etag = first.headers["ETag"]
    again = client.get("/api/v1/skills", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    make_user(display_name="New Skill", skills=("Vannerie",))
    changed = client.get("/api/v1/skills?q=vann", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_cors_is_closed_by_default_and_opened_per_origin_for_read_routes(app, client):
    origin = {"Origin": "https://mairie.example"}
    assert "Access-Control-Allow-Origin" not in client.get("/api/v1/places", headers=origin).headers
    app.config["API_CORS_ORIGINS"] = ("https://mairie.example",)
    r = client.get("/api/v1/places", headers=origin)
    assert r.headers["Access-Control-Allow-Origin"] == "https://mairie.example"
    assert "Access-Control-Allow-Credentials" not in r.headers
    r = client.options("/api/v1/places", headers={**origin,
                                                  "Access-Control-Request-Headers": "authorization"})
    assert r.headers["Access-Control-Allow-Headers"].startswith("Authorization")
    other = client.get("/api/v1/places", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    # Not the writes, nor the organisers' or moderators' routes.
    for method, path in (("OPTIONS", "/api/v1/me/profile"), ("GET", "/api/v1/demand/clusters"),
                         ("GET", "/api/v1/moderation/reports")):
        r = client.open(path, method=method, headers=origin)
        assert "Access-Control-Allow-Origin" not in r.headers, path


def test_every_list_pages_with_a_next_cursor(app, client, make_user, make_network):
    """The same `next`/`?cursor=` everywhere; keyset on the posts (a post written between two
    pages neither repeats nor hides one)."""
    app.config["API_CHECK_RESPONSES"] = True
    from app.networks.service import create_post
    from models import db
    spec = client.get("/api/v1/openapi.json").get_json()
    lists = [path for path, ops in spec["paths"].items() for op in ops.values()
             if any(p["name"] == "cursor" for p in op.get("parameters", []))]
    assert "/profiles" in lists and "/networks/{network_id}/posts" in lists and len(lists) >= 12
    ana = make_user(display_name="Ana")
    network = make_network(ana)
    for n in range(25):
        create_post(db.session, network, ana, f"Message {n}")
    db.session.commit()
    login_as(client, ana)
    url = f"/api/v1/networks/{network.id}/posts"
    first = client.get(url).get_json()
    create_post(db.session, network, ana, "Written between two pages")
    db.session.commit()
    second = client.get(url, query_string={"cursor": first["next"]}).get_json()
    bodies = [p["body"] for p in first["items"] + second["items"]]
    assert bodies == [f"Message {n}" for n in range(24, -1, -1)]
    assert second["next"] is None
    assert client.get(url, query_string={"cursor": "bm9wZTox"}).status_code == 400  # "nope:1"
    assert client.get("/api/v1/profiles?cursor=!!").status_code == 400
    for n in range(30):
        make_user(display_name=f"Person {n}", commit=False)
    db.session.commit()
    page = client.get("/api/v1/profiles").get_json()
    following = client.get("/api/v1/profiles", query_string={"cursor": page["next"]}).get_json()
    assert following["page"] == 2 and not {p["id"] for p in page["items"]} & \
        {p["id"] for p in following["items"]}
